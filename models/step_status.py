"""A step's status (pending, overdue, done, waived) and the words pages, feeds and e-mails use."""

from __future__ import annotations

from datetime import date

from models.tables import STEP_DONE, STEP_OPEN, STEP_WAIVED

STATUS_PENDING = "pending"
STATUS_OVERDUE = "overdue"
STATUS_DONE = "done"
STATUS_WAIVED = "waived"
# A step's status as the agency page, its feed and its e-mails name it.
STATUS_LABELS = {
    STATUS_PENDING: "Chưa đến hạn",
    STATUS_OVERDUE: "Quá hạn",
    STATUS_DONE: "Đã hoàn thành",
    STATUS_WAIVED: "Không áp dụng",
}


def step_status(state: str, due: date, today: date) -> str:
    """Return pending, overdue, done or waived; overdue is computed from today, never stored."""
    if state == STEP_DONE:
        return STATUS_DONE
    if state == STEP_WAIVED:
        return STATUS_WAIVED
    return STATUS_OVERDUE if today > due else STATUS_PENDING


def deadline_words(days_left: int) -> str:
    """Calendar days to a deadline in the words every page, mail and log uses: "Còn 7 ngày",
    "Đến hạn hôm nay", "Quá hạn 303 ngày" (days_left < 0 is overdue)."""
    if days_left > 0:
        return f"Còn {days_left} ngày"
    if days_left == 0:
        return "Đến hạn hôm nay"
    return f"Quá hạn {-days_left} ngày"


def days_overdue(state: str, due: date, today: date) -> int:
    return max((today - due).days, 0) if state == STEP_OPEN else 0


def days_late(state: str, due: date, done_on: date | None) -> int:
    return max((done_on - due).days, 0) if state == STEP_DONE and done_on else 0
