"""The seam to the deposit ledger: fit-outs and move-outs record deposit amounts here, and a
ledger (built by billing) plugs in behind `DepositLedger` to post them as entries."""

from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session


class DepositLedger(Protocol):
    """Where deposit movements go once the deposit ledger exists."""

    def received(
        self, session: Session, *, org_id: int, tenant_id: int, amount: Decimal, reference: str
    ) -> None: ...

    def settled(
        self,
        session: Session,
        *,
        org_id: int,
        tenant_id: int,
        deducted: Decimal,
        refunded: Decimal,
        reference: str,
    ) -> None: ...


class RecordedOnly:
    """No ledger yet: the amounts stay recorded on the fit-out or move-out alone."""

    def received(
        self, session: Session, *, org_id: int, tenant_id: int, amount: Decimal, reference: str
    ) -> None:
        return None

    def settled(
        self,
        session: Session,
        *,
        org_id: int,
        tenant_id: int,
        deducted: Decimal,
        refunded: Decimal,
        reference: str,
    ) -> None:
        return None


RECORDED_ONLY: DepositLedger = RecordedOnly()
