"""A meter replaced (换表) or rolled over inside a period: recorded with the old register's final
and the new one's initial value, the run bills the energy across the break; unrecorded, the
lease is left out with a warning that says what to record."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from cloud.billing import metering, runs, service
from cloud.db.base import utcnow
from cloud.energy import service as energy_service
from cloud.energy.models import Reading
from cloud.energy.schemas import ExchangeCreate, ExchangeKind
from cloud.errors import Conflict, Forbidden, Invalid
from tests.cloud.billing.conftest import MARCH, utc
from tests.cloud.factories import World, add_readings
from tests.cloud.identity.test_api import login

D = Decimal
EXCHANGE = ExchangeCreate(at=utc(2026, 3, 10, 1), final_value=D("508.2"), initial_value=D("0"))


@pytest.fixture
def replaced(session: Session, march: World) -> World:
    """M-102 (CT 1, 1.2000/kWh) counts 500.0 -> 508.0 -> 508.2 until its exchange on
    10 March; the new meter starts at 0 and shows 4.145 at the end of March."""
    meter = march.meters["M-102"]
    session.execute(delete(Reading).where(Reading.device_id == meter.id))
    add_readings(
        session,
        meter,
        [(utc(2026, 2, 28, 16), 500.0), (utc(2026, 3, 10), 508.0), (utc(2026, 3, 31, 16), 4.145)],
    )
    session.commit()
    return march


def test_without_the_exchange_the_lease_waits_with_a_warning(
    session: Session, replaced: World
) -> None:
    preview = runs.preview_run(session=session, actor=replaced.actors["finance"], **MARCH)
    assert ("电费", "U-102") not in {(line.item, line.unit_code) for line in preview.lines}
    [warning] = [w for w in preview.warnings if "M-102" in w]
    assert "went down from 500.0 to 4.145" in warning and "record the exchange" in warning


def test_with_the_exchange_the_energy_across_it_is_billed(
    session: Session, replaced: World
) -> None:
    energy_service.record_exchange(
        session=session, actor=replaced.actors["engineer"], meter_code="M-102", data=EXCHANGE
    )
    preview = runs.preview_run(session=session, actor=replaced.actors["finance"], **MARCH)
    line = next(x for x in preview.lines if (x.item, x.unit_code) == ("电费", "U-102"))
    # (508.2 - 500.0) on the old register + (4.145 - 0) on the new = 12.345 -> 12.35 kWh x 1.2
    assert (line.detail["kwh"], line.amount) == ("12.35", D("14.82"))
    assert line.detail["exchanges"] == "2026-03-10 09:00 旧表止码 508.2 新表起码 0"
    charge = service.electricity_charge(
        session=session, actor=replaced.actors["finance"], lease_code="HT-2026-0002", **MARCH
    )
    assert (charge.kwh, charge.exchanges) == (D("12.35"), 1)


def test_an_exchange_outside_the_readings_changes_nothing(
    session: Session, replaced: World
) -> None:
    """Before the opening reading the break belongs to an earlier period."""
    early = EXCHANGE.model_copy(update={"at": utc(2026, 2, 1)})
    energy_service.record_exchange(
        session=session, actor=replaced.actors["engineer"], meter_code="M-102", data=early
    )
    preview = runs.preview_run(session=session, actor=replaced.actors["finance"], **MARCH)
    assert ("电费", "U-102") not in {(line.item, line.unit_code) for line in preview.lines}


def test_who_records_an_exchange_and_what_is_refused(session: Session, replaced: World) -> None:
    record = energy_service.record_exchange
    for role in ("finance", "tenant"):
        with pytest.raises(Forbidden):
            record(session=session, actor=replaced.actors[role], meter_code="M-102", data=EXCHANGE)
    engineer = replaced.actors["engineer"]
    future = EXCHANGE.model_copy(update={"at": utcnow() + timedelta(hours=1)})
    with pytest.raises(Invalid, match="in the future"):
        record(session=session, actor=engineer, meter_code="M-102", data=future)
    record(session=session, actor=engineer, meter_code="M-102", data=EXCHANGE)
    with pytest.raises(Conflict, match="has an exchange at"):
        record(session=session, actor=engineer, meter_code="M-102", data=EXCHANGE)
    [kept] = energy_service.list_exchanges(session=session, actor=engineer, meter_code="M-102")
    assert (kept.kind, kept.offset) == (ExchangeKind.replaced, D("508.2"))


def test_time_of_use_reads_one_unbroken_count() -> None:
    """The readings after a break continue the old count; the rise spans the break once."""
    at = utc(2026, 3, 10, 1)
    points = [
        metering.Point(utc(2026, 3, 10), D("508.0")),
        metering.Point(utc(2026, 3, 10, 2), D("0.5")),
        metering.Point(utc(2026, 3, 10, 3), D("1.5")),
    ]
    broken = [metering.Break(at, D("508.2"), D("0"))]
    continued = metering.continued(points, broken)
    assert [p.value for p in continued] == [D("508.0"), D("508.7"), D("509.7")]
    rise, between = metering.register_rise(points[0], points[-1], broken)
    assert (rise, between) == (D("1.7"), broken)


async def test_rest_records_and_lists_exchanges(
    session: Session, replaced: World, client: httpx.AsyncClient
) -> None:
    body = {"at": "2026-03-10T09:00:00+08:00", "final_value": "508.2", "initial_value": "0"}
    url = "/api/v1/meters/M-102/exchanges"
    engineer = await login(client, replaced.username("engineer"))
    created = await client.post(url, json=body, headers=engineer)
    assert created.status_code == 201, created.text
    again = await client.post(url, json=body, headers=engineer)
    assert again.status_code == 409 and "has an exchange at" in again.text
    negative = await client.post(url, json={**body, "final_value": "-1"}, headers=engineer)
    assert negative.status_code == 422 and "final_value" in negative.text
    assert (
        await client.post(url, json=body, headers=await login(client, replaced.username("finance")))
    ).status_code == 403
    [listed] = (await client.get(url, headers=engineer)).json()
    assert (listed["kind"], listed["final_value"]) == ("replaced", "508.200")
