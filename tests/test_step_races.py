"""Simultaneous completions of one step: exactly one records "done", the others an update."""

from __future__ import annotations

import threading
from datetime import date

from sqlmodel import Session, select

from models.cycles import find_step, mark_done, waive
from models.tables import HistoryEntry
from tests.conftest import TODAY

WRITERS = 20


def race(engine, write) -> list[BaseException]:
    """Run `write(session, n)` in WRITERS threads at once, each with its own session and the
    step loaded before anyone writes; return the exceptions raised."""
    ready = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            step = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
            session.commit()  # back to the pool (of 15) while the step stays as it was read
            ready.wait()
            try:
                write(session, step, n)
            except BaseException as exc:  # noqa: BLE001  (reported by the test)
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def plan_history(session) -> list[HistoryEntry]:
    session.expire_all()
    return list(
        session.exec(
            select(HistoryEntry)
            .where(HistoryEntry.entity == "step", HistoryEntry.entity_id == "plan")
            .order_by(HistoryEntry.at, HistoryEntry.id)  # type: ignore[arg-type]
        ).all()
    )


def test_twenty_simultaneous_completions_record_one_first_done(engine, session, opened_2026):
    def complete(s, step, n):
        mark_done(
            session=s,
            step=step,
            done_on=date(2026, 1, 10 + n % 10),
            ref=f"{n}/KH-SNgV",
            note=None,
            actor=f"web:user{n}",
            today=TODAY,
        )

    assert race(engine, complete) == []
    entries = [h for h in plan_history(session) if h.action in ("done", "done_updated")]
    assert [h.action for h in entries].count("done") == 1
    assert len(entries) == WRITERS  # every writer's evidence is kept, the rest as updates
    # The history is one chain: each update's old values are what the one before it wrote.
    ordered = sorted(entries, key=lambda h: h.action != "done")
    by_old = {h.old.get("ref"): h for h in ordered[1:]}
    assert len(by_old) == WRITERS - 1, "two updates claim to replace the same evidence"
    step = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    last = [h for h in entries if h.new["ref"] == step.ref]
    assert len(last) == 1 and (step.state, step.done_by) == ("done", last[0].actor)


def test_simultaneous_identical_completions_change_the_step_once(engine, session, opened_2026):
    def complete(s, step, n):
        mark_done(
            session=s,
            step=step,
            done_on=date(2026, 1, 12),
            ref="12/KH-SNgV",
            note=None,
            actor=f"web:user{n}",
            today=TODAY,
        )

    assert race(engine, complete) == []
    assert [h.action for h in plan_history(session)] == ["done"]


def test_simultaneous_waivers_record_one_waiver(engine, session, opened_2026):
    def waive_it(s, step, n):
        waive(session=s, step=step, reason="Không áp dụng", actor=f"cli:user{n}")

    assert race(engine, waive_it) == []
    assert [h.action for h in plan_history(session)] == ["waived"]


def test_simultaneous_one_click_completions_store_the_first_and_rewrite_nothing(
    engine, session, opened_2026
):
    """A link may complete an open step, never rewrite evidence stored meanwhile: found in
    review, twenty posts of one forwarded link gave one "done" and nineteen rewrites."""
    results: list[bool] = []

    def complete(s, step, n):
        results.append(
            mark_done(
                session=s,
                step=step,
                done_on=date(2026, 1, 10 + n % 10),
                ref=f"{n}/KH-SNgV",
                note=None,
                actor="link:thuky.sngv@hatinh.example",
                today=TODAY,
                only_if_open=True,
            )
        )
        s.rollback()  # a loser holds the lock its compare-and-swap took, as the web rolls back

    assert race(engine, complete) == []
    assert sorted(results) == [False] * (WRITERS - 1) + [True]
    actions = [h.action for h in plan_history(session)]
    assert actions.count("done") == 1 and "done_updated" not in actions


def test_a_link_posted_after_a_secretary_completed_the_step_changes_nothing(
    engine, session, opened_2026
):
    """The link's read says open; the secretary's completion lands before the link's save."""
    with Session(engine, expire_on_commit=False) as stale:
        step = find_step(session=stale, agency_code="SNGV", year=2026, key="plan")
        stale.commit()
        secretary = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
        mark_done(
            session=session,
            step=secretary,
            done_on=date(2026, 1, 12),
            ref="12/KH-SNgV",
            note=None,
            actor="web:thuky.sngv",
            today=TODAY,
        )
        changed = mark_done(
            session=stale,
            step=step,
            done_on=date(2026, 1, 20),
            ref="99/KH-gia-mao",
            note=None,
            actor="link:thuky.sngv@hatinh.example",
            today=TODAY,
            only_if_open=True,
        )
        stale.rollback()
    assert changed is False
    stored = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    session.refresh(stored)
    assert (stored.ref, stored.done_by) == ("12/KH-SNgV", "web:thuky.sngv")
    assert [h.action for h in plan_history(session)].count("done_updated") == 0
