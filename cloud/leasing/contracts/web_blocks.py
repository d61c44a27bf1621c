"""The blocks of the contract pages, drawn from what the services return: labels, the terms
summary, schedules, the amendment difference, approvals and the settlement."""

from datetime import tzinfo
from typing import Any

from nicegui import ui

from cloud.leasing.contracts.schemas import (
    ContractRead,
    ContractSummary,
    Schedule,
    ScheduleDiff,
    SettlementRead,
    VersionRead,
)
from cloud.leasing.terms_schemas import ContractTerms, FeeItem, PeriodicEscalation, StepTable
from cloud.web.formatting import cny, local_time
from cloud.web.i18n import t
from cloud.web.layout import section
from cloud.web.widgets import column


def status_label(status: str) -> str:
    return {
        "draft": t("contract.status_draft"),
        "submitted": t("contract.status_submitted"),
        "approved": t("contract.status_approved"),
        "signed": t("contract.status_signed"),
        "active": t("contract.status_active"),
        "expired": t("contract.status_expired"),
        "terminated": t("contract.status_terminated"),
        "superseded": t("contract.status_superseded"),
    }[status]


STATUS_COLOURS = {
    "draft": "grey",
    "submitted": "orange",
    "approved": "teal",
    "signed": "blue",
    "active": "green",
    "expired": "grey-7",
    "terminated": "red",
    "superseded": "grey",
}


def role_label(role: str) -> str:
    return {"admin": t("role.admin"), "staff": t("role.staff"), "finance": t("role.finance")}[role]


def action_label(action: str) -> str:
    return {
        "edit": t("action.edit"),
        "delete": t("action.delete"),
        "submit": t("action.submit"),
        "approve": t("action.approve"),
        "reject": t("action.reject"),
        "sign": t("action.sign"),
        "activate": t("action.activate"),
        "amend": t("action.amend"),
        "renew": t("action.renew"),
        "terminate": t("action.terminate"),
    }[action]


def shown_version(contract: ContractRead) -> VersionRead:
    """The version being worked on if there is one, else the version in force."""
    number = contract.open_version or contract.current_version
    return next(v for v in contract.versions if v.number == number)


def table(columns: list[dict[str, Any]], rows: list[dict[str, Any]], empty: str) -> ui.table:
    shown = ui.table(columns=columns, rows=rows, row_key="key", pagination={"rowsPerPage": 0})
    shown.classes("w-full tabular").props(f'flat dense hide-pagination no-data-label="{empty}"')
    return shown


def summary_rows(contracts: list[ContractSummary]) -> list[dict[str, str]]:
    return [
        {
            "key": c.code,
            "code": c.code,
            "tenant": c.tenant_name,
            "units": ", ".join(c.unit_codes),
            "start": c.start_date.isoformat(),
            "end": (c.terminated_on or c.end_date).isoformat(),
            "status": status_label(c.status),
        }
        for c in contracts
    ]


def summary_columns() -> list[dict[str, Any]]:
    return [
        column("code", t("contract.code")),
        column("tenant", t("contract.tenant")),
        column("units", t("contract.units")),
        column("start", t("contract.start")),
        column("end", t("contract.end")),
        column("status", t("contract.status")),
    ]


def header(contract: ContractRead) -> None:
    """Status, tenant, units, dates, version, renewals and leases of a contract."""
    with ui.row().classes("items-center gap-3"):
        ui.label(contract.code).classes("text-2xl font-bold")
        ui.badge(status_label(contract.status), color=STATUS_COLOURS[contract.status])
        if contract.next_step:
            ui.badge(t("contract.next_step", role=role_label(contract.next_step)), color="orange")
    facts = [
        (t("contract.tenant"), f"{contract.tenant_name} ({contract.tenant_code})"),
        (t("contract.units"), ", ".join(contract.unit_codes)),
        (t("contract.start"), contract.start_date.isoformat()),
        (t("contract.end"), contract.end_date.isoformat()),
        (t("contract.version"), str(contract.current_version)),
    ]
    if contract.terminated_on:
        facts.append((t("contract.terminated_on"), contract.terminated_on.isoformat()))
    if contract.lease_codes:
        facts.append((t("contract.leases"), ", ".join(contract.lease_codes)))
    with ui.grid(columns=2).classes("gap-x-6 gap-y-1"):
        for label, value in facts:
            ui.label(label).classes("text-grey-7")
            ui.label(value)
    with ui.row().classes("gap-3"):
        if contract.renewal_of:
            ui.link(
                f"{t('contract.renewal_of')} {contract.renewal_of}",
                f"/contracts/{contract.renewal_of}",
            )
        for code in contract.renewed_by:
            ui.link(f"{t('contract.renewed_by')} {code}", f"/contracts/{code}")


def terms_block(version: VersionRead) -> None:
    """A version's terms as people read them."""
    terms = version.terms
    with section(t("terms.title")):
        ui.label(t("terms.shown", n=version.number, status=status_label(version.status))).classes(
            "text-grey-7"
        )
        if version.note:
            ui.label(f"{t('terms.note')}: {version.note}")
        with ui.grid(columns=2).classes("gap-x-6 gap-y-1"):
            for label, value in _term_facts(version):
                ui.label(label).classes("text-grey-7")
                ui.label(value).classes("whitespace-pre-wrap")
        rows = [
            {
                "key": item.name,
                "item": item.name,
                "kind": _kind(item.kind),
                "price": _price(item),
                "area": _area(item),
                "escalation": _escalation(item),
            }
            for item in terms.fee_items
        ]
        columns = [
            column("item", t("terms.item")),
            column("kind", t("terms.kind")),
            column("price", t("terms.price"), align="right"),
            column("area", t("terms.area")),
            column("escalation", t("terms.escalation")),
        ]
        table(columns, rows, t("schedule.none"))


def _term_facts(version: VersionRead) -> list[tuple[str, str]]:
    terms = version.terms
    deposits = "; ".join(f"{d.item} {cny(d.amount)}" for d in version.deposits)
    return [
        (t("terms.lease_start"), terms.lease_start.isoformat()),
        (t("terms.rent_start"), terms.rent_start.isoformat()),
        (t("terms.end"), terms.end.isoformat()),
        (t("terms.free_rent"), _free_rent(terms)),
        (t("terms.payment"), f"{_cycle(terms.payment_cycle)}, {_due(terms)}"),
        (t("terms.proration"), _proration(terms.proration)),
        (t("terms.tariff"), f"¥{version.electricity_tariff}/kWh"),
        (t("terms.deposits"), deposits or t("terms.none")),
        (t("terms.usage"), version.usage_restrictions or t("terms.none")),
        (t("terms.clauses"), version.special_clauses or t("terms.none")),
    ]


def _kind(kind: str) -> str:
    return {
        "rent": t("kind.rent"),
        "property_fee": t("kind.property_fee"),
        "parking": t("kind.parking"),
        "advertising": t("kind.advertising"),
        "other": t("kind.other"),
    }[kind]


def _price(item: FeeItem) -> str:
    price = f"{item.price:,}"
    return {
        "per_m2_per_day": t("pricing.per_sqm_day", price=price),
        "per_m2_per_month": t("pricing.per_sqm_month", price=price),
        "fixed_per_month": t("pricing.fixed_month", price=price),
    }[item.pricing]


def _area(item: FeeItem) -> str:
    if item.pricing == "fixed_per_month":
        return "—"
    return {"gross": t("area.gross"), "net": t("area.net"), "rentable": t("area.rentable")}[
        item.area_type
    ]


def _escalation(item: FeeItem) -> str:
    rule = item.escalation
    if isinstance(rule, StepTable):
        return "; ".join(
            t("escalation.step", date=s.from_date.isoformat(), price=f"{s.price:,}")
            for s in rule.steps
        )
    if isinstance(rule, PeriodicEscalation):
        if rule.by == "percent":
            text = t("escalation.percent", months=rule.every_months, value=rule.value)
        else:
            text = t("escalation.amount", months=rule.every_months, value=rule.value)
        return text + (t("escalation.compound") if rule.compound else "")
    return "—"


def _free_rent(terms: ContractTerms) -> str:
    windows = [
        t(
            "terms.free_window",
            start=w.start.isoformat(),
            end=w.end.isoformat(),
            items=", ".join(w.items) if w.items is not None else t("kind.rent"),
        )
        for w in terms.free_rent
    ]
    return "\n".join(windows) or t("terms.none")


def _cycle(cycle: str) -> str:
    return {
        "monthly": t("cycle.monthly"),
        "quarterly": t("cycle.quarterly"),
        "half_yearly": t("cycle.half_yearly"),
        "yearly": t("cycle.yearly"),
    }[cycle]


def _due(terms: ContractTerms) -> str:
    rule = terms.due
    return {
        "days_before_start": t("due.days_before_start", days=rule.days),
        "day_of_month_before": t("due.day_of_month_before", day=rule.day),
        "day_of_start_month": t("due.day_of_start_month", day=rule.day),
    }[rule.rule]


def _proration(proration: str) -> str:
    return {
        "actual_days": t("proration.actual_days"),
        "thirty_day": t("proration.thirty_day"),
    }[proration]


def schedule_block(schedule: Schedule, *, stored: bool) -> None:
    """A charge schedule with its total; stored charges also say whether they are posted."""
    with section(t("schedule.title")):
        subtitle = t("schedule.stored") if stored else t("schedule.compiled")
        ui.label(f"{subtitle} · {t('schedule.total', amount=cny(schedule.total))}").classes(
            "text-grey-7"
        )
        columns = [
            column("due", t("schedule.due")),
            column("period", t("schedule.period")),
            column("item", t("terms.item")),
            column("amount", t("schedule.amount"), align="right"),
        ]
        if stored:
            columns.append(column("posted", t("schedule.posted")))
        rows = [
            {
                "key": f"{row.item}@{row.period_start}",
                "due": row.due_date.isoformat(),
                "period": f"{row.period_start} ~ {row.period_end}",
                "item": row.item,
                "amount": cny(row.amount),
                "posted": "✓" if row.posted else "",
            }
            for row in schedule.rows
        ]
        table(columns, rows, t("schedule.none"))


def diff_block(diff: ScheduleDiff) -> None:
    """What signing the open amendment changes in the stored charges."""
    with section(t("diff.title", date=diff.effective_from.isoformat())):
        totals = t(
            "diff.totals",
            old=cny(diff.old_total),
            new=cny(diff.new_total),
            difference=cny(diff.difference),
        )
        ui.label(totals).classes("text-grey-7")
        change = {"added": t("diff.added"), "removed": t("diff.removed")}
        change["changed"] = t("diff.changed")
        rows = [
            {
                "key": f"{line.item}@{line.period_start}",
                "change": change[line.change],
                "period": f"{line.period_start} ~ {line.period_end}",
                "item": line.item,
                "old": cny(line.old_amount) if line.old_amount is not None else "—",
                "new": cny(line.new_amount) if line.new_amount is not None else "—",
                "applied": t("diff.regenerated") if line.applied else t("diff.kept"),
            }
            for line in diff.lines
        ]
        columns = [
            column("change", t("diff.change")),
            column("period", t("schedule.period")),
            column("item", t("terms.item")),
            column("old", t("diff.old"), align="right"),
            column("new", t("diff.new"), align="right"),
            column("applied", t("diff.applied")),
        ]
        table(columns, rows, t("diff.none"))


def approvals_block(version: VersionRead, zone: tzinfo) -> None:
    decisions = {"approved": t("decision.approved"), "rejected": t("decision.rejected")}
    with section(t("approvals.title")):
        rows = [
            {
                "key": f"{a.approval_round}.{a.step}.{a.decision}",
                "step": f"{a.approval_round}/{a.step} {role_label(a.role)}",
                "decision": decisions[a.decision],
                "who": a.display_name,
                "when": local_time(a.decided_at, zone),
                "reason": a.reason,
            }
            for a in version.approvals
        ]
        columns = [
            column("step", t("approvals.step")),
            column("decision", t("approvals.decision")),
            column("who", t("approvals.who")),
            column("when", t("approvals.when")),
            column("reason", t("approvals.reason")),
        ]
        table(columns, rows, t("approvals.none"))


def settlement_block(settlement: SettlementRead) -> None:
    kinds = {
        "outstanding": t("line.outstanding"),
        "credit": t("line.credit"),
        "penalty": t("line.penalty"),
        "deposit": t("line.deposit"),
    }
    with section(t("settlement.title", date=settlement.last_day.isoformat())):
        ui.label(settlement.reason).classes("text-grey-7")
        rows = [
            {
                "key": str(i),
                "kind": kinds[line.kind],
                "item": line.item if line.kind != "penalty" else "",
                "period": f"{line.period_start} ~ {line.period_end}" if line.period_start else "",
                "amount": cny(line.amount),
            }
            for i, line in enumerate(settlement.lines)
        ]
        columns = [
            column("kind", t("settlement.kind")),
            column("item", t("terms.item")),
            column("period", t("schedule.period")),
            column("amount", t("schedule.amount"), align="right"),
        ]
        table(columns, rows, t("schedule.none"))
        if settlement.total >= 0:
            total = t("settlement.pays", amount=cny(settlement.total))
        else:
            total = t("settlement.refund", amount=cny(-settlement.total))
        ui.label(total).classes("text-lg font-medium tabular")
