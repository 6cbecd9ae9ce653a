"""A delivery worker in its own process, for tests: claims and sends until the outbox is done.

Usage: python -m tests.delivery_worker '{"database_url": ..., "smtp_port": ..., "now": ISO,
"claim_timeout_minutes": ..., "timeout": seconds}'

It prints "ready" once imported and connected, then waits for a line on stdin holding the
wall-clock start time (time.time()) shared by every worker of the test, so that their logical
clocks agree: each delivery run starts at `now` + the wall time elapsed since that start. It
runs `deliver_pending` again and again until no delivery is pending, in retry or sending, and
prints what it did as JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

import models.all_tables  # noqa: F401
from config.settings import Settings
from models.db import make_engine
from models.reminders import DELIVERY, PENDING, RETRY, SENDING, load_policy
from notifications.outbox import deliver_pending


def main(raw: str) -> dict[str, int]:
    args = json.loads(raw)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=args["database_url"],
        smtp_host="127.0.0.1",
        smtp_port=args["smtp_port"],
        mail_outbox_dir=Path(tempfile.mkdtemp(prefix="isocycle-worker-")),
    )
    policy = replace(load_policy(), claim_timeout_minutes=args["claim_timeout_minutes"])
    now = datetime.fromisoformat(args["now"])
    engine = make_engine(args["database_url"])
    done = {"runs": 0, "sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
    with Session(engine) as session:
        open_rows = (
            select(func.count())
            .select_from(DELIVERY)
            .where(DELIVERY.c.status.in_((PENDING, RETRY, SENDING)))
        )
        session.execute(open_rows).scalar_one()
        session.commit()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        start = float(sys.stdin.readline())
        deadline = time.monotonic() + args["timeout"]
        while time.monotonic() < deadline:
            result = deliver_pending(
                session=session,
                settings=settings,
                policy=policy,
                now=now + timedelta(seconds=time.time() - start),
            )
            done["runs"] += 1
            for key in ("sent", "retry", "failed", "cancelled"):
                done[key] += getattr(result, key)
            left = session.execute(open_rows).scalar_one()
            session.commit()
            if not left:
                break
            time.sleep(0.05)  # another worker holds the rest: ask again soon
    engine.dispose()
    return done


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(sys.argv[1])) + "\n")
