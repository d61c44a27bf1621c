"""The translation table is complete, and money and meter values read the way people expect."""

import re
import string
from decimal import Decimal
from pathlib import Path

import pytest

from cloud.billing import labels as billing_labels
from cloud.billing import web as billing_web
from cloud.energy import web as energy_web
from cloud.maintenance import web as maintenance_web
from cloud.properties import web as properties_web
from cloud.tenant_services import web as tenant_services_web
from cloud.web import i18n, layout, tenant
from cloud.web.formatting import METER_METRICS, area, cny, kwh, percent, tariff
from cloud.workorders import web as workorders_web

WEB = Path(i18n.__file__).parent
LABEL_USE = re.compile(r"""\blabel\(\s*["']([a-z_]+\.[a-z_.]+)["']""")
KEY_USE = re.compile(r"""\bt(?:ranslate)?\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.TABLE))
def test_every_string_has_both_languages_with_the_same_placeholders(key: str) -> None:
    zh, en = i18n.TABLE[key]
    assert zh.strip() and en.strip()
    assert _placeholders(zh) == _placeholders(en)


def _keys_used() -> set[str]:
    # The shell's pages, and each domain's own (`cloud/<domain>/**/web*.py`).
    pages = [*WEB.glob("*.py"), *WEB.parent.glob("*/**/web*.py")]
    used = {key for path in pages for key in KEY_USE.findall(path.read_text())}
    # workbooks name their columns in both languages with `label(key)`
    used |= set(LABEL_USE.findall((WEB.parent / "billing" / "exports.py").read_text()))
    used |= {style.label_key for style in properties_web.STATUS_STYLES.values()}
    used |= set(properties_web.RENT_LABELS.values())
    used |= {key for _path, key in layout.CONSOLE_PAGES}
    used |= {group for group, _pages in layout.NAV_GROUPS}
    used |= {key for _path, key, _icon in tenant.TENANT_PAGES}
    labels = (
        workorders_web.STATE_KEYS,
        workorders_web.PRIORITY_KEYS,
        workorders_web.SOURCE_KEYS,
        workorders_web.ACTION_KEYS,
        maintenance_web.KIND_KEYS,
        maintenance_web.STATUS_KEYS,
        maintenance_web.EVENT_KEYS,
        maintenance_web.TRIGGER_KEYS,
        maintenance_web.UNIT_KEYS,
        maintenance_web.RULE_KEYS,
        tenant_services_web.AUDIENCE_KEYS,
        tenant_services_web.KIND_KEYS,
        tenant_services_web.STATE_KEYS,
        tenant_services_web.FIT_OUT_KEYS,
        billing_labels.BUCKETS,
        billing_web.METHODS,
        billing_web.COLUMNS,
        billing_labels.REPORTS,
        billing_labels.DIMENSIONS,
        billing_labels.AGEING_COLUMNS,
        billing_labels.REPORT_COLUMNS,
        energy_web.EXCHANGE_KINDS,
    )
    used |= {key for table in labels for key in table.values()}
    return used | {display.label_key for display in METER_METRICS}


def test_every_key_the_pages_use_is_in_the_table() -> None:
    assert _keys_used() - set(i18n.TABLE) == set()


def test_the_table_holds_no_string_nobody_uses() -> None:
    assert set(i18n.TABLE) - _keys_used() == set()


def test_translate_fills_placeholders_in_the_chosen_language() -> None:
    assert i18n.translate("mobile.meter", "zh", code="EM-A-1201") == "电表 EM-A-1201"
    assert i18n.translate("mobile.meter", "en", code="EM-A-1201") == "Meter EM-A-1201"


def test_outside_a_page_the_language_is_chinese() -> None:
    assert i18n.current_language() == "zh"
    assert i18n.t("login.title") == "登录"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.56"), "¥1,234.56"),
        (Decimal("15"), "¥15.00"),
        (Decimal("0.1"), "¥0.10"),
        (Decimal("-24.30"), "-¥24.30"),
        (Decimal("1234567.89"), "¥1,234,567.89"),
        (Decimal("9999999999999.99"), "¥9,999,999,999,999.99"),  # NUMERIC(14,2) at its largest
    ],
)
def test_money_is_shown_exactly_in_yuan(amount: Decimal, shown: str) -> None:
    assert cny(amount) == shown


def test_tariff_keeps_its_places_and_energy_its_two() -> None:
    assert tariff(Decimal("1.2000")) == "¥1.20/kWh"
    assert tariff(Decimal("0.8523")) == "¥0.8523/kWh"
    assert kwh(Decimal("1012.5")) == "1,012.50"


def test_areas_keep_two_places_and_rates_show_as_percent() -> None:
    assert area(Decimal("1661.5")) == "1,661.50"
    assert percent(Decimal("0.7454")) == "74.5%"
    assert percent(Decimal("1.0000")) == "100.0%"
    assert percent(None) == "—"


def test_a_missing_meter_value_is_a_dash() -> None:
    voltage = next(d for d in METER_METRICS if d.metric == "voltage")
    assert voltage.format(None) == "—"
    assert voltage.format(220.44) == "220.4 V"
