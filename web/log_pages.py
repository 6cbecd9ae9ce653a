"""An agency's reminder and delivery log: what was decided, to whom it went, what failed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from models.jobs import FAILED as FAILED_RUN
from models.jobs import job_states
from models.reminders import FAILED, RETRY, agency_log
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
    rows = agency_log(session=session, agency_id=agency.id)
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
        "status_labels": STATUS_LABELS,
        "problems": len({row["delivery_id"] for row in rows if row["status"] in (FAILED, RETRY)}),
    }
    return render(request, "reminders.html", ctx, viewer)
