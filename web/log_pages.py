"""An agency's reminder and delivery log: what was decided, to whom it went, what failed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from models.cycles import deadline_words
from models.jobs import FAILED as FAILED_RUN, job_states
from models.reminders import FAILED, RETRY, SENT, TRANSPORT_FILE, agency_log
from web.deps import PageViewer, SessionDep
from web.pages import agency_or_404, render, require_see

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    "pending": "Chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "retry": "Sẽ gửi lại",
    "failed": "Gửi thất bại",
    "cancelled": "Huỷ (việc đã xong)",
    None: "Chưa xếp thư",
}
# A mail written to the outbox folder (no SMTP server configured) has reached nobody yet.
WRITTEN_LABEL = "Đã ghi ra tệp (chưa gửi đi)"


SENDING_JOBS = ("send-reminders", "deliver-outbox")
JOB_LABELS = {
    "send-reminders": "Lượt nhắc việc hằng ngày",
    "deliver-outbox": "Lượt gửi thư định kỳ",
}


@router.get("/agencies/{code}/reminders")
def reminder_log(request: Request, session: SessionDep, viewer: PageViewer, code: str) -> Response:
    """The agency's reminders, newest first, with each mail's status and last error."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    rows = [
        {
            **row,
            # Days before or after the deadline on the day it was decided, in calendar days as
            # every page counts them (the stage name counts working days).
            "when": deadline_words((row["due"] - row["decided_on"]).days),
            "status_label": WRITTEN_LABEL
            if row["status"] == SENT and row["transport"] == TRANSPORT_FILE
            else STATUS_LABELS.get(row["status"], row["status"]),
        }
        for row in agency_log(session=session, agency_id=agency.id)
    ]
    sending_jobs = job_states(session=session, jobs=SENDING_JOBS)
    ctx = {
        "agency": agency,
        # A reminder pass that failed concerns every agency: say so, and when it is retried.
        "failed_jobs": [
            (JOB_LABELS[job], state)
            for job, state in sending_jobs.items()
            if state.last_status == FAILED_RUN
        ],
        "rows": rows,
        "problems": len({row["delivery_id"] for row in rows if row["status"] in (FAILED, RETRY)}),
    }
    return render(request, "reminders.html", ctx, viewer)
