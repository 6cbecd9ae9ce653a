"""`isocycle procedures`: the agency's documents, TTHC figures and dossier statistics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import actor, echo_table, fail, parse_day, to_json, vn_date
from cli.iso.common import AsJson, By, Today, iso_rules, refusals, split_list, today_from

if TYPE_CHECKING:
    from models.periods import Period

app = typer.Typer(
    help="Documents (HDHT, QTNB, TTHC procedures), TTHC figures and dossier statistics.",
    no_args_is_help=True,
)
PeriodArg = Annotated[
    str, typer.Argument(help="Reporting period: 2021, 6t/2021 or 15/12/2020-15/11/2021.")
]


def _period(text: str) -> Period:
    from models.periods import PeriodError, parse_period

    try:
        return parse_period(text, iso_rules().periods)
    except PeriodError as exc:
        fail(str(exc))


def _figures(values: dict[str, Any] | None, period: Period, agency: str) -> dict[str, Any]:
    return {"agency": agency, "period": period.key, "period_label": period.label} | (values or {})


@app.command("add")
def add(
    agency: str,
    kind: Annotated[str, typer.Option("--kind", help="guideline (HDHT), internal (QTNB), tthc.")],
    code: Annotated[str, typer.Option("--code", help="The document's code, e.g. QT-01.")],
    title: Annotated[str, typer.Option("--title")],
    decision: Annotated[str, typer.Option("--decision", help="Issuing decision number.")],
    decided: Annotated[
        str | None, typer.Option("--decided", help="Its date (omit when unknown).")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", min=1, max=1000)] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Issue a document, or a new version of it (same code): the old versions stay."""
    from models import iso

    with refusals() as session:
        row = iso.issue_procedure(
            session=session,
            agency_code=agency,
            kind=kind,
            code=code,
            title=title,
            decision_ref=decision,
            decision_on=parse_day(decided, "--decided") if decided else None,
            version=version,
            actor=actor(by),
            today=today_from(today),
        )
        out = {"code": row.code, "kind": row.kind, "version": row.version}
    if as_json:
        typer.echo(to_json(out))
        return
    typer.echo(f"{agency} {out['code']}: đã ban hành lần {out['version']}.")


@app.command("abolish")
def abolish(
    agency: str,
    code: str,
    decision: Annotated[str, typer.Option("--decision", help="Abolishing decision number.")],
    on: Annotated[str, typer.Option("--on", help="The day it stops applying.")],
    by: By = None,
    today: Today = None,
) -> None:
    """Record that a document stops applying from a day, by a decision."""
    from models import iso

    with refusals() as session:
        iso.abolish_procedure(
            session=session,
            agency_code=agency,
            code=code,
            abolished_on=parse_day(on, "--on"),
            abolished_ref=decision,
            actor=actor(by),
            today=today_from(today),
        )
    typer.echo(f"{agency} {code}: đã bãi bỏ từ {on}.")


@app.command("list")
def list_(
    agency: str,
    on: Annotated[str | None, typer.Option("--on", help="In force on this day.")] = None,
    history: Annotated[bool, typer.Option("--history", help="Every version.")] = False,
    as_json: AsJson = False,
) -> None:
    """List the documents in force (with counts per kind), or every version."""
    from models import iso

    day = parse_day(on, "--on") if on else None
    with refusals() as session:
        rows = iso.list_procedures(session=session, agency_code=agency, on=day, history=history)
        counts = iso.procedure_counts(session=session, agency_code=agency, on=day)
    if as_json:
        typer.echo(to_json({"agency": agency, "on": day, "counts": counts, "procedures": rows}))
        return
    echo_table(
        ["Loại", "Mã", "Tên", "Lần", "Quyết định", "Ngày", "Bãi bỏ"],
        [
            (
                iso.PROCEDURE_KIND_LABELS[r["kind"]],
                r["code"],
                r["title"],
                r["version"],
                r["decision_ref"],
                vn_date(r["decision_on"]),
                vn_date(r["abolished_on"]),
            )
            for r in rows
        ],
    )
    line = "; ".join(f"{iso.PROCEDURE_KIND_LABELS[k]}: {n}" for k, n in counts.items())
    typer.echo(line[:1].upper() + line[1:])


@app.command("tthc")
def tthc(
    agency: str,
    period: PeriodArg,
    total: Annotated[int | None, typer.Option("--total")] = None,
    amended: Annotated[int, typer.Option("--amended")] = 0,
    new: Annotated[int, typer.Option("--new")] = 0,
    abolished: Annotated[int, typer.Option("--abolished")] = 0,
    decisions: Annotated[str | None, typer.Option("--decisions")] = None,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Show the period's TTHC figures; with --total, enter (or correct) them."""
    from models import iso

    span = _period(period)
    with refusals() as session:
        if total is not None:
            iso.set_tthc_figures(
                session=session,
                agency_code=agency,
                period=span,
                total=total,
                amended=amended,
                new=new,
                abolished=abolished,
                decisions=decisions,
                actor=actor(by),
            )
        found = iso.get_tthc_figures(session=session, agency_code=agency, period=span)
    if as_json:
        typer.echo(to_json(_figures(found, span, agency)))
        return
    if found is None:
        fail(f"{agency} chưa có số liệu TTHC kỳ {span.label}.")
    typer.echo(
        f"{agency}, kỳ {span.label}: {found['total']} TTHC thuộc thẩm quyền; sửa đổi, bổ sung "
        f"{found['amended']}; ban hành mới {found['new']}; bãi bỏ {found['abolished']}."
    )


@app.command("dossiers")
def dossiers(
    agency: str,
    period: PeriodArg,
    received: Annotated[int | None, typer.Option("--received")] = None,
    on_time: Annotated[int | None, typer.Option("--on-time")] = None,
    late: Annotated[int, typer.Option("--late")] = 0,
    pending: Annotated[int, typer.Option("--pending")] = 0,
    with_results: Annotated[int | None, typer.Option("--with-results")] = None,
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Show the period's dossier figures; with --received, enter (or correct) them by hand."""
    from models import iso

    span = _period(period)
    with refusals() as session:
        if received is not None:
            iso.set_dossier_stats(
                session=session,
                agency_code=agency,
                period=span,
                received=received,
                on_time=received - late - pending if on_time is None else on_time,
                late=late,
                pending=pending,
                with_results=received if with_results is None else with_results,
                actor=actor(by),
            )
        found = iso.get_dossier_stats(session=session, agency_code=agency, period=span)
    if as_json:
        typer.echo(to_json(_figures(found, span, agency)))
        return
    if found is None:
        fail(f"{agency} chưa có số liệu hồ sơ kỳ {span.label}.")
    typer.echo(
        f"{agency}, {vn_date(found['period_start'])}–{vn_date(found['period_end'])}: tiếp nhận "
        f"{found['received']}; đúng hạn {found['on_time']}; quá hạn {found['late']}; đang giải "
        f"quyết {found['pending']}; gắn kèm kết quả {found['with_results']}."
    )


@app.command("import-dossiers")
def import_dossiers(
    path: Annotated[Path, typer.Argument(help="The portal's .xlsx or .csv export.")],
    period: Annotated[str, typer.Option("--period", help="2021, 6t/2021 or two days.")],
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Import dossier statistics for many agencies, all or nothing; errors name the rows."""
    from models import iso

    span = _period(period)
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path.name}: không đọc được tệp ({exc.strerror}).")
    with refusals() as session:
        result = iso.import_dossier_stats(
            session=session, name=path.name, data=data, period=span, actor=actor(by)
        )
    if as_json:
        typer.echo(to_json({"rows": result.rows, "replaced": result.replaced, "period": span.key}))
        return
    typer.echo(
        f"Đã nhập {result.rows} dòng cho kỳ {span.label} (thay {result.replaced} dòng đã có)."
    )


@app.command("affects")
def affects(
    event: Annotated[str, typer.Argument(help="The legal change's number.")],
    agency: str,
    codes: Annotated[
        str, typer.Option("--codes", help="Affected document codes, comma-separated.")
    ],
    publication: Annotated[
        str | None, typer.Option("--publication", help="Quyết định công bố TTHC number.")
    ] = None,
    published: Annotated[str | None, typer.Option("--published", help="Its date.")] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Name the documents a legal change affects at an agency; the update step is done once
    each has a new version."""
    from models import iso

    with refusals() as session:
        out = iso.name_affected_procedures(
            session=session,
            event_number=event,
            agency_code=agency,
            codes=split_list(codes),
            publication_ref=publication,
            published_on=parse_day(published, "--published") if published else None,
            actor=actor(by),
            today=today_from(today),
        )
    if as_json:
        typer.echo(to_json(out))
        return
    typer.echo(
        f"{agency}, văn bản {event} (hiệu lực {vn_date(out['effective_on'])}): hạn cập nhật "
        f"{vn_date(out['due'])}; "
        + ("đã xong." if out["state"] == "done" else "chưa có đủ phiên bản mới.")
    )


@app.command("update")
def update(
    event: Annotated[str, typer.Argument(help="The legal change's number.")],
    agency: str,
    as_json: AsJson = False,
) -> None:
    """Show a legal change's procedure update at an agency: dates, deadline, new versions."""
    from models import iso

    with refusals() as session:
        out = iso.procedure_update(session=session, event_number=event, agency_code=agency)
    if as_json:
        typer.echo(to_json(out))
        return
    echo_table(
        ["Mã", "Lần cũ", "Lần mới", "Quyết định", "Ngày"],
        [
            (
                p["code"],
                p["from_version"],
                p["new_version"] or "",
                p["decision_ref"] or "",
                vn_date(p["decision_on"]),
            )
            for p in out["procedures"]
        ],
    )
