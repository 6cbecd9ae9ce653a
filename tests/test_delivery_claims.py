"""Delivery claims: a slow SMTP server never lets a rival take a live worker's batch over, a stop
signal puts the unsent rest of a batch back at once, and a dead worker's claim is taken over
and sent exactly once. Real SMTP sink; the concurrent workers are separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from models.claims import claim_batch
from models.cycles import find_step
from models.reminders import (
    DELIVERY,
    DELIVERY_ATTEMPT,
    PENDING,
    RETRY,
    SENDING,
    SENT,
    PolicyError,
    build_policy,
    decide_reminders,
)
from notifications.outbox import deliver_pending
from tests.smtp_sink import Sink
from tests.test_reminders import OCT_27, POLICY, at, smtp

ROOT = Path(__file__).resolve().parents[1]
NOW = at(OCT_27)
AGENCIES = ("HATINH", "SKHCN", "SNGV", "TTDVDN", "SCT", "UB18073")


def queue(session, rules, *, now=NOW, assignees: bool = False) -> list[uuid.UUID]:
    """Decide the reminders of 27/10/2026 (6 secretaries, plus 6 step owners if `assignees`)
    and return the queued deliveries' ids in the order a claim takes them."""
    if assignees:
        for code in AGENCIES:
            step = find_step(session=session, agency_code=code, year=2026, key="internal_audit")
            step.assignee_email = f"owner.{code.lower()}@hatinh.example"
            session.add(step)
        session.commit()
    decide_reminders(session=session, today=OCT_27, now=now, policy=POLICY, working=rules.working)
    d = DELIVERY.c
    return list(session.execute(select(d.id).order_by(d.next_attempt_at, d.id)).scalars())


def message_ids(sink: Sink) -> Counter[str]:
    return Counter(str(r.message["Message-ID"]) for r in sink.received)


def expected_ids(ids) -> Counter[str]:
    return Counter(f"<{i}@isocycle>" for i in ids)


def rows(session) -> dict[uuid.UUID, object]:
    session.commit()  # a fresh snapshot: other processes wrote
    return {r.id: r for r in session.execute(select(DELIVERY))}


def attempts_by_delivery(session) -> dict[uuid.UUID, list[str]]:
    a = DELIVERY_ATTEMPT.c
    out: dict[uuid.UUID, list[str]] = {}
    for r in session.execute(select(a.delivery_id, a.outcome).order_by(a.at)):
        out.setdefault(r.delivery_id, []).append(r.outcome)
    return out


# --- the policy --------------------------------------------------------------------------


def test_it_accepts_a_claim_timeout_in_fractions_of_a_minute():
    policy = build_policy({"delivery": {"claim_timeout_minutes": 0.05}})
    assert policy.claim_timeout == timedelta(seconds=3)
    assert POLICY.claim_timeout == timedelta(minutes=15)  # the shipped file is unchanged


@pytest.mark.parametrize("value", [0, -1, "15", True, float("nan"), float("inf")])
def test_it_names_a_bad_claim_timeout(value):
    with pytest.raises(PolicyError, match=r"my\.toml: delivery\.claim_timeout_minutes"):
        build_policy({"delivery": {"claim_timeout_minutes": value}}, "my.toml")


# --- a slow server and two workers -------------------------------------------------------


def _worker(database_url: str, sink: Sink, timeout_minutes: float) -> subprocess.Popen[str]:
    args = {
        "database_url": database_url,
        "smtp_port": sink.port,
        "now": NOW.isoformat(),
        "claim_timeout_minutes": timeout_minutes,
        "timeout": 120,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery_worker", json.dumps(args)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_slow_server_never_lets_a_rival_take_a_live_batch_over(
    session, opened_2026, rules, database_url
):
    """Guarantee: a batch that takes far longer than claim_timeout (12 mails at 0.5 s against a
    3 s claim) stays with the worker sending it, because it renews its claim as it records
    results; a second worker claiming all the while takes nothing over. Every mail reaches the
    server once and every delivery ends `sent` with exactly one `sent` attempt.
    (The field-trial defect: without renewal the rival took the rest over and sent it again.)"""
    ids = queue(session, rules, assignees=True)
    assert len(ids) == 12
    timeout_minutes = 3 / 60
    sink = Sink().start()
    sink.handler.delay = 0.5
    procs = [_worker(database_url, sink, timeout_minutes) for _ in range(2)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr
        start = f"{time.time()}\n"  # both start now, with the same clock
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(start)
            p.stdin.flush()
        outputs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
        sink.stop()
    assert [p.returncode for p in procs] == [0, 0], outputs
    done = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(w["sent"] for w in done) == 12
    assert all(w["runs"] >= 1 for w in done)

    assert message_ids(sink) == expected_ids(ids)  # each exactly once
    final = rows(session)
    assert {r.status for r in final.values()} == {SENT}
    assert attempts_by_delivery(session) == {i: [SENT] for i in ids}
    # The scenario held: the batch outlasted the claim timeout while the rival kept asking.
    a = DELIVERY_ATTEMPT.c
    first, last = session.execute(select(func.min(a.at), func.max(a.at))).one()
    assert last - first > timedelta(minutes=timeout_minutes)
    assert max(w["runs"] for w in done) > 1, done


# --- the stop signal ---------------------------------------------------------------------


def test_a_stop_puts_the_unsent_rest_of_the_batch_back_at_once(
    session, opened_2026, settings, rules, sink
):
    """Guarantee: once `stop` is set, the run returns after the mail in flight; the deliveries
    not yet sent go back to pending (or retry, if attempted before) with no attempt counted and
    no claim, claimable at once, and a later run sends each of them once."""
    ids = queue(session, rules, now=NOW - timedelta(minutes=1))
    # One delivery was tried before (a 4xx) and is due again now: it is taken last.
    retry_id = ids[-1]
    session.execute(
        update(DELIVERY)
        .where(DELIVERY.c.id == retry_id)
        .values(status=RETRY, attempts=1, last_error="451 busy", next_attempt_at=NOW)
    )
    session.commit()
    before = rows(session)
    mail = smtp(settings, sink)

    stop = threading.Event()
    stop.set()
    idle = deliver_pending(session=session, settings=mail, policy=POLICY, now=NOW, stop=stop)
    assert (idle.sent, idle.released, sink.received) == (0, 0, [])
    assert {r.status for r in rows(session).values()} == {PENDING, RETRY}  # nothing claimed

    # The server sets the signal while it takes the 2nd mail, before the client gets the reply.
    stop = threading.Event()
    sink.handler.on_message = lambda n: stop.set() if n == 2 else None
    result = deliver_pending(session=session, settings=mail, policy=POLICY, now=NOW, stop=stop)
    assert (result.sent, result.released) == (2, 4)
    after = rows(session)
    sent, unsent = ids[:2], ids[2:]
    assert [after[i].status for i in sent] == [SENT, SENT]
    for i in unsent:
        row, old = after[i], before[i]
        assert row.status == (RETRY if i == retry_id else PENDING)
        assert (row.attempts, row.next_attempt_at) == (old.attempts, old.next_attempt_at)
        assert (row.claimed_by, row.claimed_at) == (None, None)
    assert set(attempts_by_delivery(session)) == set(sent)  # nothing tried, nothing recorded

    # Claimable again at once: a run at the same instant sends them.
    sink.handler.on_message = None
    later = deliver_pending(session=session, settings=mail, policy=POLICY, now=NOW)
    assert later.sent == 4
    assert message_ids(sink) == expected_ids(ids)  # each exactly once
    assert rows(session)[retry_id].attempts == 2


# --- a dead worker's claim ---------------------------------------------------------------


def test_a_dead_workers_expired_claim_is_taken_over_and_sent_once(
    session, opened_2026, settings, rules, sink
):
    """Guarantee: deliveries a killed process left `sending` are claimed by the next run once
    claim_timeout (15 min) has passed and sent exactly once; a claim still fresh is left alone
    until it expires; no later run sends anything again."""
    ids = queue(session, rules)
    expired, fresh = ids[:2], ids[2]
    d = DELIVERY.c
    dead = "deadhost:4242:0123456789ab"
    session.execute(
        update(DELIVERY)
        .where(d.id.in_(expired))
        .values(status=SENDING, claimed_by=dead, claimed_at=NOW - timedelta(minutes=16))
    )
    session.execute(
        update(DELIVERY)
        .where(d.id == fresh)
        .values(status=SENDING, claimed_by=dead, claimed_at=NOW - timedelta(minutes=5))
    )
    session.commit()
    mail = smtp(settings, sink)

    first = deliver_pending(session=session, settings=mail, policy=POLICY, now=NOW)
    assert first.sent == 5
    assert message_ids(sink) == expected_ids(i for i in ids if i != fresh)
    assert (rows(session)[fresh].status, rows(session)[fresh].claimed_by) == (SENDING, dead)

    again = deliver_pending(session=session, settings=mail, policy=POLICY, now=NOW)
    assert again.sent == 0
    later = deliver_pending(
        session=session, settings=mail, policy=POLICY, now=NOW + timedelta(minutes=11)
    )
    assert later.sent == 1
    assert message_ids(sink) == expected_ids(ids)  # each exactly once
    final = rows(session)
    assert all((r.status, r.attempts) == (SENT, 1) for r in final.values())
    assert attempts_by_delivery(session) == {i: [SENT] for i in ids}
    workers = session.execute(select(DELIVERY_ATTEMPT.c.worker)).scalars().all()
    assert dead not in workers


def test_a_worker_stalled_past_its_claim_sends_nothing_a_rival_took_over(
    session, engine, opened_2026, settings, rules, sink
):
    """Guarantee: if a worker is stalled for longer than claim_timeout (here its clock jumps 16
    minutes while the server takes the 1st mail) and a rival takes the batch over meanwhile, the
    worker notices when it renews its claim and leaves the rest of the batch to the rival."""
    ids = queue(session, rules)
    stall = timedelta()
    taken: list[uuid.UUID] = []

    def rival_takes_over(n: int) -> None:
        nonlocal stall
        if n == 1:
            stall = timedelta(minutes=16)
            with Session(engine) as other:
                batch = claim_batch(session=other, now=NOW + stall, policy=POLICY, token="rival:1")
                taken.extend(d.id for d in batch)

    sink.handler.on_message = rival_takes_over
    result = deliver_pending(
        session=session,
        settings=smtp(settings, sink),
        policy=POLICY,
        now=NOW,
        clock=lambda: NOW + stall,
    )
    assert taken == ids  # the mail in flight too: its result was not recorded yet
    assert len(sink.received) == 1 and result.sent == 1
    assert {(r.status, r.claimed_by) for r in rows(session).values()} == {(SENDING, "rival:1")}
