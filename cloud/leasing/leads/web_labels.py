"""How the lead pages name stages, sources, reasons and kinds, and their two charts."""

from typing import Any

from cloud.leasing.leads.schemas import LeadReport
from cloud.web.i18n import t


def stage_label(stage: str) -> str:
    return {
        "visit": t("lead.stage.visit"),
        "quote": t("lead.stage.quote"),
        "negotiation": t("lead.stage.negotiation"),
        "loi": t("lead.stage.loi"),
        "signed": t("lead.stage.signed"),
        "lost": t("lead.stage.lost"),
    }[stage]


def source_label(source: str) -> str:
    return {
        "agent": t("lead.source.agent"),
        "walk_in": t("lead.source.walk_in"),
        "referral": t("lead.source.referral"),
        "event": t("lead.source.event"),
        "online": t("lead.source.online"),
    }[source]


def reason_label(reason: str) -> str:
    return {
        "price": t("lead.reason.price"),
        "location": t("lead.reason.location"),
        "area": t("lead.reason.area"),
        "timing": t("lead.reason.timing"),
        "competitor": t("lead.reason.competitor"),
        "no_response": t("lead.reason.no_response"),
        "other": t("lead.reason.other"),
    }[reason]


def kind_label(kind: str) -> str:
    return {
        "visit": t("lead.kind.visit"),
        "feedback": t("lead.kind.feedback"),
        "quote": t("lead.kind.quote"),
        "counter_offer": t("lead.kind.counter_offer"),
    }[kind]


def deposit_label(status: str) -> str:
    return {
        "agreed": t("lead.deposit.agreed"),
        "received": t("lead.deposit.received"),
        "applied": t("lead.deposit.applied"),
        "refunded": t("lead.deposit.refunded"),
        "forfeited": t("lead.deposit.forfeited"),
    }[status]


def funnel_chart(report: LeadReport) -> dict[str, Any]:
    """ECharts options: the funnel of stages reached."""
    data = [{"name": stage_label(s.stage), "value": s.reached} for s in report.funnel]
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "min": 0,
                "max": max(report.leads, 1),
                "label": {"show": True, "formatter": "{b} {c}"},
                "data": data,
            }
        ],
    }


def source_chart(report: LeadReport) -> dict[str, Any]:
    """ECharts options: leads, won and lost by source."""
    sources = [source_label(f.source) for f in report.by_source]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [t("lead.report.leads"), t("lead.report.won"), t("lead.report.lost")]},
        "xAxis": {"type": "category", "data": sources},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": t("lead.report.leads"),
                "type": "bar",
                "data": [f.leads for f in report.by_source],
            },
            {
                "name": t("lead.report.won"),
                "type": "bar",
                "data": [f.won for f in report.by_source],
            },
            {
                "name": t("lead.report.lost"),
                "type": "bar",
                "data": [f.lost for f in report.by_source],
            },
        ],
    }
