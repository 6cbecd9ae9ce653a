"""The agency's documents (guidelines, internal and TTHC procedures) with their versions, the TTHC
figures of each reporting period, and the procedure updates a legal change asks for.

A new version of a procedure is a new row with the same code, so every version stays. A legal
change (models/iso/events.py) names the procedures it affects for an agency; its
procedure_update step is completed, with the issuing decision as evidence, once each of them has
a version issued on or after the law's effective date. The law's effective date (which
starts the 3-month deadline of QĐ 19/2014 Art. 4.4a) stays apart from the date of the province's
Quyết định công bố TTHC, which often comes months later (seed 002).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models.iso.base import (
    EVENT_STEPS,
    IsoError,
    _atomic,
    _check_not_future,
    _complete_step,
    _history,
    _step,
    _text,
    get_agency,
)
from models.iso.events import Event
from models.periods import Period
from models.tables import STEP_OPEN, instant, table_of, utcnow

PROCEDURE_KINDS = ("guideline", "internal", "tthc")
PROCEDURE_KIND_LABELS = {
    "guideline": "hướng dẫn hệ thống (HDHT)",
    "internal": "quy trình nội bộ (QTNB)",
    "tthc": "quy trình giải quyết TTHC",
}
# Spellings secretaries use, compared after case folding.
PROCEDURE_KIND_ALIASES = {
    "guideline": "guideline",
    "hdht": "guideline",
    "hướng dẫn": "guideline",
    "hướng dẫn hệ thống": "guideline",
    "internal": "internal",
    "qtnb": "internal",
    "quy trình nội bộ": "internal",
    "tthc": "tthc",
    "qttthc": "tthc",
    "quy trình tthc": "tthc",
    "quy trình giải quyết tthc": "tthc",
}
MAX_COUNT = 10_000_000  # more TTHC or dossiers than this in one period is a typing error


# One version of one document of an agency's system: a new version is a new row, same code.
class Procedure(SQLModel, table=True):
    __tablename__ = "iso_procedure"
    __table_args__ = (
        UniqueConstraint("agency_id", "code", "version", name="uq_iso_procedure_version"),
        Index("ix_iso_procedure_agency_kind", "agency_id", "kind"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    kind: str = Field(max_length=16)
    code: str = Field(max_length=60)
    title: str = Field(max_length=500)
    version: int
    decision_ref: str = Field(max_length=200)
    # None when the report names the decision without its date (seed 003's 865/QĐ-UBND).
    decision_on: date | None = None
    abolished_on: date | None = None
    abolished_ref: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=200)
    created_at: datetime = instant(default_factory=utcnow)


# The TTHC under an agency's authority in one reporting period.
class TthcFigures(SQLModel, table=True):
    __tablename__ = "iso_tthc_figures"
    __table_args__ = (
        UniqueConstraint(
            "agency_id", "period_start", "period_end", name="uq_iso_tthc_figures_period"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    period_start: date = Field(index=True)
    period_end: date
    total: int
    amended: int
    new: int
    abolished: int
    # The decisions that approved the list ("1684/QĐ-SCT ngày 06/6/2019; ...").
    decisions: str | None = Field(default=None, max_length=1000)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = instant(default_factory=utcnow)


# A procedure a legal change affects at an agency, and its last version before the law took effect.
class EventProcedure(SQLModel, table=True):
    __tablename__ = "iso_event_procedure"

    event_id: uuid.UUID = Field(foreign_key="iso_event.id", primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", primary_key=True, index=True)
    code: str = Field(max_length=60, primary_key=True)
    from_version: int
    # The province's Quyết định công bố TTHC, which usually comes after the law takes effect.
    publication_ref: str | None = Field(default=None, max_length=200)
    published_on: date | None = None


PROCEDURE = table_of(Procedure)
TTHC_FIGURES = table_of(TthcFigures)
EVENT_PROCEDURE = table_of(EventProcedure)


def parse_kind(text: str | None) -> str:
    """Return guideline, internal or tthc for any accepted spelling; IsoError otherwise."""
    folded = " ".join(unicodedata.normalize("NFC", text or "").casefold().split())
    kind = PROCEDURE_KIND_ALIASES.get(folded)
    if kind is None:
        choices = ", ".join(PROCEDURE_KIND_LABELS[k] for k in PROCEDURE_KINDS)
        shown = f"«{text}» " if folded else ""
        raise IsoError(f"Loại tài liệu {shown}không có; chọn một trong: {choices}.", field="kind")
    return kind


def _code(value: str | None) -> str:
    code = _text(value, "code", "Mã tài liệu", 60, required=True) or ""
    if any(c.isspace() and c != " " for c in code):
        raise IsoError("Mã tài liệu phải nằm trên một dòng.", field="code")
    return code


def count_value(value: object, field: str, label: str) -> int:
    """A count as typed or read from a cell: a whole number from 0 up; IsoError otherwise."""
    if isinstance(value, bool):
        raise IsoError(f"{label} phải là số nguyên không âm.", field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and not value.strip():
        raise IsoError(f"Chưa nhập {label[:1].lower()}{label[1:]}.", field=field)
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value).strip().replace(".", "").replace(" ", "")
        if text.casefold() in {"không", "0"}:
            text = "0"
        if not text.lstrip("-").isdigit() or len(text) > 12:
            raise IsoError(f"{label} «{value.strip()[:40]}» không phải là số nguyên.", field=field)
        value = int(text)
    if not isinstance(value, int):
        raise IsoError(f"{label} không phải là số nguyên.", field=field)
    if value < 0:
        raise IsoError(f"{label} là số âm ({value}); phải từ 0 trở lên.", field=field)
    if value > MAX_COUNT:
        raise IsoError(f"{label} {value} lớn quá mức có thể ({MAX_COUNT}).", field=field)
    return value


# --- inventory ----------------------------------------------------------------------------------


def _latest(session: Session, agency_id: uuid.UUID, code: str) -> Procedure | None:
    return session.exec(
        orm_select(Procedure)
        .where(Procedure.agency_id == agency_id, Procedure.code == code)
        .order_by(Procedure.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()


@_atomic
def issue_procedure(
    *,
    session: Session,
    agency_code: str,
    kind: str,
    code: str,
    title: str,
    decision_ref: str,
    decision_on: date | None,
    actor: str,
    today: date,
    version: int | None = None,
) -> Procedure:
    """Issue a document or a new version of it (the next number by default), completing the
    procedure_update steps whose named procedures all have a newer version now."""
    agency = get_agency(session, agency_code)
    kind = parse_kind(kind)
    ref_code = _code(code)
    title_text = _text(title, "title", "Tên tài liệu", 500, required=True) or ""
    ref = _text(decision_ref, "decision_ref", "Số quyết định ban hành", 200, required=True) or ""
    if decision_on is not None:
        _check_not_future(decision_on, today, "decision_on", "Ngày ban hành")
    latest = _latest(session, agency.id, ref_code)
    if latest is not None and latest.kind != kind:
        raise IsoError(
            f"Mã «{ref_code}» đã là {PROCEDURE_KIND_LABELS[latest.kind]}, không phải "
            f"{PROCEDURE_KIND_LABELS[kind]}.",
            field="kind",
        )
    number = (latest.version if latest else 0) + 1 if version is None else version
    if version is not None and (version < 1 or version > 1000):
        raise IsoError("Lần ban hành phải từ 1 đến 1000.", field="version")
    if latest is not None and number <= latest.version:
        raise IsoError(
            f"Mã «{ref_code}» đã có lần ban hành {latest.version}; lần mới phải lớn hơn.",
            field="version",
        )
    if (
        latest is not None
        and decision_on is not None
        and latest.decision_on is not None
        and decision_on < latest.decision_on
    ):
        raise IsoError(
            f"Ngày ban hành {decision_on:%d/%m/%Y} trước ngày ban hành lần trước "
            f"({latest.decision_on:%d/%m/%Y}).",
            field="decision_on",
        )
    row = Procedure(
        agency_id=agency.id,
        kind=kind,
        code=ref_code,
        title=title_text,
        version=number,
        decision_ref=ref,
        decision_on=decision_on,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=(decision_on or today).year,
        entity="procedure",
        entity_id=ref_code,
        action="issued",
        old=None,
        new={"kind": kind, "title": title_text, "version": number, "decision_ref": ref}
        | {"decision_on": decision_on},
    )
    _complete_updates(session, agency.id, actor=actor, today=today)
    session.commit()
    return row


@_atomic
def abolish_procedure(
    *,
    session: Session,
    agency_code: str,
    code: str,
    abolished_on: date,
    abolished_ref: str,
    actor: str,
    today: date,
) -> Procedure:
    """Record that a document no longer applies from a date, by a decision (its versions stay)."""
    agency = get_agency(session, agency_code)
    ref_code = _code(code)
    ref = _text(abolished_ref, "abolished_ref", "Số quyết định bãi bỏ", 200, required=True)
    _check_not_future(abolished_on, today, "abolished_on", "Ngày bãi bỏ")
    latest = _latest(session, agency.id, ref_code)
    if latest is None:
        raise IsoError(f"Đơn vị {agency.code} không có tài liệu mã «{ref_code}».", field="code")
    if latest.abolished_on is not None:
        raise IsoError(
            f"Tài liệu «{ref_code}» đã bãi bỏ ngày {latest.abolished_on:%d/%m/%Y}.", field="code"
        )
    if latest.decision_on is not None and abolished_on < latest.decision_on:
        raise IsoError(
            f"Ngày bãi bỏ {abolished_on:%d/%m/%Y} trước ngày ban hành "
            f"({latest.decision_on:%d/%m/%Y}).",
            field="abolished_on",
        )
    latest.abolished_on, latest.abolished_ref = abolished_on, ref
    session.add(latest)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=abolished_on.year,
        entity="procedure",
        entity_id=ref_code,
        action="abolished",
        old={"abolished_on": None},
        new={"abolished_on": abolished_on, "abolished_ref": ref},
    )
    session.commit()
    return latest


def _in_force(row: Any, on: date | None) -> bool:
    if on is None:
        return row.abolished_on is None
    issued = row.decision_on is None or row.decision_on <= on
    return issued and (row.abolished_on is None or row.abolished_on > on)


def list_procedures(
    *, session: Session, agency_code: str, on: date | None = None, history: bool = False
) -> list[dict[str, Any]]:
    """The agency's documents: the version in force on a day (all in force without a day), or
    every version with `history`; undated decisions count as in force."""
    agency = get_agency(session, agency_code)
    p = PROCEDURE.c
    rows = session.execute(
        select(PROCEDURE).where(p.agency_id == agency.id).order_by(p.kind, p.code, p.version)
    ).all()
    if not history:
        latest: dict[str, Any] = {}
        for r in rows:
            if on is None or r.decision_on is None or r.decision_on <= on:
                latest[r.code] = r
        rows = [r for r in latest.values() if _in_force(r, on)]
    order = {k: i for i, k in enumerate(PROCEDURE_KINDS)}
    rows = sorted(rows, key=lambda r: (order[r.kind], r.code, r.version))
    keys = ("kind", "code", "title", "version", "decision_ref", "decision_on")
    return [
        {k: getattr(r, k) for k in keys}
        | {"abolished_on": r.abolished_on, "abolished_ref": r.abolished_ref}
        for r in rows
    ]


def procedure_counts(
    *, session: Session, agency_code: str, on: date | None = None
) -> dict[str, int]:
    """How many guidelines, internal procedures and TTHC procedures are in force on a day."""
    counts = dict.fromkeys(PROCEDURE_KINDS, 0)
    for row in list_procedures(session=session, agency_code=agency_code, on=on):
        counts[row["kind"]] += 1
    return counts


# --- TTHC figures -------------------------------------------------------------------------------


@_atomic
def set_tthc_figures(
    *,
    session: Session,
    agency_code: str,
    period: Period,
    total: object,
    amended: object,
    new: object,
    abolished: object,
    actor: str,
    decisions: str | None = None,
) -> TthcFigures:
    """Enter (or correct) the TTHC under the agency's authority for a period: total, amended,
    new and abolished."""
    agency = get_agency(session, agency_code)
    values = {
        "total": count_value(total, "total", "Tổng số TTHC thuộc thẩm quyền"),
        "amended": count_value(amended, "amended", "Số TTHC sửa đổi, bổ sung"),
        "new": count_value(new, "new", "Số TTHC ban hành mới"),
        "abolished": count_value(abolished, "abolished", "Số TTHC bãi bỏ"),
    }
    refs = _text(decisions, "decisions", "Quyết định phê duyệt danh mục", 1000)
    if values["amended"] + values["new"] > values["total"]:
        raise IsoError(
            f"Số TTHC sửa đổi ({values['amended']}) và ban hành mới ({values['new']}) cộng lại "
            f"vượt tổng số TTHC ({values['total']}).",
            field="total",
        )
    row = session.exec(
        orm_select(TthcFigures).where(
            TthcFigures.agency_id == agency.id,
            TthcFigures.period_start == period.start,
            TthcFigures.period_end == period.end,
        )
    ).one_or_none()
    old = None
    if row is None:
        row = TthcFigures(
            agency_id=agency.id,
            period_start=period.start,
            period_end=period.end,
            updated_by=actor,
            **values,  # type: ignore[arg-type]
        )
    else:
        old = {k: getattr(row, k) for k in (*values, "decisions")}
    for k, v in values.items():
        setattr(row, k, v)
    row.decisions, row.updated_by, row.updated_at = refs, actor, utcnow()
    session.add(row)
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=period.end.year,
        entity="tthc_figures",
        entity_id=period.key,
        action="updated" if old else "recorded",
        old=old,
        new=values | {"decisions": refs},
    )
    session.commit()
    return row


def get_tthc_figures(
    *, session: Session, agency_code: str, period: Period
) -> dict[str, Any] | None:
    """The TTHC figures entered for a period (or for the latest range inside it), or None."""
    agency = get_agency(session, agency_code)
    t = TTHC_FIGURES.c
    row = session.execute(
        select(TTHC_FIGURES)
        .where(t.agency_id == agency.id, t.period_start >= period.start, t.period_end <= period.end)
        .order_by(t.period_end.desc(), t.period_start)
        .limit(1)
    ).first()
    if row is None:
        return None
    keys = ("period_start", "period_end", "total", "amended", "new", "abolished", "decisions")
    return {k: getattr(row, k) for k in keys}


# --- legal changes ------------------------------------------------------------------------------


def _legal_change(session: Session, number: str) -> Event:
    event = session.exec(
        orm_select(Event).where(Event.kind == "legal_change", Event.number == number.strip())
    ).one_or_none()
    if event is None:
        raise IsoError(f"Chưa ghi nhận văn bản pháp luật thay đổi số «{number}».", field="event")
    return event


@_atomic
def name_affected_procedures(
    *,
    session: Session,
    event_number: str,
    agency_code: str,
    codes: Iterable[str],
    actor: str,
    today: date,
    publication_ref: str | None = None,
    published_on: date | None = None,
) -> dict[str, Any]:
    """Name the agency's procedures a legal change affects (and the Quyết định công bố TTHC that
    published it); the update step is done once each has a version issued on or after the law's
    effective date."""
    event = _legal_change(session, event_number)
    agency = get_agency(session, agency_code)
    wanted = list(dict.fromkeys(_code(c) for c in codes if c and c.strip()))
    if not wanted:
        raise IsoError("Chưa nêu quy trình nào chịu tác động.", field="codes")
    pub_ref = _text(publication_ref, "publication_ref", "Số quyết định công bố TTHC", 200)
    if published_on is not None:
        _check_not_future(published_on, today, "published_on", "Ngày quyết định công bố TTHC")
    if (published_on is None) != (pub_ref is None):
        raise IsoError(
            "Quyết định công bố TTHC cần cả số và ngày.",
            field="published_on" if published_on is None else "publication_ref",
        )
    key = f"{EVENT_STEPS['legal_change'][0]}:{event.number}"
    if _step(session, agency, event.effective_on.year, key) is None:
        raise IsoError(
            f"Văn bản «{event.number}» không tác động đến đơn vị {agency.code}.", field="agency"
        )
    p = PROCEDURE.c
    # The version in force before the law took effect is the old one: any version issued on or
    # after the effective date (even before the procedures are named here) is the update.
    versions: dict[str, int] = {}
    for code, version, decided in session.execute(
        select(p.code, p.version, p.decision_on).where(p.agency_id == agency.id, p.code.in_(wanted))
    ).tuples():
        old = decided is None or decided < event.effective_on
        versions[code] = max(versions.get(code, 0), version if old else 0)
    unknown = [c for c in wanted if c not in versions]
    if unknown:
        raise IsoError(
            f"Đơn vị {agency.code} không có tài liệu mã {', '.join(f'«{c}»' for c in unknown)}.",
            field="codes",
        )
    e = EVENT_PROCEDURE.c
    named = set(
        session.execute(
            select(e.code).where(e.event_id == event.id, e.agency_id == agency.id)
        ).scalars()
    )
    for code in wanted:
        if code not in named:
            session.add(
                EventProcedure(
                    event_id=event.id,
                    agency_id=agency.id,
                    code=code,
                    from_version=versions[code],
                    publication_ref=pub_ref,
                    published_on=published_on,
                )
            )
    if pub_ref is not None:
        for link in session.exec(
            orm_select(EventProcedure).where(
                EventProcedure.event_id == event.id, EventProcedure.agency_id == agency.id
            )
        ):
            link.publication_ref, link.published_on = pub_ref, published_on
            session.add(link)
    session.flush()
    _history(
        session,
        actor=actor,
        agency_id=agency.id,
        year=event.effective_on.year,
        entity="event",
        entity_id=event.number,
        action="procedures_named",
        old=None,
        new={"codes": ", ".join(wanted), "publication_ref": pub_ref, "published_on": published_on},
    )
    _complete_updates(session, agency.id, actor=actor, today=today)
    session.commit()
    return procedure_update(session=session, event_number=event.number, agency_code=agency.code)


def _complete_updates(session: Session, agency_id: uuid.UUID, *, actor: str, today: date) -> None:
    """Complete every open procedure_update step of the agency whose named procedures all have a
    newer version; the evidence is the newest version's decision."""
    e = EVENT_PROCEDURE.c
    events = session.execute(
        select(e.event_id).where(e.agency_id == agency_id).distinct()
    ).scalars()
    agency = None
    for event_id in list(events):
        event = session.get(Event, event_id)
        assert event is not None
        if agency is None:
            from models.tables import Agency

            agency = session.get(Agency, agency_id)
            assert agency is not None
        key = f"{EVENT_STEPS['legal_change'][0]}:{event.number}"
        step = _step(session, agency, event.effective_on.year, key)
        if step is None or step.state != STEP_OPEN:
            continue
        news = _new_versions(session, event.id, agency_id)
        if news is None:
            continue
        dated = [v for v in news if v.decision_on is not None]
        if not dated:
            continue
        last = max(dated, key=lambda v: (v.decision_on, v.decision_ref))
        refs = ", ".join(dict.fromkeys(v.decision_ref for v in news))
        _complete_step(
            session=session,
            step=step,
            done_on=last.decision_on,
            ref=last.decision_ref,
            note=f"Ban hành phiên bản mới: {', '.join(v.code for v in news)} ({refs})"[:2000],
            actor=actor,
            today=today,
        )


def _new_versions(session: Session, event_id: uuid.UUID, agency_id: uuid.UUID) -> list[Any] | None:
    """The first newer version of each named procedure, or None while one is still missing."""
    e, p = EVENT_PROCEDURE.c, PROCEDURE.c
    links = session.execute(
        select(e.code, e.from_version).where(e.event_id == event_id, e.agency_id == agency_id)
    ).all()
    out = []
    for code, from_version in links:
        row = session.execute(
            select(PROCEDURE)
            .where(p.agency_id == agency_id, p.code == code, p.version > from_version)
            .order_by(p.version)
            .limit(1)
        ).first()
        if row is None:
            return None
        out.append(row)
    return out


def procedure_update(*, session: Session, event_number: str, agency_code: str) -> dict[str, Any]:
    """A legal change at one agency: the law's effective date, the Quyết định công bố TTHC, the
    deadline (from the effective date), the named procedures and their new versions."""
    event = _legal_change(session, event_number)
    agency = get_agency(session, agency_code)
    key = f"{EVENT_STEPS['legal_change'][0]}:{event.number}"
    step = _step(session, agency, event.effective_on.year, key)
    e, p = EVENT_PROCEDURE.c, PROCEDURE.c
    links = session.execute(
        select(EVENT_PROCEDURE)
        .where(e.event_id == event.id, e.agency_id == agency.id)
        .order_by(e.code)
    ).all()
    procedures = []
    for link in links:
        newer = session.execute(
            select(p.version, p.decision_ref, p.decision_on)
            .where(p.agency_id == agency.id, p.code == link.code, p.version > link.from_version)
            .order_by(p.version)
            .limit(1)
        ).first()
        procedures.append(
            {
                "code": link.code,
                "from_version": link.from_version,
                "new_version": newer.version if newer else None,
                "decision_ref": newer.decision_ref if newer else None,
                "decision_on": newer.decision_on if newer else None,
            }
        )
    published = next((link for link in links if link.published_on is not None), None)
    return {
        "event": event.number,
        "agency": agency.code,
        "effective_on": event.effective_on,
        "publication_ref": published.publication_ref if published else None,
        "published_on": published.published_on if published else None,
        "lag_days": (published.published_on - event.effective_on).days if published else None,
        "step": key,
        "due": step.due if step else None,
        "state": step.state if step else None,
        "done_on": step.done_on if step else None,
        "ref": step.ref if step else None,
        "procedures": procedures,
    }
