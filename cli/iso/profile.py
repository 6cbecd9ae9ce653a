"""`isocycle profile`: an agency's QMS profile, steering committee and announcements."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import actor, echo_table, fail, parse_day, to_json, vn_date
from cli.iso.common import AsJson, By, Today, refusals, today_from

app = typer.Typer(
    help="QMS profile (hồ sơ HTQLCL): edition, mode, ISO steering committee, announcements.",
    no_args_is_help=True,
)


def _show(data: dict[str, Any]) -> None:
    from models import iso

    typer.echo(f"{data['agency_name']} ({data['agency']}): {data['standard']}")
    if not data["recorded"]:
        typer.echo("Chưa có hồ sơ HTQLCL.")
    else:
        typer.echo(f"Hình thức: {iso.MODE_LABELS[data['mode']]}")
        if data["first_applied_year"]:
            typer.echo(f"Năm áp dụng ISO 9001:2008: {data['first_applied_year']}")
        if data["converted_year"]:
            typer.echo(f"Năm chuyển đổi sang ISO 9001:2015: {data['converted_year']}")
        if data["system_ref"]:
            when = vn_date(data["system_issued_on"]) or str(data["system_year"] or "")
            typer.echo(f"Quyết định ban hành HTQLCL: {data['system_ref']} {when}".rstrip())
        if data["scope"]:
            typer.echo(f"Phạm vi áp dụng: {data['scope']}")
    for c in data["committees"]:
        state = "đang hiệu lực" if c["in_force"] else "đã được thay thế"
        typer.echo(f"Ban chỉ đạo ISO: {c['ref']} ngày {vn_date(c['decided_on'])} ({state})")
        for m in c["members"]:
            typer.echo(f"  - {m['name']}, {m['title']}: {m['role']}")
    if data["announcements"]:
        echo_table(
            ["Loại", "Quyết định", "Ngày", "Thông báo", "Nơi nhận", "Niêm yết"],
            [
                (
                    iso.ANNOUNCEMENT_LABELS[a["kind"]],
                    a["ref"],
                    vn_date(a["decided_on"]),
                    " ".join(filter(None, [a["notice_ref"], vn_date(a["notice_on"])])),
                    a["notice_to"] or "",
                    vn_date(a["posted_on"]),
                )
                for a in data["announcements"]
            ],
        )


@app.command("show")
def profile_show(agency: str, as_json: AsJson = False) -> None:
    """Show the agency's QMS profile, committee decisions and announcements."""
    from models import iso

    with refusals() as session:
        data = iso.get_profile(session=session, agency_code=agency)
    if as_json:
        typer.echo(to_json(data))
    else:
        _show(data)


@app.command("set")
def profile_set(
    agency: str,
    edition: Annotated[str | None, typer.Option("--edition", help="2008 or 2015.")] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="build (xây dựng mới) or maintain (duy trì).")
    ] = None,
    first_applied: Annotated[
        int | None, typer.Option("--first-applied", help="Year ISO 9001:2008 was first applied.")
    ] = None,
    converted: Annotated[
        int | None, typer.Option("--converted", help="Year of conversion to ISO 9001:2015.")
    ] = None,
    system_ref: Annotated[
        str | None, typer.Option("--system-ref", help="Decision issuing the system (số).")
    ] = None,
    system_on: Annotated[str | None, typer.Option("--system-on", help="Its date.")] = None,
    system_year: Annotated[
        int | None, typer.Option("--system-year", help="Its year, when only the year is known.")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Scope of the system.")] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Create or change the profile; only the options given change, each change in history."""
    from models import iso

    given: dict[str, Any] = {
        "edition": edition,
        "mode": mode,
        "first_applied_year": first_applied,
        "converted_year": converted,
        "system_ref": system_ref,
        "system_issued_on": parse_day(system_on, "--system-on") if system_on else None,
        "system_year": system_year,
        "scope": scope,
    }
    values = {k: v for k, v in given.items() if v is not None}
    if not values:
        fail("Chưa nêu thông tin nào để ghi (ví dụ --edition 2015).")
    with refusals() as session:
        iso.set_profile(
            session=session,
            agency_code=agency,
            values=values,
            actor=actor(by),
            today=today_from(today),
        )
        data = iso.get_profile(session=session, agency_code=agency)
    typer.echo(to_json(data) if as_json else f"{agency}: đã ghi hồ sơ HTQLCL ({data['standard']})")


def _member(text: str) -> Any:
    from models import iso

    parts = [p.strip() for p in text.split("|")]
    if len(parts) > 3:
        fail(f"--member «{text}»: viết «Họ tên|Chức vụ|Vai trò».")
    parts += [""] * (3 - len(parts))
    return iso.MemberIn(name=parts[0], title=parts[1], role=parts[2] or "Thành viên")


@app.command("committee")
def profile_committee(
    agency: str,
    ref: Annotated[str, typer.Option("--ref", help="Decision number (số quyết định).")],
    on: Annotated[str, typer.Option("--on", help="Decision date.")],
    member: Annotated[
        list[str] | None,
        typer.Option("--member", help="'Name|Position|Role' (Trưởng ban, Thành viên...)."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record a decision setting up or re-forming the ISO steering committee (the latest one is
    in force; earlier ones stay readable)."""
    from models import iso

    decided_on = parse_day(on, "--on")
    with refusals() as session:
        iso.record_committee(
            session=session,
            agency_code=agency,
            ref=ref,
            decided_on=decided_on,
            members=[_member(m) for m in member or []],
            note=note,
            actor=actor(by),
            today=today_from(today),
        )
        data = iso.get_profile(session=session, agency_code=agency)
    if as_json:
        typer.echo(to_json(data["committees"]))
    else:
        typer.echo(f"{agency}: Ban chỉ đạo ISO {ref} ngày {vn_date(decided_on)} đã ghi")


@app.command("announce")
def profile_announce(
    agency: str,
    ref: Annotated[str, typer.Option("--ref", help="Announcement decision number.")],
    on: Annotated[str, typer.Option("--on", help="Decision date.")],
    again: Annotated[
        bool, typer.Option("--again", help="A re-announcement (công bố lại).")
    ] = False,
    edition: Annotated[
        str | None, typer.Option("--edition", help="Default: the profile's.")
    ] = None,
    basis: Annotated[str | None, typer.Option("--basis", help="What it is based on.")] = None,
    notice_ref: Annotated[
        str | None, typer.Option("--notice-ref", help="Number of the notice letter.")
    ] = None,
    notice_on: Annotated[str | None, typer.Option("--notice-on", help="Its date.")] = None,
    notice_to: Annotated[
        str | None, typer.Option("--notice-to", help="Agency code of the recipient (SKHCN).")
    ] = None,
    posted_on: Annotated[
        str | None, typer.Option("--posted-on", help="Date posted at the office.")
    ] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record (or correct) an announcement or re-announcement; it completes the open step."""
    from models import iso

    decided_on = parse_day(on, "--on")
    with refusals() as session:
        iso.record_announcement(
            session=session,
            agency_code=agency,
            kind="re_announcement" if again else "announcement",
            ref=ref,
            decided_on=decided_on,
            edition=edition,
            basis=basis,
            notice_ref=notice_ref,
            notice_on=parse_day(notice_on, "--notice-on") if notice_on else None,
            notice_to=notice_to,
            posted_on=parse_day(posted_on, "--posted-on") if posted_on else None,
            actor=actor(by),
            today=today_from(today),
        )
        data = iso.get_profile(session=session, agency_code=agency)
    if as_json:
        typer.echo(to_json(data["announcements"]))
    else:
        typer.echo(f"{agency}: quyết định công bố {ref} ngày {vn_date(decided_on)} đã ghi")
