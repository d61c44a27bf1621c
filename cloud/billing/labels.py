"""The translation keys of billing's report names, dimensions, ageing buckets and report
columns, spelled out so the translation table's check finds each one; the console page and the
Excel workbooks both name things by them."""

from typing import Final

BUCKETS: Final = {
    "not_due": "billing.not_due",
    "d0_30": "billing.d0_30",
    "d31_60": "billing.d31_60",
    "d61_90": "billing.d61_90",
    "d90_plus": "billing.d90_plus",
}
REPORTS: Final = {
    "revenue": "billing.report_revenue",
    "collection": "billing.report_collection",
    "cash-flow": "billing.report_cash_flow",
    "rent-per-m2": "billing.report_rent_per_m2",
}
DIMENSIONS: Final = {
    "month": "billing.by_month",
    "building": "billing.by_building",
    "tenant": "billing.by_tenant",
    "item": "billing.by_item",
}
AGEING_COLUMNS: Final = {**BUCKETS, "total": "exports.total"}
# Each column a billing report can have (`reports.py`).
REPORT_COLUMNS: Final = {
    "billed": "exports.billed",
    "collected": "exports.collected",
    "outstanding": "exports.outstanding",
    "collection_rate": "exports.collection_rate",
    "rent": "exports.rent",
    "area_m2": "exports.area_m2",
    "rent_per_m2_month": "exports.rent_per_m2_month",
    "received": "exports.received",
    "deposits_received": "exports.deposits_received",
    "refunded": "exports.refunded",
    "deposits_refunded": "exports.deposits_refunded",
    "net": "exports.net",
}
