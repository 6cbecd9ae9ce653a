"""The figures the seed reports state, entered for the agencies and years they describe.

Seed 001 is Sở Ngoại vụ's report for 2021, seed 002 Sở Công Thương's for 2021, and seed 003 xã
Thuận Lộc's for 2022. The demo opens those years' cycles too, so that each seed's figures can be
read back exactly as the seed states them. Each record family keeps its figures in a module of
this package, with a `load(session=, rules=, iso_rules=, today=)` that returns what it added and
adds nothing when run again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from models import iso
from models.calendar import RuleSet

# The cycle years of the seed reports (before the demo's own last and current years).
SEED_YEARS = (2021, 2022)
# Agency code → the year its seed report covers.
SEED_AGENCIES = {"SNGV": 2021, "SCT": 2021, "XTHUANLOC": 2022}

Loader = Callable[..., dict[str, int]]


def loaders() -> list[Loader]:
    """Each record family's seed loader, in the order they depend on one another."""
    from models.seed_demo import (
        activities,
        audits,
        inspections,
        procedures,
        profile,
        reporting,
        scores,
    )

    return [
        profile.load,
        audits.load,
        procedures.load,
        activities.load,
        inspections.load,
        reporting.load,
        scores.load,
    ]


def load_before_cycles(*, session: Session, today: date) -> dict[str, int]:
    """Enter the seed records that decide which steps a year gets, before the years open."""
    from models.seed_demo import profile

    return profile.load_before_cycles(session=session, today=today)


def steps_the_seeds_record() -> set[tuple[str, int, str]]:
    """(agency code, year, step type) of the calendar steps a seed record completes itself."""
    from models.seed_demo import audits

    return audits.steps_recorded()


def load_seed_figures(*, session: Session, rules: RuleSet, today: date) -> dict[str, int]:
    """Enter every seed figure that each record family holds; counts of what was added."""
    iso_rules = iso.load_iso_rules()
    counts: dict[str, int] = {}
    for load in loaders():
        for name, n in load(session=session, rules=rules, iso_rules=iso_rules, today=today).items():
            counts[name] = counts.get(name, 0) + n
    return counts
