"""Bank reconciliation: statement lines matched to tenants by amount, payer name and reference
with a confidence; confident matches are posted at once, the rest wait for a person."""

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant
from cloud.payments.models import BankStatement, LineStatus, StatementLine
from cloud.payments.schemas import ColumnMapping, LineDecision, LineRead, StatementImported
from cloud.payments.statements import StatementRow, parse_statement

FINANCE = (Role.admin, Role.finance)
CONFIDENT = Decimal("0.75")
"""Posted without a person at or above this, when no other tenant comes within MARGIN."""
MARGIN = Decimal("0.2")
SUGGEST_FROM = Decimal("0.3")
"""Below this (an amount that fits what someone owes, and nothing else) no tenant is named."""
# What each kind of evidence adds to a match's confidence.
NAME_EXACT, NAME_CLOSE = Decimal("0.45"), Decimal("0.30")
BILL_IN_REFERENCE, CODE_IN_REFERENCE = Decimal("0.40"), Decimal("0.20")
AMOUNT_EXACT, AMOUNT_WITHIN = Decimal("0.35"), Decimal("0.10")
_COMPANY_SUFFIXES = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|公司|co\.?,?|ltd\.?|inc\.?|\s)", re.I
)


@dataclass
class Candidate:
    """A tenant a line might come from, with what it owes."""

    tenant: Tenant
    bill_dues: dict[str, Decimal]
    item_dues: set[Decimal]
    outstanding: Decimal


@dataclass
class Match:
    tenant_id: int | None = None
    confidence: Decimal = Decimal("0")
    reasons: list[str] = field(default_factory=list)


def import_statement(
    *, session: Session, actor: Actor, filename: str, content: bytes, mapping: ColumnMapping
) -> StatementImported:
    """Read a statement, add the lines not seen before, and match them. The same file a second
    time, or a line already imported from another file, adds nothing."""
    require_role(actor, *FINANCE)
    sha = hashlib.sha256(content).hexdigest()
    parsed = parse_statement(filename=filename, content=content, mapping=mapping)
    known = session.scalar(
        select(BankStatement).where(
            BankStatement.org_id == actor.org_id, BankStatement.sha256 == sha
        )
    )
    if known is not None:
        return StatementImported(
            statement_id=known.id,
            filename=filename,
            already_imported=True,
            rows_read=parsed.rows_read,
            lines_added=0,
            lines_seen_before=len(parsed.lines),
            matched=0,
            queued=0,
            bad_rows=parsed.bad_rows,
        )
    fresh = _unseen(session, actor.org_id, parsed.lines)
    statement = BankStatement(
        org_id=actor.org_id,
        filename=filename[:200],
        sha256=sha,
        rows_read=parsed.rows_read,
        lines_added=len(fresh),
        bad_rows=[bad.model_dump() for bad in parsed.bad_rows],
        imported_by_id=actor.user_id,
    )
    session.add(statement)
    session.flush()
    candidates = _candidates(session=session, actor=actor)
    matched = 0
    for row in fresh:
        line = _add_line(session, statement, row, best_match(row, candidates))
        if line.status == LineStatus.matched:
            _post(session=session, actor=actor, line=line, tenant_id=line.suggested_tenant_id)
            matched += 1
            candidates = _candidates(session=session, actor=actor)  # what is owed has changed
    return StatementImported(
        statement_id=statement.id,
        filename=filename,
        already_imported=False,
        rows_read=parsed.rows_read,
        lines_added=len(fresh),
        lines_seen_before=len(parsed.lines) - len(fresh),
        matched=matched,
        queued=len(fresh) - matched,
        bad_rows=parsed.bad_rows,
    )


def best_match(row: StatementRow, candidates: list[Candidate]) -> Match:
    """The likeliest tenant of a line and how sure that is (0..1), with the reasons."""
    scored = sorted((_score(row, c) for c in candidates), key=lambda m: m.confidence, reverse=True)
    if not scored or scored[0].confidence == 0:
        return Match(reasons=["no tenant matches amount, payer or reference"])
    best = scored[0]
    runner_up = scored[1].confidence if len(scored) > 1 else Decimal(0)
    if best.confidence < SUGGEST_FROM or best.confidence == runner_up:
        return Match(confidence=best.confidence, reasons=["too little to suggest a tenant"])
    if len(scored) > 1 and best.confidence - scored[1].confidence < MARGIN:
        best.reasons.append("another tenant matches almost as well")
        best.confidence = min(best.confidence, CONFIDENT - Decimal("0.01"))
    return best


def _score(row: StatementRow, candidate: Candidate) -> Match:
    match = Match(tenant_id=candidate.tenant.id)
    payer, name = _bare(row.payer_name), _bare(candidate.tenant.name)
    if payer and payer == name:
        match.confidence += NAME_EXACT
        match.reasons.append("payer name is the tenant's")
    elif payer and name and SequenceMatcher(None, payer, name).ratio() >= 0.8:
        match.confidence += NAME_CLOSE
        match.reasons.append("payer name is close to the tenant's")
    reference = row.reference.upper()
    bills = [code for code in candidate.bill_dues if _names(reference, code)]
    if bills:
        match.confidence += BILL_IN_REFERENCE
        match.reasons.append(f"reference names bill {', '.join(bills)}")
    elif _names(reference, candidate.tenant.code):
        match.confidence += CODE_IN_REFERENCE
        match.reasons.append("reference names the tenant's code")
    exact = {candidate.outstanding, *candidate.item_dues, *candidate.bill_dues.values()}
    if row.amount in exact:
        match.confidence += AMOUNT_EXACT
        match.reasons.append("amount equals what is owed")
    elif Decimal(0) < row.amount <= candidate.outstanding:
        match.confidence += AMOUNT_WITHIN
        match.reasons.append("amount is within what is owed")
    match.confidence = min(match.confidence, Decimal("1.000"))
    return match


def list_lines(*, session: Session, actor: Actor, queued_only: bool = False) -> list[LineRead]:
    require_role(actor, *FINANCE)
    stmt = select(StatementLine).where(StatementLine.org_id == actor.org_id)
    if queued_only:
        stmt = stmt.where(StatementLine.status == LineStatus.queued)
    lines = list(session.scalars(stmt.order_by(StatementLine.booked_on.desc(), StatementLine.id)))
    return [_read(line, _codes(session, actor)) for line in lines]


def decide(*, session: Session, actor: Actor, line_id: int, data: LineDecision) -> LineRead:
    """A person confirms the suggestion, assigns the line to another tenant, or dismisses it."""
    require_role(actor, *FINANCE)
    line = session.scalar(
        select(StatementLine)
        .where(StatementLine.org_id == actor.org_id, StatementLine.id == line_id)
        .with_for_update()
    )
    if line is None:
        raise NotFound(f"no statement line {line_id}")
    if line.status != LineStatus.queued:
        raise Conflict(f"statement line {line_id} is {line.status.value} already")
    line.decided_by_id = actor.user_id
    if data.dismiss:
        line.status = LineStatus.dismissed
    else:
        tenant_id = line.suggested_tenant_id
        if data.tenant_code is not None:
            tenant_id = session.scalar(
                select(Tenant.id).where(
                    Tenant.org_id == actor.org_id, Tenant.code == data.tenant_code
                )
            )
            if tenant_id is None:
                raise Invalid(f"no tenant {data.tenant_code}", field="tenant_code")
        if tenant_id is None:
            raise Invalid("no tenant suggested: name one", field="tenant_code")
        line.status = LineStatus.confirmed
        _post(session=session, actor=actor, line=line, tenant_id=tenant_id)
    session.flush()
    return _read(line, _codes(session, actor))


def _post(*, session: Session, actor: Actor, line: StatementLine, tenant_id: int | None) -> None:
    """Post the line as the tenant's payment, onto the bills its reference names first."""
    assert tenant_id is not None
    reference = line.reference.upper()
    named = {
        item.bill_code
        for item in ledger.open_items(session=session, actor=actor, tenant_id=tenant_id)
        if item.bill_code and _names(reference, item.bill_code)
    }
    entry = ledger.receive_payment(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        amount=line.amount,
        received_on=line.booked_on,
        method="bank_transfer",
        reference=f"{line.payer_name} {line.reference}".strip()[:200],
        idempotency_key=f"bank:{line.fingerprint}",
        bill_codes=named,
    )
    line.tenant_id, line.ledger_entry_id = tenant_id, entry.id


def _unseen(session: Session, org_id: int, rows: list[StatementRow]) -> list[StatementRow]:
    prints = [row.fingerprint for row in rows]
    seen = set(
        session.scalars(
            select(StatementLine.fingerprint).where(
                StatementLine.org_id == org_id, StatementLine.fingerprint.in_(prints)
            )
        )
    )
    return [row for row in rows if row.fingerprint not in seen]


def _add_line(
    session: Session, statement: BankStatement, row: StatementRow, match: Match
) -> StatementLine:
    confident = match.tenant_id is not None and match.confidence >= CONFIDENT
    line = StatementLine(
        org_id=statement.org_id,
        statement_id=statement.id,
        row_no=row.row_no,
        fingerprint=row.fingerprint,
        booked_on=row.booked_on,
        amount=row.amount,
        payer_name=row.payer_name,
        reference=row.reference,
        bank_txn_id=row.bank_txn_id,
        status=LineStatus.matched if confident else LineStatus.queued,
        suggested_tenant_id=match.tenant_id,
        confidence=match.confidence.quantize(Decimal("0.001")),
        match_reasons=match.reasons,
    )
    session.add(line)
    session.flush()
    return line


def _candidates(*, session: Session, actor: Actor) -> list[Candidate]:
    tenants = session.scalars(
        select(Tenant).where(Tenant.org_id == actor.org_id).order_by(Tenant.id)
    )
    found = []
    for tenant in tenants:
        items = ledger.open_items(session=session, actor=actor, tenant_id=tenant.id)
        bills: dict[str, Decimal] = {}
        for item in items:
            if item.bill_code:
                bills[item.bill_code] = bills.get(item.bill_code, Decimal(0)) + item.outstanding
        found.append(
            Candidate(
                tenant=tenant,
                bill_dues=bills,
                item_dues={item.outstanding for item in items},
                outstanding=sum((item.outstanding for item in items), Decimal(0)),
            )
        )
    return found


def _names(reference: str, code: str) -> bool:
    """`reference` holds `code` as a whole word (ZD-A is not in ZD-A2)."""
    pattern = rf"(?<![A-Z0-9\-_.]){re.escape(code.upper())}(?![A-Z0-9\-_.])"
    return re.search(pattern, reference.upper()) is not None


def _bare(name: str) -> str:
    """A company name without its legal form and spaces, for comparing payer and tenant."""
    return _COMPANY_SUFFIXES.sub("", name).lower()


def _codes(session: Session, actor: Actor) -> dict[int, str]:
    stmt = select(Tenant.id, Tenant.code).where(Tenant.org_id == actor.org_id)
    return {tenant_id: code for tenant_id, code in session.execute(stmt)}


def _read(line: StatementLine, codes: dict[int, str]) -> LineRead:
    return LineRead(
        id=line.id,
        row_no=line.row_no,
        booked_on=line.booked_on,
        amount=line.amount,
        payer_name=line.payer_name,
        reference=line.reference,
        bank_txn_id=line.bank_txn_id,
        status=line.status,
        confidence=line.confidence,
        match_reasons=line.match_reasons,
        suggested_tenant_code=codes.get(line.suggested_tenant_id or 0),
        tenant_code=codes.get(line.tenant_id or 0),
    )
