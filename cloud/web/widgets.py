"""The staff console's blocks: live meter table, power chart, month-to-date charges table."""

from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from nicegui import ui

from cloud.billing.schemas import ElectricityCharge
from cloud.energy.models import Reading
from cloud.energy.schemas import MeterSnapshot
from cloud.web.formatting import METER_METRICS, cny, kwh, local_time, tariff
from cloud.web.i18n import t
from cloud.web.live import POWER_WINDOW

MAX_POWER_POINTS: Final = 1_000  # a 1-second poll over the window, with room to spare


def column(name: str, label: str, *, align: str = "left") -> dict[str, Any]:
    return {"name": name, "label": label, "field": name, "align": align, "sortable": True}


def meter_rows(snapshots: Iterable[MeterSnapshot], zone: ZoneInfo) -> list[dict[str, str]]:
    """One display row per meter, every value already formatted."""
    rows = []
    for snapshot in snapshots:
        row = {"meter": snapshot.meter_code, "unit": snapshot.unit_code or "—"}
        for display in METER_METRICS:
            row[display.metric] = display.format(snapshot.values.get(display.metric))
        row["ts"] = local_time(snapshot.last_ts, zone) if snapshot.last_ts else "—"
        rows.append(row)
    return rows


def charge_rows(charges: Iterable[ElectricityCharge]) -> list[dict[str, str]]:
    """One display row per lease; money stays Decimal until it becomes text."""
    return [
        {
            "lease": charge.lease_code,
            "tenant": charge.tenant_name,
            "unit": charge.unit_code,
            "kwh": kwh(charge.kwh),
            "tariff": tariff(charge.tariff),
            "amount": cny(charge.amount),
        }
        for charge in charges
    ]


class MeterTable:
    """The live table of each meter's latest reading."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        columns = [column("meter", t("meter.code")), column("unit", t("meter.unit"))]
        columns += [column(d.metric, t(d.label_key), align="right") for d in METER_METRICS]
        columns.append(column("ts", t("meter.ts")))
        self.table = ui.table(columns=columns, rows=[], row_key="meter").classes("w-full tabular")
        self.table.props(f'flat dense no-data-label="{t("meter.none")}"')

    def show(self, snapshots: Iterable[MeterSnapshot]) -> None:
        self.table.rows = meter_rows(snapshots, self._zone)
        self.table.update()


class ChargeTable:
    """Month-to-date electricity charges, one row per lease."""

    def __init__(self) -> None:
        columns = [
            column("lease", t("charge.lease")),
            column("tenant", t("charge.tenant")),
            column("unit", t("charge.unit")),
            column("kwh", t("charge.kwh"), align="right"),
            column("tariff", t("charge.tariff"), align="right"),
            column("amount", t("charge.amount"), align="right"),
        ]
        self.table = ui.table(columns=columns, rows=[], row_key="lease").classes("w-full tabular")
        self.table.props(f'flat dense no-data-label="{t("charge.none")}"')

    def show(self, charges: Iterable[ElectricityCharge]) -> None:
        self.table.rows = charge_rows(charges)
        self.table.update()


class PowerChart:
    """Active power per meter over the last `POWER_WINDOW`: history on open, then live points."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._points: dict[str, deque[tuple[datetime, float]]] = {}
        self.chart = ui.echart(
            {
                "animation": False,
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 48, "right": 16, "top": 32, "bottom": 28},
                "xAxis": {"type": "time"},
                "yAxis": {"type": "value", "name": "kW"},
                "series": [],
            }
        ).classes("w-full h-64")

    def missing(self, snapshots: Iterable[MeterSnapshot]) -> list[str]:
        """Meters whose history has not been loaded yet."""
        return [s.meter_code for s in snapshots if s.meter_code not in self._points]

    def load(self, meter_code: str, history: Iterable[Reading]) -> None:
        """Start a meter's line from its stored readings (empty when it has none)."""
        points = self._points.setdefault(meter_code, deque(maxlen=MAX_POWER_POINTS))
        points.extend((r.ts, r.value) for r in history if not points or r.ts > points[-1][0])
        self._draw()

    def add(self, snapshots: Iterable[MeterSnapshot]) -> None:
        """Append each meter's newest power reading if it is newer than its line's end."""
        changed = False
        for snapshot in snapshots:
            power, ts = snapshot.values.get("active_power"), snapshot.last_ts
            points = self._points.setdefault(snapshot.meter_code, deque(maxlen=MAX_POWER_POINTS))
            if power is None or ts is None or (points and points[-1][0] >= ts):
                continue
            points.append((ts, power))
            while points[0][0] < ts - POWER_WINDOW:
                points.popleft()
            changed = True
        if changed:
            self._draw()

    def _draw(self) -> None:
        codes = sorted(code for code, points in self._points.items() if points)
        self.chart.options["series"] = [self._series(code) for code in codes]
        self.chart.update()

    def _series(self, code: str) -> dict[str, Any]:
        # Org-local wall-clock strings without an offset: ECharts then labels the axis in park
        # time, whatever the browser's own time zone is.
        data = [
            [instant.astimezone(self._zone).strftime("%Y-%m-%d %H:%M:%S"), value]
            for instant, value in self._points[code]
        ]
        return {"name": code, "type": "line", "showSymbol": len(data) < 2, "data": data}
