"""Contract-term compiler: 10,000 five-year contracts with escalations and free rent, and the
scaling of the time per contract from 1,000 to 10,000 (`PARKOPS_BENCH_LEASE_CONTRACTS` sets another
size; the smaller run is always a tenth).

The contracts are drawn from a fixed seed, so every run compiles the same ones: one to three
units; rent per m² per day with a 3-6% escalation every 12 months (simple or compound), a
property fee per m² per month with a step table, parking at a fixed monthly price; one to three
months rent-free from rent start and sometimes a second window later; every payment cycle,
due rule and proration convention. The compiler is pure single-threaded Python, so the
per-contract figures and the scaling are taken in this process's CPU time, which other work on
the machine barely moves (wall-clock time is shown too); the 10,000 run in chunks of 1,000, and
the table shows how far the chunks spread. There is no physical limit to measure against;
beside the compile time the table shows what validating the same contracts' JSON costs.
"""

import json
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench._report import report, timed
from cloud.leasing.terms import add_months, compile_schedule, load_terms
from cloud.leasing.terms_schemas import ContractTerms

CONTRACTS = int(os.environ.get("PARKOPS_BENCH_LEASE_CONTRACTS", "10000"))
"""Smaller for a quick look (the CLI's test runs 1,000); the issue's figure is for 10,000."""
SMALL = CONTRACTS // 10
SEED = 20260301
CYCLES = ("monthly", "quarterly", "half_yearly", "yearly")
DUE_RULES = (
    {"rule": "days_before_start", "days": 15},
    {"rule": "day_of_month_before", "day": 25},
    {"rule": "day_of_start_month", "day": 5},
)


def contract_json(rng: random.Random, number: int) -> dict[str, Any]:
    """One five-year contract in the API's JSON shape."""
    lease_start = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
    rent_start = lease_start + timedelta(days=rng.choice((0, 15, 30, 45, 61)))
    end = add_months(lease_start, 60) - timedelta(days=1)
    units = [
        {
            "code": f"B{number % 7}-{floor:02d}-{number:05d}",
            "gross": str(Decimal(rng.randrange(5_000, 40_000)) / 100),
            "net": str(Decimal(rng.randrange(4_000, 30_000)) / 100),
            "rentable": str(Decimal(rng.randrange(4_500, 35_000)) / 100),
        }
        for floor in range(1, rng.randint(1, 3) + 1)
    ]
    free_start = rent_start
    free_end = add_months(free_start, rng.randint(1, 3)) - timedelta(days=1)
    free_rent: list[dict[str, Any]] = [
        {"start": free_start.isoformat(), "end": free_end.isoformat()}
    ]
    if rng.random() < 0.4:  # a second window in year three, for rent and parking
        later = add_months(rent_start, 26)
        free_rent.append(
            {
                "start": later.isoformat(),
                "end": (later + timedelta(days=rng.randint(10, 40))).isoformat(),
                "items": ["rent", "parking"],
            }
        )
    return {
        "code": f"HT-BENCH-{number:05d}",
        "lease_start": lease_start.isoformat(),
        "rent_start": rent_start.isoformat(),
        "end": end.isoformat(),
        "units": units,
        "fee_items": _fee_items(rng, lease_start),
        "free_rent": free_rent,
        "payment_cycle": rng.choice(CYCLES),
        "due": rng.choice(DUE_RULES),
        "proration": rng.choice(("actual_days", "thirty_day")),
    }


def _fee_items(rng: random.Random, lease_start: date) -> list[dict[str, Any]]:
    step_from = add_months(lease_start, 36)
    return [
        {
            "name": "rent",
            "kind": "rent",
            "pricing": "per_m2_per_day",
            "price": f"{rng.randint(250, 900) / 100:.2f}",
            "escalation": {
                "type": "periodic",
                "every_months": 12,
                "by": "percent",
                "value": str(rng.randint(3, 6)),
                "compound": rng.random() < 0.5,
            },
        },
        {
            "name": "property fee",
            "kind": "property_fee",
            "pricing": "per_m2_per_month",
            "area_type": "gross",
            "price": f"{rng.randint(1800, 3600) / 100:.2f}",
            "escalation": {
                "type": "steps",
                "steps": [
                    {"from": step_from.isoformat(), "price": f"{rng.randint(3600, 4200) / 100:.2f}"}
                ],
            },
        },
        {
            "name": "parking",
            "kind": "parking",
            "pricing": "fixed_per_month",
            "price": f"{rng.randint(3, 12) * 100}.00",
            "charged_from": "rent_start",
        },
    ]


def compile_all(contracts: list[ContractTerms]) -> int:
    """Compile every contract; the number of schedule rows made."""
    return sum(len(compile_schedule(terms)) for terms in contracts)


@dataclass
class Timing:
    """Wall-clock and CPU seconds of this process (CPU time barely moves when other work
    shares the machine, so the per-contract figures and the scaling use it)."""

    wall: float = 0.0
    cpu: float = 0.0
    chunks: list[float] = field(default_factory=list)  # CPU seconds per chunk


def compile_timed(contracts: list[ContractTerms], chunk: int) -> tuple[int, Timing]:
    """Compile every contract in runs of `chunk`; (rows made, how long it took)."""
    rows, timing = 0, Timing()
    for first in range(0, len(contracts), chunk):
        wall, cpu = time.perf_counter(), time.process_time()
        rows += compile_all(contracts[first : first + chunk])
        timing.chunks.append(time.process_time() - cpu)
        timing.wall += time.perf_counter() - wall
    timing.cpu = sum(timing.chunks)
    return rows, timing


def main() -> None:
    rng = random.Random(SEED)
    documents = [json.dumps(contract_json(rng, n)) for n in range(CONTRACTS)]
    contracts: list[ContractTerms] = []
    validate_s = timed(lambda: contracts.extend(load_terms(text) for text in documents))
    compile_all(contracts[:100])  # warm up
    _, small = compile_timed(contracts[:SMALL], SMALL)
    rows, full = compile_timed(contracts, SMALL)
    per_small_us, per_full_us = small.cpu / SMALL * 1e6, full.cpu / CONTRACTS * 1e6
    fastest, slowest = min(full.chunks) / SMALL * 1e6, max(full.chunks) / SMALL * 1e6
    ratio = per_full_us / per_small_us
    report(
        "lease-compile",
        [
            (f"compile {CONTRACTS:,} five-year contracts, wall clock", full.wall, "s"),
            ("  the same, CPU time", full.cpu, "s"),
            ("  contracts per CPU second", CONTRACTS / full.cpu, "contracts/s"),
            ("  schedule rows per CPU second", rows / full.cpu, "rows/s"),
            (f"CPU per contract, {SMALL:,} contracts", per_small_us, "µs"),
            (f"CPU per contract, {CONTRACTS:,} contracts", per_full_us, "µs"),
            (f"  its fastest {SMALL:,}", fastest, "µs"),
            (f"  its slowest {SMALL:,}", slowest, "µs"),
            (f"scaling {SMALL:,} → {CONTRACTS:,} (per-contract ratio)", ratio, ""),
            (f"for comparison: validate the {CONTRACTS:,} JSON documents", validate_s, "s"),
        ],
        {
            "contracts": CONTRACTS,
            "rows": rows,
            "compile_wall_s": round(full.wall, 3),
            "compile_cpu_s": round(full.cpu, 3),
            "contracts_per_s": round(CONTRACTS / full.wall),
            "contracts_per_cpu_s": round(CONTRACTS / full.cpu),
            "per_contract_cpu_us_1k": round(per_small_us, 1),
            "per_contract_cpu_us_10k": round(per_full_us, 1),
            "per_contract_cpu_us_10k_chunks": [round(fastest, 1), round(slowest, 1)],
            "scaling_ratio": round(ratio, 3),
            "validate_s": round(validate_s, 3),
        },
    )


if __name__ == "__main__":
    main()
