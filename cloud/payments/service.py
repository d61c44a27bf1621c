"""Online payments: merchant accounts, a tenant's order for its bills, and the provider's signed
notifications, which post the payment to the ledger once per provider transaction."""

import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.db.base import utcnow
from cloud.errors import Conflict, Forbidden, Invalid, NotFound, ParkopsError
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.leasing.models import Tenant
from cloud.payments.models import (
    NotificationOutcome,
    OrderStatus,
    PaymentAccount,
    PaymentNotification,
    PaymentOrder,
)
from cloud.payments.providers import (
    PaymentProvider,
    ProviderAccount,
    ProviderError,
    provider_for,
)
from cloud.payments.schemas import AccountCreate, NotificationResult, OrderCreate
from protocols.payment_gateway import OrderState, SignatureError, TradeState, fen_to_yuan

NOTIFY_PATH = "/api/v1/payments/notify/{app_id}"
FINANCE = (Role.admin, Role.finance)
MAX_NOTIFICATION_BYTES = 64 * 1024  # a real one is under 2 KB; more is not a provider's
ProviderFactory = Callable[[ProviderAccount], PaymentProvider]


class GatewayUnavailable(ParkopsError):
    """The payment provider could not be reached or refused the call."""

    status_code = 502


def create_account(*, session: Session, actor: Actor, data: AccountCreate) -> PaymentAccount:
    """Register the org's merchant account at a provider (admin only)."""
    require_role(actor, Role.admin)
    poster = session.scalar(
        select(User).where(User.org_id == actor.org_id, User.username == data.posted_by)
    )
    if poster is None or poster.role not in FINANCE:
        raise Invalid(f"{data.posted_by} is not a finance user of this org", field="posted_by")
    if session.scalar(select(PaymentAccount.id).where(PaymentAccount.app_id == data.app_id)):
        raise Conflict(f"app id {data.app_id} is registered already")
    account = PaymentAccount(
        org_id=actor.org_id,
        posted_by_id=poster.id,
        **data.model_dump(exclude={"posted_by"}),
    )
    session.add(account)
    session.flush()
    return account


def list_accounts(*, session: Session, actor: Actor) -> list[PaymentAccount]:
    require_role(actor, *FINANCE, Role.tenant)
    stmt = select(PaymentAccount).where(PaymentAccount.org_id == actor.org_id)
    return list(session.scalars(stmt.order_by(PaymentAccount.code)))


def create_order(
    *,
    session: Session,
    actor: Actor,
    data: OrderCreate,
    provider: ProviderFactory = provider_for,
) -> PaymentOrder:
    """An online order for the tenant's own open bills (all of them when none are named), for
    their outstanding total or a smaller amount; the provider's pay URL comes back on it."""
    tenant_id = _tenant_of(session=session, actor=actor, tenant_code=data.tenant_code)
    items = ledger.open_items(session=session, actor=actor, tenant_id=tenant_id)
    codes = {item.bill_code for item in items if item.bill_code}
    unknown = sorted(set(data.bill_codes) - codes)
    if unknown:
        raise Invalid(f"no open bill {', '.join(unknown)} of this tenant", field="bill_codes")
    chosen = [i for i in items if not data.bill_codes or i.bill_code in data.bill_codes]
    due = sum((item.outstanding for item in chosen), Decimal("0.00"))
    amount = data.amount if data.amount is not None else due
    if amount <= 0:
        raise Invalid("nothing is outstanding to pay", field="amount")
    if amount > due:
        raise Invalid(f"amount {amount} is more than the {due} outstanding", field="amount")
    account = _account(session=session, actor=actor, code=data.account_code)
    order = PaymentOrder(
        org_id=actor.org_id,
        tenant_id=tenant_id,
        account_id=account.id,
        out_trade_no=f"PO{utcnow():%Y%m%d}{secrets.token_hex(6).upper()}",
        amount=ledger.money(amount),
        bill_codes=sorted(data.bill_codes),
        created_by_id=actor.user_id,
    )
    session.add(order)
    session.flush()
    try:
        created = provider(_provider_account(account)).create_order(
            out_trade_no=order.out_trade_no,
            amount=order.amount,
            description=f"{order.tenant.name} {' '.join(order.bill_codes) or 'bills'}",
            notify_url=account.notify_base_url.rstrip("/")
            + NOTIFY_PATH.format(app_id=account.app_id),
        )
    except ProviderError as error:
        raise GatewayUnavailable(str(error)) from None
    order.pay_url, order.qr_payload = created.pay_url, created.qr_payload
    session.flush()
    return order


def get_order(*, session: Session, actor: Actor, out_trade_no: str) -> PaymentOrder:
    """An order the actor may see: its own tenant's, or any of the org's for finance."""
    require_role(actor, *FINANCE, Role.staff, Role.tenant)
    order = session.scalar(
        select(PaymentOrder).where(
            PaymentOrder.org_id == actor.org_id, PaymentOrder.out_trade_no == out_trade_no
        )
    )
    if order is None or (actor.is_tenant and order.tenant_id != actor.tenant_id):
        raise NotFound(f"no payment order {out_trade_no}")
    return order


def list_orders(*, session: Session, actor: Actor, limit: int = 200) -> list[PaymentOrder]:
    require_role(actor, *FINANCE, Role.staff, Role.tenant)
    stmt = select(PaymentOrder).where(PaymentOrder.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(PaymentOrder.tenant_id == actor.tenant_id)
    return list(session.scalars(stmt.order_by(PaymentOrder.id.desc()).limit(limit)))


def refresh_order(
    *, session: Session, actor: Actor, out_trade_no: str, provider: ProviderFactory = provider_for
) -> PaymentOrder:
    """Ask the provider how an order stands and settle it as a notification would (for a
    notification that is late or lost)."""
    order = get_order(session=session, actor=actor, out_trade_no=out_trade_no)
    try:
        settle_from_provider(session=session, order=order, provider=provider)
    except ProviderError as error:
        raise GatewayUnavailable(str(error)) from None
    return order


def settle_from_provider(
    *, session: Session, order: PaymentOrder, provider: ProviderFactory = provider_for
) -> bool:
    """Query the provider about a pending order and apply the answer; whether it changed.
    Raises ProviderError when the provider cannot say."""
    if order.status != OrderStatus.pending:
        return False
    account = _provider_account(order.account)
    state = provider(account).query_order(out_trade_no=order.out_trade_no)
    if state is None:
        return False
    _lock(session, order.id)
    _settle(session, order, state)
    return order.status != OrderStatus.pending


def handle_notification(
    *,
    session: Session,
    app_id: str,
    body: bytes,
    headers: dict[str, str],
    provider: ProviderFactory = provider_for,
) -> NotificationResult:
    """Check a provider's notification and apply it once; every one is recorded with its
    outcome. Bad ones come back with accepted=False (the provider will redeliver)."""
    account = session.scalar(select(PaymentAccount).where(PaymentAccount.app_id == app_id))
    if account is None:
        raise NotFound(f"no payment account with app id {app_id}")
    record = PaymentNotification(
        org_id=account.org_id, account_id=account.id, body=body.decode(errors="replace")
    )
    if len(body) > MAX_NOTIFICATION_BYTES:
        record.body = record.body[:1000]
        return _finish(
            session, record, NotificationOutcome.rejected, f"body of {len(body)} bytes is too long"
        )
    try:
        notification = provider(_provider_account(account)).parse_notification(
            body=body, headers=headers
        )
    except (SignatureError, ValueError) as error:
        return _finish(session, record, NotificationOutcome.rejected, f"bad notification: {error}")
    state = notification.resource
    record.notification_id = notification.id[:64]
    record.transaction_id = state.transaction_id
    record.trade_state = state.trade_state.value
    order = session.scalar(
        select(PaymentOrder).where(
            PaymentOrder.account_id == account.id, PaymentOrder.out_trade_no == state.out_trade_no
        )
    )
    if order is None or state.app_id != app_id:
        return _finish(
            session, record, NotificationOutcome.rejected, f"no order {state.out_trade_no}"
        )
    record.order_id = order.id
    _lock(session, order.id)
    try:
        outcome, reason = _settle(session, order, state)
    except (Conflict, Invalid) as error:
        return _finish(session, record, NotificationOutcome.rejected, str(error))
    return _finish(session, record, outcome, reason)


def list_notifications(
    *, session: Session, actor: Actor, limit: int = 100
) -> list[PaymentNotification]:
    require_role(actor, *FINANCE)
    stmt = select(PaymentNotification).where(PaymentNotification.org_id == actor.org_id)
    return list(session.scalars(stmt.order_by(PaymentNotification.id.desc()).limit(limit)))


def _settle(
    session: Session, order: PaymentOrder, state: OrderState
) -> tuple[NotificationOutcome, str]:
    """Apply what the provider says of `order` (locked by the caller); what it changed."""
    if state.trade_state != TradeState.success:
        # A late "not paid yet" never undoes a payment; "closed" only closes a pending order.
        if state.trade_state == TradeState.closed and order.status == OrderStatus.pending:
            order.status = OrderStatus.closed
            return NotificationOutcome.applied, "closed unpaid"
        return NotificationOutcome.ignored, f"{state.trade_state.value} changes nothing"
    if fen_to_yuan(state.amount_fen) != order.amount:
        raise Invalid(f"paid {fen_to_yuan(state.amount_fen)}, the order is for {order.amount}")
    if not state.transaction_id:
        raise Invalid("a successful payment without a transaction id")
    if order.status == OrderStatus.paid:
        if order.transaction_id == state.transaction_id:
            return NotificationOutcome.duplicate, "already applied"
        raise Conflict(
            f"order {order.out_trade_no} was paid by {order.transaction_id}; "
            f"{state.transaction_id} is a second payment to refund"
        )
    paid_at = datetime.fromisoformat(state.paid_at) if state.paid_at else utcnow()
    entry = ledger.receive_payment(
        session=session,
        actor=_poster(session, order.account),
        tenant_id=order.tenant_id,
        amount=order.amount,
        received_on=paid_at.astimezone(ZoneInfo(_org_zone(session, order))).date(),
        method=order.account.channel.value,
        reference=f"{order.out_trade_no} {state.transaction_id}",
        # The provider's transaction id: a redelivery, a query and a notification agree on it.
        idempotency_key=f"{order.account.channel.value}:{state.transaction_id}",
        bill_codes=order.bill_codes,
    )
    order.status, order.transaction_id = OrderStatus.paid, state.transaction_id
    order.paid_at, order.ledger_entry_id = paid_at, entry.id
    session.flush()
    return NotificationOutcome.applied, f"payment of {order.amount} posted"


def _finish(
    session: Session, record: PaymentNotification, outcome: NotificationOutcome, reason: str
) -> NotificationResult:
    record.outcome, record.reason = outcome, reason
    session.add(record)  # only now: an autoflush must not write it half filled
    session.flush()
    return NotificationResult(
        accepted=outcome != NotificationOutcome.rejected, outcome=outcome, message=reason
    )


def _lock(session: Session, order_id: int) -> None:
    """Serialise notifications of one order: the second waits, then sees the first's result."""
    stmt = select(PaymentOrder).where(PaymentOrder.id == order_id).with_for_update(of=PaymentOrder)
    session.scalar(stmt.execution_options(populate_existing=True))


def _poster(session: Session, account: PaymentAccount) -> Actor:
    user = session.get_one(User, account.posted_by_id)
    if not user.active or user.role not in FINANCE:
        raise Conflict(f"{user.username} may no longer post payments of account {account.code}")
    return Actor.of(user)


def _org_zone(session: Session, order: PaymentOrder) -> str:
    return identity_service.get_org(session=session, actor=_poster(session, order.account)).timezone


def _account(*, session: Session, actor: Actor, code: str | None) -> PaymentAccount:
    accounts = [a for a in list_accounts(session=session, actor=actor) if a.active]
    chosen = [a for a in accounts if code is None or a.code == code]
    if not chosen:
        raise NotFound(f"no active payment account {code or ''}".strip())
    return chosen[0]


def _tenant_of(*, session: Session, actor: Actor, tenant_code: str | None) -> int:
    if actor.is_tenant:
        assert actor.tenant_id is not None
        if tenant_code is not None:
            own = session.get_one(Tenant, actor.tenant_id)
            if own.code != tenant_code:
                raise Forbidden(f"{actor.username} may only pay its own bills")
        return actor.tenant_id
    require_role(actor, *FINANCE)
    tenant = session.scalar(
        select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.code == tenant_code)
    )
    if tenant is None:
        raise Invalid(f"no tenant {tenant_code}", field="tenant_code")
    return tenant.id


def _provider_account(account: PaymentAccount) -> ProviderAccount:
    return ProviderAccount(
        channel=account.channel.value,
        app_id=account.app_id,
        gateway_url=account.gateway_url,
        merchant_private_pem=account.merchant_private_pem,
        gateway_public_pem=account.gateway_public_pem,
    )
