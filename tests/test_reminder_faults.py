"""Faults: SMTP down, 4xx, 5xx, two passes at once, a process killed mid-delivery.

Each test states the guarantee it proves. The last two run the real CLI in separate processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.reminders import DELIVERY, DELIVERY_ATTEMPT, FAILED, REMINDER, RETRY, SENT
from tests.smtp_sink import Sink, free_port
from tests.test_reminders import OCT_27, POLICY, at, run, smtp

SECRETARIES = {
    "chutich@hatinh.example",
    "thuky.skhcn@hatinh.example",
    "thuky.sngv@hatinh.example",
    "thuky.ttdvdn@hatinh.example",
    "thuky.sct@hatinh.example",
    "thuky.thanhsen@hatinh.example",
}
ISOCYCLE = str(Path(sys.executable).parent / "isocycle")


def to_addrs(sink: Sink) -> list[str]:
    return sorted(r.message["To"].split("<")[-1].rstrip(">") for r in sink.received)


def statuses(session) -> dict[str, int]:
    return dict(
        session.execute(select(DELIVERY.c.status, func.count()).group_by(DELIVERY.c.status)).all()
    )


def assert_backoff_from_the_attempt(session, row) -> None:
    """The first backoff counts from the attempt, timed by the pass's clock: its `now` (07:30)
    advanced by the real time the pass took."""
    attempt_at = session.execute(
        select(DELIVERY_ATTEMPT.c.at).where(DELIVERY_ATTEMPT.c.delivery_id == row.id)
    ).scalar_one()
    assert at(OCT_27) <= attempt_at < at(OCT_27) + timedelta(minutes=1)
    assert row.next_attempt_at == attempt_at + timedelta(minutes=POLICY.retry_minutes[0])


def test_it_delivers_everything_once_after_the_smtp_server_comes_back(
    session, opened_2026, settings, rules
):
    """Guarantee: a pass while the server is down loses nothing and sends nothing twice; the
    deliveries wait with a backoff and a later pass delivers each exactly once."""
    port = free_port()  # nothing listens there: connection refused
    down = run(session, smtp(settings, Sink(port)), rules, OCT_27)
    assert (down.decide.decided, down.deliver.sent, down.deliver.retry) == (30, 0, 6)
    assert statuses(session) == {RETRY: 6}
    errors = session.execute(select(DELIVERY.c.last_error)).scalars().all()
    assert all("Connection refused" in e or "ConnectionRefused" in e for e in errors)

    sink = Sink(port).start()
    try:
        early = run(
            session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27) + timedelta(minutes=5)
        )
        assert early.deliver.sent == 0 and sink.received == []  # backoff (10 min) not over yet
        back = run(
            session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27) + timedelta(minutes=11)
        )
        assert back.deliver.sent == 6 and back.decide.decided == 0
        assert to_addrs(sink) == sorted(SECRETARIES)
        assert statuses(session) == {SENT: 6}
        attempts = session.execute(select(func.count()).select_from(DELIVERY_ATTEMPT)).scalar_one()
        assert attempts == 12  # one refused and one successful attempt per delivery
    finally:
        sink.stop()


def test_it_retries_a_4xx_and_then_delivers(session, opened_2026, settings, rules, sink):
    """Guarantee: a temporary refusal (451) is retried on a later pass and delivered once; the
    other mails of the batch go out over the same connection meanwhile."""
    sink.handler.data_replies = ["451 4.3.0 Mailbox busy, try later"]
    first = run(session, smtp(settings, sink), rules, OCT_27)
    assert (first.deliver.sent, first.deliver.retry, first.waiting_retry) == (5, 1, 1)
    (retry_row,) = session.execute(select(DELIVERY).where(DELIVERY.c.status == RETRY)).all()
    assert retry_row.attempts == 1 and retry_row.last_error.startswith("451")
    assert_backoff_from_the_attempt(session, retry_row)
    second = run(session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27, 9))
    assert (second.deliver.sent, second.waiting_retry) == (1, 0)
    assert to_addrs(sink) == sorted(SECRETARIES)  # each exactly once


def test_it_fails_a_5xx_visibly_and_never_retries_it(
    session, opened_2026, settings, rules, sink, cli
):
    """Guarantee: a permanent refusal (550) is marked failed with the server's reason, shown by
    `isocycle outbox --failed`, and not attempted again by later passes."""
    sink.handler.refuse["thuky.sct@hatinh.example"] = "550 5.1.1 Mailbox unknown"
    first = run(session, smtp(settings, sink), rules, OCT_27)
    assert (first.deliver.sent, first.deliver.failed, first.deliver.retry) == (5, 1, 0)
    for day in (date(2026, 10, 28), date(2026, 10, 30), date(2026, 11, 2)):
        run(session, smtp(settings, sink), rules, day)
    row = session.execute(
        select(DELIVERY).where(
            DELIVERY.c.to_addr == "thuky.sct@hatinh.example", DELIVERY.c.as_of == OCT_27
        )
    ).one()
    assert (row.status, row.attempts) == (FAILED, 1)
    assert "550" in row.last_error and "Mailbox unknown" in row.last_error

    listed = cli("outbox", "--failed")
    assert listed.exit_code == 0
    assert "thuky.sct@hatinh.example" in listed.stdout and "550" in listed.stdout
    as_json = json.loads(cli("outbox", "--failed", "--json").stdout)
    assert {r["to_addr"] for r in as_json} == {"thuky.sct@hatinh.example"}
    assert all(r["status"] == "failed" for r in as_json)


SECRETARY, HEAD = "thuky.sngv@hatinh.example", "giamdoc.sngv@hatinh.example"  # To, Cc (escalated)


def sngv_delivery(session):
    return session.execute(
        select(DELIVERY).where(DELIVERY.c.to_addr == SECRETARY, DELIVERY.c.as_of == OCT_27)
    ).one()


def attempt_errors(session, delivery_id) -> list[tuple[str, str | None]]:
    a = DELIVERY_ATTEMPT.c
    return [
        (r.outcome, r.error)
        for r in session.execute(
            select(a.outcome, a.error).where(a.delivery_id == delivery_id).order_by(a.at)
        )
    ]


def test_it_retries_a_4xx_for_the_secretary_even_when_the_head_in_cc_accepted(
    session, opened_2026, settings, rules, sink
):
    """Guarantee: the reminder is for the main recipient; a temporary refusal of the To address
    is retried with backoff although the Cc took the mail (who may then get a second copy)."""
    sink.handler.refuse[SECRETARY] = "450 4.2.1 Mailbox busy, try later"
    first = run(session, smtp(settings, sink), rules, OCT_27)
    assert (first.deliver.sent, first.deliver.retry, first.deliver.failed) == (5, 1, 0)
    row = sngv_delivery(session)
    assert (row.status, row.attempts) == (RETRY, 1)
    assert "450" in row.last_error and "Mailbox busy" in row.last_error
    assert_backoff_from_the_attempt(session, row)
    assert [r.rcpt_tos for r in sink.received if HEAD in r.rcpt_tos] == [[HEAD]]

    del sink.handler.refuse[SECRETARY]
    second = run(session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27, 9))
    assert second.deliver.sent == 1
    assert (sngv_delivery(session).status, sngv_delivery(session).last_error) == (SENT, None)
    (mail,) = sink.handler.to(SECRETARY)
    assert mail.rcpt_tos == [SECRETARY, HEAD]
    assert len(sink.handler.to(HEAD)) == 2  # the documented second copy for the Cc
    assert [o for o, _ in attempt_errors(session, row.id)] == [RETRY, SENT]


def test_it_fails_a_5xx_for_the_secretary_even_when_the_head_in_cc_accepted(
    session, opened_2026, settings, rules, sink
):
    """Guarantee: a To address that does not exist is failed with the server's reason (listed
    by `outbox --failed`), although the Cc took the mail; it is not retried."""
    sink.handler.refuse[SECRETARY] = "550 5.1.1 No such user"
    first = run(session, smtp(settings, sink), rules, OCT_27)
    assert (first.deliver.sent, first.deliver.retry, first.deliver.failed) == (5, 0, 1)
    row = sngv_delivery(session)
    assert (row.status, row.attempts) == (FAILED, 1)
    assert f"{SECRETARY}: 550 5.1.1 No such user" in row.last_error
    assert first.deliver.errors == [f"{SECRETARY}: {row.last_error}"]
    run(session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27, 12))
    assert sngv_delivery(session).attempts == 1
    assert len(sink.handler.to(HEAD)) == 1


@pytest.mark.parametrize("reply", ["450 4.2.2 Mailbox full", "550 5.1.1 No such user"])
def test_it_counts_a_mail_whose_cc_was_refused_as_sent_and_shows_why(
    session, opened_2026, settings, rules, sink, reply
):
    """Guarantee: the secretary got the reminder, so it is sent and never repeated; the head's
    refusal stays visible in last_error and in the attempt row."""
    sink.handler.refuse[HEAD] = reply
    first = run(session, smtp(settings, sink), rules, OCT_27)
    assert (first.deliver.sent, first.deliver.retry, first.deliver.failed) == (6, 0, 0)
    row = sngv_delivery(session)
    assert row.status == SENT
    assert f"{HEAD}: {reply}" in row.last_error and SECRETARY not in row.last_error
    assert attempt_errors(session, row.id) == [(SENT, row.last_error)]
    (mail,) = sink.handler.to(SECRETARY)
    assert mail.rcpt_tos == [SECRETARY]
    run(session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27, 12))
    assert len(sink.handler.to(SECRETARY)) == 1


@pytest.mark.parametrize(
    ("to_reply", "cc_reply", "status"),
    [
        ("550 5.1.1 No such user", "450 4.2.1 Busy", FAILED),
        ("450 4.2.1 Busy", "550 5.1.1 No such user", RETRY),
    ],
)
def test_it_judges_a_mail_refused_for_everyone_by_the_secretary(
    session, opened_2026, settings, rules, sink, to_reply, cc_reply, status
):
    """When nobody accepted the mail, the To reply still decides: a Cc's 4xx does not keep a
    missing secretary in retry, and a Cc's 5xx does not fail a busy secretary's reminder."""
    sink.handler.refuse.update({SECRETARY: to_reply, HEAD: cc_reply})
    run(session, smtp(settings, sink), rules, OCT_27)
    row = sngv_delivery(session)
    assert row.status == status and to_reply in row.last_error and cc_reply in row.last_error
    assert sink.handler.to(SECRETARY) == sink.handler.to(HEAD) == []


@pytest.mark.parametrize("address", [SECRETARY, HEAD])
def test_it_retries_the_batch_when_the_server_closes_at_rcpt(
    session, opened_2026, settings, rules, sink, address
):
    """A 421 at RCPT (for To or Cc) means smtplib closed the connection and sent nothing: the
    delivery must not count as sent, it is retried."""
    sink.handler.refuse[address] = "421 4.3.2 Service shutting down"
    run(session, smtp(settings, sink), rules, OCT_27)
    row = sngv_delivery(session)
    assert row.status == RETRY and "421" in row.last_error
    assert sink.handler.to(SECRETARY) == []


def test_it_gives_up_after_max_attempts(session, opened_2026, settings, rules):
    """Guarantee: a server that never comes back does not mean retrying forever: after
    max_attempts the delivery is failed and says why."""
    policy = replace(POLICY, max_attempts=2)
    down = smtp(settings, Sink(free_port()))
    run(session, down, rules, OCT_27, policy=policy)
    later = run(session, down, rules, OCT_27, policy=policy, now=at(OCT_27, 12))
    assert later.deliver.failed == 6
    assert statuses(session) == {FAILED: 6}
    errors = session.execute(select(DELIVERY.c.last_error)).scalars().all()
    assert all(e.startswith("gave up after 2 attempts") for e in errors)
    third = run(session, down, rules, OCT_27, policy=policy, now=at(OCT_27, 18))
    assert third.deliver.failed == third.deliver.retry == 0


# --- separate processes through the real CLI ---------------------------------------------


def _env(tmp_path: Path, sink: Sink, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ISOCYCLE_SMTP_HOST="127.0.0.1",
        ISOCYCLE_SMTP_PORT=str(sink.port),
        ISOCYCLE_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        # Each process gets its own ephemeral Prefect API, as on two different machines.
        PREFECT_HOME=str(tmp_path / f"prefect-{name}"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    return env


def _remind(database_url: str, now: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ISOCYCLE, "--db", database_url, "remind", "--now", now],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group: a kill takes Prefect's temporary API server down with it, so
        # no orphan outlives the test (or holds CI's output open).
        start_new_session=True,
    )


def test_it_sends_no_duplicates_when_two_processes_run_at_once(
    session, opened_2026, database_url, sink, tmp_path
):
    """Guarantee: two `isocycle remind` processes started together decide each reminder once
    (unique ledger, INSERT ... ON CONFLICT DO NOTHING) and send each delivery once (conditional
    claim): every recipient gets exactly one mail."""
    procs = [
        _remind(database_url, "2026-10-27T07:30", _env(tmp_path, sink, str(n))) for n in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    decided = sorted(int(out.split("Reminders decided: ")[1].split(" ")[0]) for out, _ in outputs)
    assert sum(decided) == 30  # split between them, however the race went
    assert to_addrs(sink) == sorted(SECRETARIES)
    assert session.execute(select(func.count()).select_from(REMINDER)).scalar_one() == 30
    assert statuses(session) == {SENT: 6}


def test_it_loses_nothing_when_a_process_is_killed_mid_delivery(
    session, opened_2026, database_url, tmp_path
):
    """Guarantee: after a kill -9 in the middle of a batch, nothing is lost: deliveries left
    `sending` are claimed again once claim_timeout has passed and sent. At that edge delivery is
    at-least-once: the mail in flight when the process died may arrive twice (same Message-ID)."""
    slow = Sink().start()
    slow.handler.delay = 1.0
    try:
        proc = _remind(database_url, "2026-10-27T07:30", _env(tmp_path, slow, "a"))
        deadline = time.monotonic() + 120
        while len(slow.received) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert len(slow.received) >= 2 and proc.poll() is None, "the pass ended before the kill"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(1.2)  # let the server finish the message it was reading
        first = {r.message["Message-ID"] for r in slow.received}
    finally:
        slow.stop()
    assert 2 <= len(first) < 6
    assert statuses(session).get("sending", 0) >= 1

    sink = Sink().start()
    try:
        env = _env(tmp_path, sink, "b")
        # Five minutes later the dead claim is still fresh: nothing is taken over yet.
        soon = _remind(database_url, "2026-10-27T07:35", env)
        assert soon.wait(timeout=180) == 0
        assert sink.received == []
        # After the claim timeout (15 min) the rest is sent.
        later = _remind(database_url, "2026-10-27T07:50", env)
        out, err = later.communicate(timeout=180)
        assert later.returncode == 0, err
    finally:
        sink.stop()
    second = [r.message["Message-ID"] for r in sink.received]
    assert first | set(second) == {
        f"<{i}@isocycle>" for i in session.execute(select(DELIVERY.c.id)).scalars()
    }
    assert len(set(second) & first) <= 1  # at most the one in flight is repeated
    assert statuses(session) == {SENT: 6}


def test_it_fails_a_delivery_it_cannot_render_and_sends_the_rest(
    session, opened_2026, settings, rules, sink
):
    """Guarantee: one broken delivery (here a digest with a damaged payload) is failed with its
    reason and does not block the other mails, on this pass or any later one."""
    import uuid

    from sqlalchemy import insert

    from models.reminders import DELIVERY, KIND_DIGEST, PENDING

    session.execute(
        insert(DELIVERY).values(
            id=uuid.uuid4(),
            key="digest:broken",
            kind=KIND_DIGEST,
            role="overseer",
            to_addr="thuky.skhcn@hatinh.example",
            cc=[],
            as_of=OCT_27,
            payload={"groups": [{"rows": [{"code": "X"}]}]},
            status=PENDING,
            attempts=0,
            next_attempt_at=at(OCT_27),
            created_at=at(OCT_27),
        )
    )
    session.commit()
    result = run(session, smtp(settings, sink), rules, OCT_27)
    assert (result.deliver.sent, result.deliver.failed) == (6, 1)
    error = session.execute(
        select(DELIVERY.c.last_error).where(DELIVERY.c.key == "digest:broken")
    ).scalar_one()
    assert error.startswith("cannot render")
