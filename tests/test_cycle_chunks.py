"""Opening a year in chunks of agencies: the same steps as in one go, and a stopped run resumed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select
from sqlmodel import Session, col, select as orm_select

import models.cycles
from models.agencies import upsert_agencies
from models.calendar import RuleSet, load_rule_set
from models.cycles import open_cycle, rules_for_year
from models.tables import AGENCY, STEP, Cycle, HistoryEntry

AGENCIES = 23  # not a multiple of the chunk size: the last chunk is short
CHUNK = 4
HEADER = ["code", "name", "kind", "parent_code", "active", "valid_from", "valid_to"]


def _province() -> list[list[str]]:
    """Agencies of every kind with a QMS, some closed or opened mid-year (fewer steps)."""
    kinds = ["so", "chi_cuc", "ubnd_tinh", "ubnd_xa", "trung_tam", "don_vi_su_nghiep", "phong"]
    rows = []
    for i in range(AGENCIES):
        active, since, until = "1", "", ""
        if i % 7 == 3:
            active, since, until = "0", "2018-01-01", "2026-06-30"  # merged on 1/7
        elif i % 7 == 5:
            since = "2026-07-01"  # created by the merger
        rows.append([f"DV{i:03d}", f"Đơn vị {i}", kinds[i % len(kinds)], "", active, since, until])
    return rows


@pytest.fixture
def many(session: Session) -> None:
    upsert_agencies(session=session, header=HEADER, data=_province())


def _steps(session: Session, year: int = 2026) -> set[tuple[object, ...]]:
    s, a = STEP.c, AGENCY.c
    return set(
        session.execute(
            select(a.code, s.key, s.title, s.nominal_due, s.due, s.state)
            .join_from(STEP, AGENCY, a.id == s.agency_id)
            .where(s.year == year)
        ).tuples()
    )


def _count(session: Session, year: int = 2026) -> int:
    return session.execute(
        select(func.count()).select_from(STEP).where(STEP.c.year == year)
    ).scalar_one()


def _override(tmp_path: Path, deadline: str = "16/11") -> RuleSet:
    path = tmp_path / "hatinh.toml"
    path.write_text(f'[steps.annual_report]\ndeadline = "{deadline}"\n', encoding="utf-8")
    return load_rule_set(overrides=[path])


def test_it_opens_in_chunks_the_same_steps_as_in_one_go(session, many, rules):
    commits: list[int] = []
    event.listen(session, "after_commit", lambda _s: commits.append(1))
    chunked = open_cycle(session=session, year=2026, rules=rules, chunk_size=CHUNK)
    in_chunks = _steps(session)
    # One commit for the cycle row, one per chunk of agencies, one for the history entry.
    assert len(commits) == 1 + -(-AGENCIES // CHUNK) + 1

    session.execute(delete(STEP).where(STEP.c.year == 2026))
    session.commit()
    whole = open_cycle(session=session, year=2026, rules=rules, chunk_size=10_000)
    assert _steps(session) == in_chunks
    assert (chunked.created, chunked.updated) == (whole.created, whole.updated)
    assert chunked.created == len(in_chunks) == _count(session)
    # Every kind-applicable step of an agency in operation on its deadline, and no other.
    assert 100 < len(in_chunks) < AGENCIES * len(rules.steps)
    again = open_cycle(session=session, year=2026, rules=rules, chunk_size=CHUNK)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(in_chunks))


def test_a_calendar_change_in_chunks_counts_every_change_and_lists_the_first(
    session, many, rules, tmp_path, monkeypatch
):
    open_cycle(session=session, year=2026, rules=rules, chunk_size=CHUNK)
    monkeypatch.setattr(models.cycles, "CHANGES_KEPT", 3)
    changed = open_cycle(session=session, year=2026, rules=_override(tmp_path), chunk_size=CHUNK)
    moved = {code for code, key, _t, _n, due, _s in _steps(session) if key == "annual_report"}
    assert changed.updated == len(moved) > 3
    assert len(changed.changes) == 3 and changed.changes[0]["new_due"] == "2026-11-16"
    dues = {due for _c, key, _t, _n, due, _s in _steps(session) if key == "annual_report"}
    assert dues == {date(2026, 11, 16)}
    entry = session.exec(
        orm_select(HistoryEntry)
        .where(HistoryEntry.entity == "cycle")
        .order_by(col(HistoryEntry.at).desc())
    ).first()
    assert entry is not None
    assert entry.new["updated"] == changed.updated


def test_a_run_stopped_midway_keeps_its_chunks_and_a_rerun_completes_it(
    session, many, rules, tmp_path, monkeypatch
):
    """A crash after two chunks: they stay committed, with the calendar the run was given; a
    plain re-run (the calendar stored with the year, as `cycle open` does) opens the rest."""
    real = models.cycles._open_chunk
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(models.cycles, "_open_chunk", crash_on_third)
    override = _override(tmp_path, "30/11")
    with pytest.raises(RuntimeError, match="killed"):
        open_cycle(session=session, year=2026, rules=override, chunk_size=CHUNK)
    session.rollback()
    monkeypatch.setattr(models.cycles, "_open_chunk", real)
    partial = _count(session)
    assert 0 < partial

    stored = rules_for_year(session=session, year=2026, default=rules)
    assert stored.version == override.version
    rest = open_cycle(session=session, year=2026, rules=stored, chunk_size=CHUNK)
    assert (rest.unchanged, rest.updated) == (partial, 0)
    total = _count(session)
    assert rest.created == total - partial > 0

    # The same steps as opening the year with that calendar in one go.
    steps = _steps(session)
    session.execute(delete(STEP).where(STEP.c.year == 2026))
    session.commit()
    open_cycle(session=session, year=2026, rules=override, chunk_size=10_000)
    assert _steps(session) == steps
    assert {due for _c, key, _t, _n, due, _s in steps if key == "annual_report"} == {
        date(2026, 11, 30)
    }
    cycle = session.exec(orm_select(Cycle).where(Cycle.year == 2026)).one()
    assert cycle.calendar_version == override.version


def test_the_cli_counts_every_change_beyond_the_listed_ones(cli, session, tmp_path, monkeypatch):
    rows = [[f"X{i:03d}", f"UBND xã {i}", "ubnd_xa", "", "1", "", ""] for i in range(60)]
    upsert_agencies(session=session, header=HEADER, data=rows)
    assert cli("cycle", "open", "2026").exit_code == 0
    monkeypatch.setattr(models.cycles, "CHANGES_KEPT", 10)
    override = tmp_path / "late.toml"
    override.write_text('[steps.annual_report]\ndeadline = "16/11"\n', encoding="utf-8")
    shown = cli("cycle", "open", "2026", "--calendar", str(override))
    assert "60 updated" in shown.stdout
    assert shown.stdout.count("annual_report: 2026-11-20 -> 2026-11-16") == 10
    assert "... and 50 more" in shown.stdout
