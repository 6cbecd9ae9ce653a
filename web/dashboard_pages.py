"""The overseer's pages: the year at a glance (/dashboard), the steps behind any count
(/dashboard/list) and the year as a workbook (/dashboard.xlsx)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlmodel import Session

from models import iso, progress as pg
from models.agencies import KIND_LABELS
from models.tables import AGENCY, STEP
from web import dashboard as dash
from web.deps import NowDep, PageViewer, SessionDep, SettingsDep, Viewer, local_day
from web.documents import province as province_documents
from web.pages import agency_or_404, has_control, render

router = APIRouter(include_in_schema=False)

# Agencies per page of the matrix, rows per page of the overdue list and of a drill-down list.
MATRIX_PAGE = 100
OVERDUE_PAGE = 20
LIST_PAGE = 100
SEVERITY_ROWS = 20

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
PageQuery = Annotated[int, Query(ge=1, le=100_000)]
Text = Annotated[str | None, Query(max_length=200)]


def _selection(
    session: Session, viewer: Viewer, kind: str | None, parent: str | None
) -> pg.Selection:
    if kind and kind not in KIND_LABELS:
        raise HTTPException(400, f"Không có loại đơn vị «{kind}».")
    parent_code = None
    if parent:
        agency = agency_or_404(session, parent)
        if not viewer.scope.can_see(agency.id):
            # Answered as an unknown code, word for word: the filter must not tell a secretary
            # which codes exist beyond their own agencies.
            raise HTTPException(404, f"Không có đơn vị mã {parent!r}.")
        parent_code = agency.code
    return pg.select_agencies(
        session=session, scope=viewer.scope, kind=kind or None, parent_code=parent_code
    )


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _url(path: str, params: dict[str, Any]) -> str:
    return path + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    year: YearQuery = None,
    kind: Text = None,
    parent: Text = None,
    sort: str = "-days",
    q: Text = None,
    page: PageQuery = 1,
    opage: PageQuery = 1,
) -> Response:
    """The year at a glance: bars per step, kind and parent; the overdue agencies; the findings
    by severity; and the matrix grouped under parents, searched and paged."""
    today = local_day(settings, now)
    year = year or today.year
    selection = _selection(session, viewer, kind, parent)
    overview = pg.overview(session=session, selection=selection, year=year, today=today)
    filters = {"year": year, "kind": kind, "parent": parent}
    ctx: dict[str, Any] = {
        "overview": overview,
        "year": year,
        "kind": kind or "",
        "parent": parent or "",
        "q": q or "",
        "sort": sort if sort in pg.LATE_ORDERS else "-days",
        "kind_labels": KIND_LABELS,
        "labels": dash.STATUS_LABELS,
        "bar_statuses": dash.BAR_STATUSES,
        "short_labels": dash.SHORT_LABELS,
        "parents": _parent_choices(session, viewer),
        "kinds": list(KIND_LABELS),
        "xlsx": _url("/dashboard.xlsx", filters),
        "here": lambda **kw: _url("/dashboard", {**filters, "q": q, "sort": sort, **kw}),
        "link": lambda **kw: {k: str(v) for k, v in {**filters, **kw}.items() if v},
        "bar": dash.bar,
        "top_parent_label": dash.TOP_PARENT_LABEL,
        # Sở KH&CN's documents for the year (empty for anyone else: no buttons).
        "province_docs": province_documents.links(session, viewer, settings, year),
    }
    if not overview.steps:
        ctx["no_cycle"] = not session.execute(
            select(func.count()).select_from(STEP).where(STEP.c.year == year)
        ).scalar_one()
        return render(request, "dashboard.html", ctx, viewer)
    late_total, late = pg.late_agencies(
        session=session,
        selection=selection,
        year=year,
        today=today,
        sort=ctx["sort"],
        offset=(opage - 1) * OVERDUE_PAGE,
        limit=OVERDUE_PAGE,
    )
    matching, groups = dash.matrix_page(
        session=session,
        selection=selection,
        overview=overview,
        q=q or "",
        page=page,
        per_page=MATRIX_PAGE,
    )
    ctx |= {
        "overdue": late,
        "overdue_total": late_total,
        "opage": opage,
        "opages": _pages(late_total, OVERDUE_PAGE),
        "groups": groups,
        "matching": matching,
        "page": page,
        "pages": _pages(matching, MATRIX_PAGE),
        "per_page": MATRIX_PAGE,
        "columns": [line for line in overview.steps if line.key != pg.EVENTS],
        "severity": dash.severity_table(session=session, selection=selection, year=year),
        "severity_rows": SEVERITY_ROWS,
        "severity_labels": iso.SEVERITY_LABELS,
    }
    return render(request, "dashboard.html", ctx, viewer)


def _parent_choices(session: Session, viewer: Viewer) -> list[Any]:
    parents = session.execute(
        select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name)
        .where(AGENCY.c.id.in_(select(AGENCY.c.parent_id).where(AGENCY.c.parent_id.is_not(None))))
        .order_by(AGENCY.c.code)
    ).all()
    return [p for p in parents if viewer.scope.can_see(p.id)]


@router.get("/dashboard/list")
def dashboard_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    year: YearQuery = None,
    kind: Text = None,
    parent: Text = None,
    step: Text = None,
    status: Text = None,
    group: Text = None,
    top: bool = False,
    page: PageQuery = 1,
) -> Response:
    """The steps behind one count of the dashboard, a page at a time, each with its agency.

    `group` keeps the agencies directly under that parent, `top=1` those with no parent."""
    today = local_day(settings, now)
    year = year or today.year
    if status and status not in pg.STATUSES:
        raise HTTPException(
            400, f"Không có trạng thái «{status}»: chọn một số trên trang tổng hợp."
        )
    if group and (has_control(group) or not _group_known(session, viewer, group)):
        raise HTTPException(400, f"Không có đơn vị cấp trên mã «{group}».")
    selection = _selection(session, viewer, kind, parent)
    title = pg.line_title(session=session, year=year, line=step) if step else None
    if step and title is None:
        raise HTTPException(400, f"Năm {year} không có bước «{step}».")
    total, rows = pg.steps_behind(
        session=session,
        selection=selection,
        year=year,
        today=today,
        line=step or None,
        status=status or None,
        parent_code="" if top else (group or None),
        offset=(page - 1) * LIST_PAGE,
        limit=LIST_PAGE,
    )
    params = {
        "year": year,
        "kind": kind,
        "parent": parent,
        "step": step,
        "status": status,
        "group": group,
        "top": 1 if top else None,
    }
    what = [title] if title else []
    if status:
        what.append(dash.STATUS_LABELS[status].lower())
    if kind:
        what.append(KIND_LABELS[kind])
    if top:
        what.append(dash.TOP_PARENT_LABEL.lower())
    elif group:
        what.append(f"trực thuộc {group}")
    ctx = {
        "year": year,
        "today": today,
        "rows": rows,
        "total": total,
        "page": page,
        "pages": _pages(total, LIST_PAGE),
        "what": ", ".join(what),
        "labels": dash.STATUS_LABELS,
        "back": _url("/dashboard", {"year": year, "kind": kind, "parent": parent}),
        "here": lambda **kw: _url("/dashboard/list", {**params, **kw}),
    }
    return render(request, "dashboard_list.html", ctx, viewer)


def _group_known(session: Session, viewer: Viewer, code: str) -> bool:
    """True when the viewer sees this parent or one of the agencies directly under it; anything
    else is answered as an unknown code, so the list does not reveal which codes exist."""
    found = session.execute(select(AGENCY.c.id).where(AGENCY.c.code == code[:64])).first()
    if found is None:
        return False
    if viewer.scope.can_see(found.id):
        return True
    children = session.execute(select(AGENCY.c.id).where(AGENCY.c.parent_id == found.id))
    return any(viewer.scope.can_see(child) for child in children.scalars())


@router.get("/dashboard.xlsx")
def dashboard_xlsx(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: PageViewer,
    year: YearQuery = None,
    kind: Text = None,
    parent: Text = None,
) -> Response:
    """The year as an Excel workbook: totals, every step with its dates, and the matrix."""
    today = local_day(settings, now)
    year = year or today.year
    selection = _selection(session, viewer, kind, parent)
    overview = pg.overview(session=session, selection=selection, year=year, today=today)
    _, steps = pg.steps_behind(session=session, selection=selection, year=year, today=today)
    cells = pg.matrix_cells(session=session, codes=selection.agencies, year=year, today=today)
    agencies = [(selection.agencies[c], cells[c]) for c in sorted(cells) if cells[c]]
    late, _ = pg.late_agencies(
        session=session, selection=selection, year=year, today=today, limit=1
    )
    body = dash.to_xlsx(overview=overview, steps=steps, agencies=agencies, overdue_agencies=late)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="isocycle-{year}.xlsx"'},
    )
