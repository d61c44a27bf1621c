"""Contracts to act on: units U-201..U-203 of org `acme` let to nobody, terms to put on them,
and a way to walk a contract to signed. Business "today" is fixed at 2026-03-02 unless a test
moves it (`today` fixture)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing.contracts import drafts, lifecycle
from cloud.leasing.contracts.models import Contract, ContractCharge
from cloud.leasing.contracts.schemas import ContractCreate, Deposit
from cloud.leasing.terms_schemas import ContractTerms
from cloud.properties.models import Unit
from tests.cloud.factories import World

UNIT_AREAS = {
    "U-201": ("120", "90", "100"),
    "U-202": ("60", "45", "50"),
    "U-203": ("60", "45", "50"),
}


def unit(code: str) -> dict[str, str]:
    gross, net, rentable = UNIT_AREAS[code]
    return {"code": code, "gross": gross, "net": net, "rentable": rentable}


def terms(**overrides: Any) -> ContractTerms:
    """2026 on U-201 (100 m² rentable): rent 100/m²/month = 10000 a month and a property fee
    of 1000 a month, quarterly, due on the first day of each quarter."""
    base: dict[str, Any] = {
        "lease_start": "2026-01-01",
        "rent_start": "2026-01-01",
        "end": "2026-12-31",
        "units": [unit("U-201")],
        "fee_items": [
            {"name": "rent", "kind": "rent", "pricing": "per_m2_per_month", "price": "100"},
            {
                "name": "property fee",
                "kind": "property_fee",
                "pricing": "fixed_per_month",
                "price": "1000",
            },
        ],
        "payment_cycle": "quarterly",
        "due": {"rule": "days_before_start", "days": 0},
    }
    return ContractTerms.model_validate(base | overrides)


def draft(**overrides: Any) -> ContractCreate:
    values: dict[str, Any] = {
        "tenant_code": "TA",
        "terms": terms(),
        "electricity_tariff": Decimal("1.2500"),
        "deposits": [
            Deposit(item="rent", amount=Decimal("20000.00")),
            Deposit(item="property fee", amount=Decimal("2000.00")),
        ],
        "usage_restrictions": "办公 office use only",
    }
    return ContractCreate.model_validate(values | overrides)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Set the business today every service sees."""

    def move(day: date) -> None:
        monkeypatch.setattr(identity_service, "org_today", lambda **_: day)

    move(date(2026, 3, 2))
    return move


def add_free_units(session: Session, world: World) -> World:
    """Units U-201..U-203 in the world's org, with no lease."""
    building_id = world.units["U-101"].building_id
    for code in UNIT_AREAS:
        free = Unit(
            org_id=world.org.id,
            building_id=building_id,
            code=code,
            floor_id=world.units["U-101"].floor_id,
            rentable_area_m2=Decimal(UNIT_AREAS[code][2]),
        )
        session.add(free)
        world.units[code] = free
    session.flush()
    return world


@pytest.fixture
def acme(session: Session, world: World, today: Callable[[date], None]) -> World:
    """The world, plus units U-201..U-203 of org acme with no lease."""
    add_free_units(session, world)
    session.commit()
    return world


Signer = Callable[..., Contract]


@pytest.fixture
def signed(session: Session, acme: World) -> Signer:
    """Create a contract as staff, approve it as admin (the default route) and sign it."""

    def make(**overrides: Any) -> Contract:
        staff, admin = acme.actors["staff"], acme.actors["admin"]
        contract = drafts.create_contract(session=session, actor=staff, data=draft(**overrides))
        walk_to_signed(session, contract.code, staff=staff, approver=admin)
        return contract

    return make


def walk_to_signed(session: Session, code: str, *, staff: Actor, approver: Actor) -> None:
    lifecycle.submit(session=session, actor=staff, code=code)
    lifecycle.approve(session=session, actor=approver, code=code)
    lifecycle.sign(session=session, actor=staff, code=code)


def post(charges: list[ContractCharge], *, until: date) -> None:
    """Mark the charges starting on or before `until` posted, as billing will."""
    for charge in charges:
        if charge.period_start <= until:
            charge.posted = True


def rows(charges: list[ContractCharge]) -> list[tuple[str, str, str, str, bool]]:
    return [
        (c.period_start.isoformat(), c.period_end.isoformat(), c.item, str(c.amount), c.posted)
        for c in charges
    ]
