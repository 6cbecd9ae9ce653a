"""A whole year, day by day: the exact mails each person gets, and none after a step is done.

The calendar has two steps so the expected counts can be worked out by hand (below):
- six_month_report, 30/04/2026: 30/04 and 01/05 are holidays, 02-03/05 a weekend, so the
  deadline is Monday 04/05. 27/04 is a holiday too (Giỗ Tổ Hùng Vương observed), so the
  7-days-before mail goes out on 28/04; the 1-day-before day (03/05) is a Sunday and passes
  without a mail (a pass on 04/05 is already at "due").
- annual_report, 01/12/2026 (Tuesday). 24/11 is a holiday, so 7-days-before goes out on 25/11.
  Overdue triggers in working days: 1 (02/12), 4 (07/12), 5 (08/12, head in Cc), 7 (10/12),
  10 (15/12), 13 (18/12), 16 (23/12), 19 (28/12), 22 (31/12).
Passes run at 07:30 on working days (the schedule); steps are marked done in the evening.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from models.agencies import FIELDS, upsert_agencies
from models.calendar import build_rule_set
from models.cycles import find_step, mark_done, open_cycle
from models.tables import AGENCY, STEP
from notifications.links import read_link
from notifications.outbox import reminder_pass
from tests.test_reminders import POLICY, at, smtp

CALENDAR = {
    "name": "sim",
    "version": "1",
    "kinds": ["so"],
    "steps": {
        "six_month_report": {"title": "Báo cáo 6 tháng gửi Sở KH&CN", "deadline": "30/04"},
        "annual_report": {"title": "Báo cáo năm gửi Sở KH&CN", "deadline": "01/12"},
    },
}
AGENCIES = [
    ("ONTIME", "Sở Tư pháp"),
    ("LATE", "Sở Xây dựng"),
    ("NEVER", "Sở Y tế"),
]
# (agency, step) -> the day it is done, in the evening; NEVER never does its annual report.
DONE = {
    ("ONTIME", "six_month_report"): date(2026, 4, 28),
    ("ONTIME", "annual_report"): date(2026, 11, 27),
    ("LATE", "six_month_report"): date(2026, 5, 6),
    ("LATE", "annual_report"): date(2026, 12, 7),
    ("NEVER", "six_month_report"): date(2026, 5, 12),
}
ASSIGNEE = "chutri.baocao@sxd.example"  # owns LATE's annual report

EXPECTED = {
    # six_month: 28/04; annual: 25/11.
    "thuky.ontime@hatinh.example": 2,
    # six_month: 28/04, 04/05, 05/05; annual: 25/11, 30/11, 01/12, 02/12, 07/12.
    "thuky.late@hatinh.example": 8,
    ASSIGNEE: 5,
    # six_month: 28/04, 04/05, 05/05, 08/05, 11/05; annual: 25/11, 30/11, 01/12 and 9 overdue.
    "thuky.never@hatinh.example": 17,
    # In Cc from the 5th working day overdue: 11/05, then 08, 10, 15, 18, 23, 28, 31/12.
    "thutruong.never@hatinh.example": 8,
}


def test_it_sends_the_exact_mails_of_a_whole_year(session, settings, sink):
    rules = build_rule_set(CALENDAR, "sim")
    upsert_agencies(
        session=session,
        header=list(FIELDS),
        data=[
            [
                code,
                name,
                "so",
                "",
                "Thư ký",
                f"thuky.{code.lower()}@hatinh.example",
                "Thủ trưởng",
                f"thutruong.{code.lower()}@hatinh.example",
                "1",
                "",
                "",
            ]
            for code, name in AGENCIES
        ],
    )
    open_cycle(session=session, year=2026, rules=rules)
    late_annual = find_step(session=session, agency_code="LATE", year=2026, key="annual_report")
    late_annual.assignee_name, late_annual.assignee_email = "Phan Văn Chủ", ASSIGNEE
    session.add(late_annual)
    session.commit()
    mail_settings = smtp(settings, sink)

    sent_on: list[date] = []  # the simulated day of each received mail, in order
    day = date(2026, 1, 1)
    while day.year == 2026:
        if rules.working.is_working_day(day):
            result = reminder_pass(
                session=session,
                settings=mail_settings,
                policy=POLICY,
                working=rules.working,
                now=at(day),
            )
            assert result.deliver.failed == result.deliver.retry == 0
            sent_on.extend([day] * (len(sink.received) - len(sent_on)))
        for (code, key), done_day in DONE.items():
            if done_day == day:
                step = find_step(session=session, agency_code=code, year=2026, key=key)
                mark_done(
                    session=session,
                    step=step,
                    done_on=day,
                    ref=f"{code}/{key}",
                    note=None,
                    actor="sim",
                    today=day,
                    # Report steps are completed by the recipient's receipt, which calls this
                    # without the by-hand check (models/iso/reporting.py); the simulation
                    # records that receipt directly.
                    check=False,
                )
        day += timedelta(days=1)

    counts = Counter(addr for r in sink.received for addr in r.rcpt_tos)
    assert dict(counts) == EXPECTED
    assert min(sent_on) == date(2026, 4, 28) and max(sent_on) == date(2026, 12, 31)
    # One mail per recipient per pass.
    per_pass = Counter(
        (d, addr) for d, r in zip(sent_on, sink.received, strict=True) for addr in r.rcpt_tos
    )
    assert max(per_pass.values()) == 1

    # No mail mentions a step after the day it was done.
    # Each item carries a one-click link naming its step; decode them to know which steps a
    # mail reminded of.
    step_of = {
        row.id: (row.code, row.key)
        for row in session.execute(
            select(STEP.c.id, STEP.c.key, AGENCY.c.code).join(
                AGENCY, AGENCY.c.id == STEP.c.agency_id
            )
        )
    }
    link = re.compile(r"/l/([\w.\-]+)")
    for d, r in zip(sent_on, sink.received, strict=True):
        tokens = set(link.findall(r.text)) | set(link.findall(r.html))
        assert tokens, "every reminder links its steps"
        for token in tokens:
            code, key = step_of[read_link(settings, token, at(d))]
            done_day = DONE.get((code, key))
            assert done_day is None or d <= done_day, (code, key, d)
    never = [
        d
        for d, r in zip(sent_on, sink.received, strict=True)
        if "thuky.never@hatinh.example" in r.rcpt_tos
    ]
    assert never[-9:] == [date(2026, 12, d) for d in (2, 7, 8, 10, 15, 18, 23, 28, 31)]
