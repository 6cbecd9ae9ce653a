"""Render reminder and digest e-mails (Vietnamese subject, text and HTML) from Jinja2 templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from config.settings import Settings
from models.cycles import deadline_words
from models.overdue import count_by_year
from models.reminders import ROLE_ASSIGNEE, ReminderPolicy
from models.vn_format import vn_number
from notifications.links import step_link

# One environment for the process. HTML templates are always autoescaped: agency names, titles
# and notes are user input. The .txt templates (subject, plain-text part) are not HTML, so they
# are not escaped, and are never put into HTML.
ENV = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)


def vn_date(value: date | str) -> str:
    """dd/mm/yyyy, the way Vietnamese administrative documents write dates."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


ENV.filters["vn_date"] = vn_date
ENV.filters["vn_number"] = vn_number  # "1.234 việc": the shared Vietnamese number format


@dataclass(frozen=True)
class EmailMessage:
    """One rendered e-mail, ready for a transport."""

    to: str
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
    to_name: str | None = None
    # Stable per delivery, so a mail re-sent after a crash can be recognised as the same one.
    message_id: str | None = None


def step_url(base_url: str, code: str, year: int, key: str) -> str:
    """The web page of one step of an agency's cycle (behind the login)."""
    base = base_url.rstrip("/")
    # "/" stays literal: the route takes the rest of the path as the key, and proxies that
    # refuse or rewrite an encoded slash (%2F) would break event keys like procedure_update:5/QĐ.
    return f"{base}/agencies/{quote(code, safe='')}/{year}/steps/{quote(key, safe=':/')}"


def when(days: int) -> str:
    """Days left or overdue, in the words of the pages and the reminder log, mid-sentence."""
    words = deadline_words(days)
    return words[:1].lower() + words[1:]


def years_text(years: Sequence[int]) -> str:
    """The years a figure covers, in words: "năm 2026", "các năm 2025 và 2026"."""
    ordered = [str(y) for y in sorted(set(years))]
    if len(ordered) == 1:
        return f"năm {ordered[0]}"
    return f"các năm {', '.join(ordered[:-1])} và {ordered[-1]}"


def _render(name: str, ctx: dict[str, Any]) -> tuple[str, str, str]:
    subject = " ".join(ENV.get_template(f"emails/{name}-subject.txt").render(ctx).split())
    ctx = {**ctx, "subject": subject}
    text = ENV.get_template(f"emails/{name}-body.txt").render(ctx).strip() + "\n"
    html = ENV.get_template(f"emails/{name}-body.html").render(ctx)
    return subject, text, html


def render_reminder(
    *,
    to: str,
    to_name: str | None,
    cc: Sequence[str],
    role: str,
    items: Sequence[dict[str, Any]],
    today: date,
    settings: Settings,
    policy: ReminderPolicy,
    message_id: str | None = None,
) -> EmailMessage:
    """Render one recipient's digest of reminders; items carry agency, step and deadline fields.

    Each item needs: code, name, year, key, title, due (date) and escalated.
    """
    rows = []
    issued = datetime.combine(today, time(), tzinfo=settings.zone)
    for it in sorted(items, key=lambda i: (i["due"], i["code"], i["key"])):
        days = (it["due"] - today).days
        rows.append(
            {
                "agency_code": it["code"],
                "agency_name": it["name"],
                "title": it["title"],
                "due": it["due"],
                "days": days,
                "when": when(days),
                # A one-click link when we know the step: it opens the completion form without
                # a password (it still asks for the document number).
                "url": step_link(settings, it["step_id"], issued)
                if "step_id" in it
                else step_url(settings.base_url, it["code"], it["year"], it["key"]),
            }
        )
    agencies = sorted({r["agency_name"] for r in rows})
    if role == ROLE_ASSIGNEE:
        reason = "Anh/Chị nhận thư này vì được giao phụ trách các việc trên."
    else:
        reason = (
            "Anh/Chị nhận thư này vì là thư ký ISO (đầu mối) của "
            + ", ".join(agencies)
            + " trong danh sách đơn vị của Sở Khoa học và Công nghệ."
        )
    escalated = bool(cc) and any(it["escalated"] for it in items)
    subject, text, html = _render(
        "reminder",
        {
            "to_name": to_name,
            "items": rows,
            "overdue": sum(1 for r in rows if r["days"] < 0),
            "escalated": escalated,
            "escalate_from": policy.escalate_from,
            "today": today,
            "reason": reason,
            "support_contact": settings.support_contact,
        },
    )
    return EmailMessage(
        to=to,
        to_name=to_name,
        cc=tuple(cc),
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
    )


def render_digest(
    *,
    to: str,
    to_name: str | None,
    cc: Sequence[str],
    payload: dict[str, Any],
    as_of: date,
    settings: Settings,
    message_id: str | None = None,
) -> EmailMessage:
    """Render the overseer's weekly digest of overdue steps: a section per year (each counted as
    the dashboard counts it), grouped by parent agency.

    A payload queued before digests named their years (no "years") is split by its rows' years.
    """
    rows = [
        {**r, "parent_code": g.get("parent_code"), "parent_name": g.get("parent_name")}
        for g in payload.get("groups", [])
        for r in g["rows"]
    ]
    years = payload.get("years") or sorted({as_of.year} | {r["year"] for r in rows}, reverse=True)
    sections = []
    for count in count_by_year(((r["year"], r["code"]) for r in rows), years):
        groups: dict[str, dict[str, Any]] = {}
        for r in rows:
            if r["year"] != count.year:
                continue
            group = groups.setdefault(
                r["parent_code"] or "", {"parent_name": r["parent_name"], "rows": []}
            )
            group["rows"].append(
                {**r, "url": step_url(settings.base_url, r["code"], r["year"], r["key"])}
            )
        sections.append(
            {
                "year": count.year,
                "agencies": count.agencies,
                "total": count.steps,
                "groups": list(groups.values()),
            }
        )
    subject, text, html = _render(
        "digest",
        {
            "to_name": to_name,
            "sections": sections,
            "years": years_text(years),
            "week": f"{as_of.isocalendar().week:02d}/{as_of.isocalendar().year}",
            "today": as_of,
            "reason": "Anh/Chị nhận thư này vì là đầu mối theo dõi ISO của đơn vị chủ trì "
            f"({settings.overseer_code}); thư tổng hợp được gửi mỗi tuần một lần.",
            "support_contact": settings.support_contact,
        },
    )
    return EmailMessage(
        to=to,
        to_name=to_name,
        cc=tuple(cc),
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
    )
