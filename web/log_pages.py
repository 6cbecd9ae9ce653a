"""An agency's reminder and delivery log: what was decided, to whom it went, what failed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

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


@router.get("/agencies/{code}/reminders")
def reminder_log(request: Request, session: SessionDep, viewer: PageViewer, code: str) -> Response:
    """The agency's reminders, newest first, with each mail's status and last error."""
    agency = agency_or_404(session, code)
    require_see(viewer, agency)
    rows = agency_log(session=session, agency_id=agency.id)
    ctx = {
        "agency": agency,
        "rows": rows,
        "status_labels": STATUS_LABELS,
        "problems": len({row["delivery_id"] for row in rows if row["status"] in (FAILED, RETRY)}),
    }
    return render(request, "reminders.html", ctx, viewer)
