"""History entries told in Vietnamese: one sentence per change, and labelled old → new values.

The web's agency page, the CLI's `history` and the API's history all tell history through
`describe`, so no page shows a field key, an English state or a Python value. The words are data:
every file of config/history/ (one per record family) labels fields, values, verbs and records,
and may give a whole sentence per action (see core.toml). A key without a label reads "Trường
khác"; tests/test_history_text.py checks every key the models write has one (`missing_labels`).
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from config.settings import CONFIG_DIR
from models.agencies import KIND_LABELS
from models.iso import (
    ANNOUNCEMENT_LABELS,
    EVENT_KIND_LABELS,
    FORM_LABELS,
    MODE_LABELS,
    PROCEDURE_KIND_LABELS,
    SEVERITY_LABELS,
    edition_label,
)
from models.iso.reporting import REPORT_KIND_LABELS, STATUS_LABELS as REPORT_STATUS_LABELS
from models.tables import AGENCY, STEP, HistoryEntry
from models.vn_format import vn_number

HISTORY_DIR = CONFIG_DIR / "history"
EMPTY = "chưa có"
UNKNOWN_FIELD = "Trường khác"
UNKNOWN_ENTITY = "bản ghi"
UNKNOWN_ACTION = "thay đổi"
ACTOR_NAMES = {
    "system": "Hệ thống",
    "import": "Chương trình nhập danh sách đơn vị",
    "demo": "Dữ liệu mẫu",
    "cli": "Người dùng dòng lệnh",
}


@dataclass(frozen=True)
class FieldLabel:
    """A field's label, and the words for a true and a false value."""

    label: str
    yes: str = "có"
    no: str = "không"


@dataclass
class EntityLabels:
    """What one kind of record is called, and the labels, words and sentences of its own."""

    name: str = ""
    fields: dict[str, FieldLabel] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, str] = field(default_factory=dict)


@dataclass
class Labels:
    """Every label of config/history/*.toml, merged: fields, value words, verbs, records."""

    fields: dict[str, FieldLabel] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    entities: dict[str, EntityLabels] = field(default_factory=dict)


class LabelConflict(ValueError):
    """Two files of config/history/ give one key different words."""


def _merge(into: dict[str, Any], new: Mapping[str, Any], where: str, path: str) -> None:
    for key, value in new.items():
        at = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(into.get(key, {}), dict):
            _merge(into.setdefault(key, {}), value, where, at)
        elif key in into and into[key] != value:
            raise LabelConflict(f"{where}: {at} = {value!r}, but another file has {into[key]!r}")
        else:
            into[key] = value


def _field_labels(raw: Mapping[str, Any]) -> dict[str, FieldLabel]:
    return {
        k: FieldLabel(v)
        if isinstance(v, str)
        else FieldLabel(v["label"], v.get("yes", "có"), v.get("no", "không"))
        for k, v in raw.items()
    }


def read_labels(directory: Path = HISTORY_DIR) -> Labels:
    """Read and merge every .toml file of `directory`, plus the labels the models define.

    Raises LabelConflict when two files give one key different words.
    """
    raw: dict[str, Any] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            _merge(raw, tomllib.load(fh), path.name, "")
    # Words the models already hold, so that there is one source for each.
    _merge(
        raw,
        {
            "values": {
                "severity": dict(SEVERITY_LABELS),
                "kind": dict(KIND_LABELS),
                "form": dict(FORM_LABELS),
            }
        },
        "models",
        "",
    )
    own_kinds = {
        "event": EVENT_KIND_LABELS,
        "procedure": PROCEDURE_KIND_LABELS,
        "announcement": ANNOUNCEMENT_LABELS,
    }
    _merge(
        raw,
        {"entities": {e: {"values": {"kind": dict(k)}} for e, k in own_kinds.items()}},
        "models",
        "",
    )
    report_steps = {k: v.lower() for k, v in REPORT_KIND_LABELS.items()}
    own_values = {
        "qms_profile": {"mode": dict(MODE_LABELS)},
        "report": {"status": {k: v.lower() for k, v in REPORT_STATUS_LABELS.items()}},
        "report_request": {"step": report_steps},
    }
    _merge(raw, {"entities": {e: {"values": v} for e, v in own_values.items()}}, "models", "")
    severity_keys = {k: v.capitalize() for k, v in SEVERITY_LABELS.items()}
    _merge(raw, {"fields": severity_keys}, "models", "")
    entities = {
        name: EntityLabels(
            name=e.get("name", ""),
            fields=_field_labels(e.get("fields", {})),
            values=e.get("values", {}),
            actions=e.get("actions", {}),
            sentences=e.get("sentences", {}),
        )
        for name, e in raw.get("entities", {}).items()
    }
    return Labels(
        fields=_field_labels(raw.get("fields", {})),
        values=raw.get("values", {}),
        actions=raw.get("actions", {}),
        entities=entities,
    )


@functools.cache
def labels() -> Labels:
    """The labels of config/history/, read once."""
    return read_labels()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Change:
    """One field of a change: its label, the old value (None when there was none) and the new."""

    label: str
    old: str | None
    new: str

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.new}"
            if self.old is None
            else (f"{self.label}: {self.old} → {self.new}")
        )


@dataclass(frozen=True)
class Described:
    """A history entry as a Vietnamese sentence and the labelled values it does not already say."""

    sentence: str
    changes: list[Change]


@dataclass
class HistoryNames:
    """What turns stored identifiers into names: step titles, people and agencies."""

    step_titles: Mapping[tuple[int | None, str], str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    agencies: Mapping[str, str] = field(default_factory=dict)


def field_label(key: str, entity: str = "") -> FieldLabel | None:
    """The label of a field key for a kind of record, or None when no file labels it."""
    table = labels()
    own = table.entities.get(entity)
    return (own.fields.get(key) if own else None) or table.fields.get(key)


def label(key: str, entity: str = "") -> str:
    """The Vietnamese label of a field key; an unknown key reads "Trường khác", never as a key."""
    found = field_label(key, entity)
    return found.label if found else UNKNOWN_FIELD


def entity_name(entity: str) -> str:
    """What a kind of record is called ("hành động khắc phục"); "bản ghi" when unknown."""
    own = labels().entities.get(entity)
    return own.name if own and own.name else UNKNOWN_ENTITY


def action_verb(action: str, entity: str = "") -> str:
    """The verb of an action ("ghi nhận"); "thay đổi" when unknown."""
    own = labels().entities.get(entity)
    return (own.actions.get(action) if own else None) or labels().actions.get(
        action, UNKNOWN_ACTION
    )


def _value_word(key: str, value: str, entity: str) -> str | None:
    own = labels().entities.get(entity)
    words = (own.values.get(key) if own else None) or labels().values.get(key) or {}
    return words.get(value)


def actor_name(actor: str, people: Mapping[str, str]) -> str:
    """Who did it: a signed-in user's full name, else the login; machine actors in words."""
    source, sep, name = actor.partition(":")
    if sep and name and source in ("web", "api"):
        return people.get(name) or name
    if sep and name and source == "cli":
        return f"{name} (dòng lệnh)"
    if sep and source == "flow":
        return "Hệ thống"
    return ACTOR_NAMES.get(actor, actor)


def number_text(value: float) -> str:
    """A number as Vietnamese writes it: "10.000.000", "98,5", no trailing ",0"."""
    return vn_number(value)


def vn_day(text: str) -> str:
    """An ISO date as dd/mm/yyyy; text that only looks like one is shown as it is."""
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def value_text(key: str, value: Any, entity: str = "", names: HistoryNames | None = None) -> str:
    """A stored value in Vietnamese: dates dd/mm/yyyy, có/không, labels for states and kinds."""
    names = names or HistoryNames()
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        found = field_label(key, entity) or FieldLabel("")
        return found.yes if value else found.no
    if key in ("allocated", "spent") and isinstance(value, int):
        return f"{vn_number(value)} đồng"
    if key == "edition":
        return edition_label(str(value))
    if key.endswith("_year") and isinstance(value, int):
        return str(value)  # a year, not a quantity: 2018, never "2.018"
    if key == "role" and entity == "steering_committee":
        return str(value)  # the committee role is the decision's own words
    if isinstance(value, str) and (word := _value_word(key, value, entity)) is not None:
        return word
    if key == "parent_id":
        return names.agencies.get(str(value), "một đơn vị đã xoá")
    if key in ("finding", "findings") and isinstance(value, int | list):
        items = value if isinstance(value, list) else [value]
        return ", ".join(f"#{n}" for n in items)
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return vn_day(value) if _ISO_DATE.fullmatch(value) else value
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in value):
            return f"{vn_day(value[0])}–{vn_day(value[1])}"
        return "; ".join(value_text(key, v, entity, names) for v in value)
    if isinstance(value, dict):
        return _dict_text(value, entity, names, 0)
    return str(value)


def _dict_text(values: Mapping[str, Any], entity: str, names: HistoryNames, depth: int) -> str:
    """Nested values (the review's inputs) as "Label: label value, label (…); Label: …"."""
    parts = []
    for k, v in values.items():
        name = label(k, entity) if depth == 0 else label(k, entity).lower()
        if isinstance(v, dict) and v:
            inner = _dict_text(v, entity, names, depth + 1)
            parts.append(f"{name}: {inner}" if depth == 0 else f"{name} ({inner})")
        else:
            sep = ": " if depth == 0 else " "
            parts.append(f"{name}{sep}{value_text(k, v, entity, names)}")
    return ("; " if depth == 0 else ", ").join(parts)


def describe(entry: HistoryEntry, names: HistoryNames | None = None) -> Described:
    """Tell one history entry as a sentence plus the labelled changes the sentence leaves out."""
    names = names or HistoryNames()
    old, new = entry.old or {}, entry.new or {}
    values = {**old, **new}
    who = actor_name(entry.actor, names.people)
    entity = entry.entity

    def v(key: str) -> str:
        return value_text(key, values.get(key), entity, names)

    sentence, said = _sentence(entry, who, values, v, names)
    changes = []
    for key in dict.fromkeys([*old, *new]):
        if key in said or key == "state":
            continue  # the sentence says it, or the action is the new state
        if key == "inputs" and entry.old is not None:
            continue  # a correction recomputes the review's inputs; the first record shows them
        if entry.old is not None and key in old and key in new and old[key] == new[key]:
            continue
        if entry.old is None or key not in old:
            if key not in new or new[key] in (None, "", [], {}):
                continue
            changes.append(Change(label(key, entity), None, v(key)))
            continue
        before = value_text(key, old.get(key), entity, names)
        after = value_text(key, new.get(key), entity, names) if key in new else EMPTY
        changes.append(Change(label(key, entity), before, after))
    return Described(sentence, changes)


def _sentence(
    entry: HistoryEntry,
    who: str,
    values: Mapping[str, Any],
    v: Any,
    names: HistoryNames,
) -> tuple[str, set[str]]:
    """The sentence for an entry and the keys it already states."""
    entity, action, ident = entry.entity, entry.action, entry.entity_id
    if entity == "report":  # a report is kept under its step: name the step, not its key
        kind, _, letter = ident.partition(":")
        named = REPORT_KIND_LABELS.get(kind, ident).removeprefix("Báo cáo ").lower()
        ident = f"theo công văn {letter}" if letter else named  # "gửi báo cáo năm"
    templated = _template_sentence(entry, who, v)
    if templated is not None:
        return templated
    if entity == "step":
        title = names.step_titles.get((entry.year, ident)) or ident
        step = f"bước «{title}»"
        if action == "done":
            sentence = (
                f"{who} đánh dấu hoàn thành {step} ngày {v('done_on')}, số văn bản {v('ref')}"
            )
            return sentence, {"done_on", "ref"}
        if action == "done_updated":
            return f"{who} sửa bằng chứng hoàn thành {step}", set()
        if action == "waived":
            return f"{who} đánh dấu {step} không áp dụng: {v('waive_reason')}", {"waive_reason"}
        if action == "reopened":
            return f"{who} mở lại {step}: {v('reason')}", {"reason"}
    if entity == "cycle" and action == "open":
        waived = f", {v('waived')} bước không áp dụng" if values.get("waived") else ""
        return (
            f"{who} mở chu kỳ năm {ident} theo lịch {v('calendar')}: tạo {v('created')} bước, "
            f"cập nhật {v('updated')} bước{waived}",
            {"calendar", "created", "updated", "waived"},
        )
    if entity == "user" and action == "create":
        where = f" của đơn vị {values['agency']}" if values.get("agency") else ""
        return f"{who} tạo tài khoản {ident} ({v('role')}){where}", {"role", "agency"}
    if entity == "agency":
        agency = f"đơn vị {values['name']} ({ident})" if values.get("name") else f"đơn vị {ident}"
        if action == "created":
            return f"{who} thêm {agency}", {"name"}
        if action == "updated":
            return f"{who} cập nhật thông tin đơn vị {ident}", set()
    if entity in ("internal_audit", "inspection") and action == "recorded":
        what = "cuộc đánh giá nội bộ" if entity == "internal_audit" else "biên bản kiểm tra"
        count = len(values.get("findings") or [])
        days = (
            v("start_on")
            if values.get("start_on") == values.get("end_on")
            else (f"{v('start_on')}–{v('end_on')}")
        )
        return (
            f"{who} ghi nhận {what} {v('ref')} ngày {days}, {count} phát hiện",
            {"ref", "start_on", "end_on"},
        )
    if entity == "finding" and action == "created":
        return (
            f"{who} ghi nhận phát hiện #{ident} ({v('severity')}) tại {v('unit')}: "
            f"{_short(v('description'))}",
            {"severity", "unit", "description"},
        )
    if entity == "corrective_action":
        action_name = f"hành động khắc phục #{ident}"
        if action == "created":
            return (
                f"{who} mở {action_name} cho phát hiện {v('finding')}, hạn {v('due')}, "
                f"người phụ trách {v('owner_name')}",
                {"finding", "due", "owner_name"},
            )
        if action == "done":
            return f"{who} ghi nhận đã thực hiện {action_name} ngày {v('done_on')}", {"done_on"}
        if action == "verified":
            return (
                f"{who} xác nhận {action_name} có hiệu lực ngày {v('verified_on')} "
                f"(người xác nhận: {v('verified_by')})",
                {"verified_on", "verified_by", "effective"},
            )
        if action == "not_effective":
            return (
                f"{who} xác nhận {action_name} không có hiệu lực ngày {v('verified_on')} "
                f"(người xác nhận: {v('verified_by')}); mở lại với hạn mới {v('due')}",
                {"verified_on", "verified_by", "effective"},
            )
    if entity == "objective_decision":
        verb = "ghi nhận" if action == "created" else "sửa"
        return (
            f"{who} {verb} quyết định ban hành mục tiêu chất lượng năm {ident}: "
            f"số {v('ref')}, ngày {v('issued_on')}",
            {"ref", "issued_on"} if action == "created" else set(),
        )
    if entity == "quality_objective":
        if action == "created":
            unit = f" {values['unit']}" if values.get("unit") else ""
            return (
                f"{who} thêm mục tiêu chất lượng #{ident}: {_short(v('indicator'))} "
                f"{v('comparison')} {v('target')}{unit}",
                {"indicator", "comparison", "target", "unit"},
            )
        if action == "results":
            return f"{who} cập nhật kết quả mục tiêu chất lượng #{ident}", set()
    if entity == "management_review":
        verb = "ghi nhận" if action == "recorded" else "sửa"
        # A year's first review is "YEAR", a further one "YEAR:NUMBER" (models/iso/reviews.py).
        year_text, _, number = ident.partition(":")
        which = f" số {number}" if number else ""
        return (
            f"{who} {verb} cuộc họp xem xét của lãnh đạo{which} năm {year_text} "
            f"ngày {v('held_on')}, "
            f"biên bản {v('minutes_ref')}",
            {"held_on", "minutes_ref"} if action == "recorded" else set(),
        )
    if entity == "event" and action == "recorded":
        step_title = names.step_titles.get((entry.year, str(values.get("step", ""))))
        step = f"«{step_title}»" if step_title else "mới"
        return (
            f"{who} ghi nhận {v('kind').lower()} {v('number')} có hiệu lực từ "
            f"{v('effective_on')}; phát sinh bước {step}, hạn {v('due')}",
            {"kind", "number", "effective_on", "step", "due"},
        )
    if entity in ("inspection_plan", "inspection", "inspection_report"):
        return _inspection_sentence(entry, who, values, v, names)
    if entity in ACTIVITY_ENTITIES:
        return _activity_sentence(entry, who, values, v)
    return f"{who} {action_verb(action, entity)} {entity_name(entity)} {ident}".rstrip(), set()


def _template_sentence(entry: HistoryEntry, who: str, v: Any) -> tuple[str, set[str]] | None:
    """The sentence config/history/ writes for this record and action, and the keys it names."""
    own = labels().entities.get(entry.entity)
    template = own.sentences.get(entry.action) if own else None
    if template is None:
        return None
    said = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    given = {"who": who, "id": entry.entity_id, "year": str(entry.year or "")}
    words = {k: given[k] if k in given else v(k) for k in said}
    return template.format_map(words), said - set(given)


def _keys(values: object) -> set[str]:
    if isinstance(values, dict):
        found = set(values)
        for v in values.values():
            found |= _keys(v)
        return found
    return set()


def missing_labels(entries: Iterable[HistoryEntry]) -> set[str]:
    """What config/history/ does not name in these entries: "entity X", "action X", "field X".

    A new record family's test calls it on the history its functions write, and expects set().
    """
    missing: set[str] = set()
    table = labels()
    for e in entries:
        own = table.entities.get(e.entity)
        if not own or not own.name:
            missing.add(f"entity {e.entity}")
        has_sentence = bool(own and e.action in own.sentences)
        if (
            not has_sentence
            and e.action not in table.actions
            and not (own and e.action in own.actions)
        ):
            missing.add(f"action {e.action}")
        for key in _keys(e.old) | _keys(e.new):
            if field_label(key, e.entity) is None:
                missing.add(f"field {key}")
    return missing


def _inspection_sentence(
    entry: HistoryEntry, who: str, values: Mapping[str, Any], v: Any, names: HistoryNames
) -> tuple[str, set[str]]:
    """The sentences of an inspection's plan, its biên bản's report-back step and the report."""
    action, ident = entry.action, entry.entity_id
    if entry.entity == "inspection_plan":
        when = (
            f"ngày {v('planned_on')}" if values.get("planned_on") else f"tháng {v('planned_month')}"
        )
        plan = f"kế hoạch kiểm tra {v('decision')} ({v('decision_on')}) của {v('inspector')}"
        if action == "planned":
            return (
                f"{who} đưa đơn vị vào {plan}: {v('form')}, {when}",
                {"decision", "decision_on", "inspector", "form", "planned_on", "planned_month"},
            )
        return f"{who} sửa lịch kiểm tra của đơn vị trong {plan}", {
            "decision",
            "decision_on",
            "inspector",
        }
    if entry.entity == "inspection" and action == "report_back_due":
        title = names.step_titles.get((entry.year, str(values.get("step", ""))))
        step = f"«{title}»" if title else "báo cáo kết quả khắc phục"
        return (
            f"{who} ghi nhận biên bản kiểm tra {ident} của {v('inspector')}; phát sinh bước "
            f"{step}, hạn {v('due')}",
            {"inspector", "step", "due"},
        )
    verb = "ghi nhận" if action == "reported" else "sửa"
    return (
        f"{who} {verb} báo cáo kết quả khắc phục {v('ref')} ngày {v('on')} sau biên bản {ident}",
        {"ref", "on"},
    )


# Issue 11: a period's training, budget, directing documents, own inspections; lineage links.
ACTIVITY_ENTITIES = {
    "training_course",
    "iso_budget",
    "directing_document",
    "own_inspection",
    "agency_link",
}


def _period_text(key: str) -> str:
    start, _, end = key.partition("..")
    return f"{vn_day(start)}–{vn_day(end)}" if _ISO_DATE.fullmatch(start) else key


def _activity_sentence(
    entry: HistoryEntry, who: str, values: Mapping[str, Any], v: Any
) -> tuple[str, set[str]]:
    """The sentence for issue 11's records, naming the period each figure belongs to."""
    entity, ident = entry.entity, entry.entity_id
    verb = action_verb(entry.action, entity)
    if entity == "iso_budget":
        key, _, purpose = ident.rpartition(":")
        return (
            f"{who} {verb} kinh phí kỳ {_period_text(key)}: được cấp {v('allocated')}",
            {"allocated"} if entry.old is None else set(),
        )
    if entity == "agency_link":
        if "successor" in values:
            return (f"{who} ghi nhận đơn vị kế thừa: {values['successor']}", {"successor"})
        return (
            f"{who} ghi nhận đơn vị trước đây: {values.get('predecessor', '')}",
            {"predecessor"},
        )
    period = _period_text(str(values.get("period", "")))
    if entity == "training_course":
        return (
            f"{who} {verb} lớp tập huấn «{_short(v('title'))}» ngày {v('held_on')}, "
            f"{v('person_times')} lượt người (kỳ {period})",
            {"title", "held_on", "person_times", "period"},
        )
    if entity == "directing_document":
        number = values.get("number") or "không số"
        return (
            f"{who} {verb} văn bản chỉ đạo {number} ngày {v('issued_on')} (kỳ {period})",
            {"number", "issued_on", "period"},
        )
    return (
        f"{who} {verb} cuộc kiểm tra {v('unit')} ngày {v('held_on')} (kỳ {period})",
        {"unit", "held_on", "period"},
    )


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def history_names(session: Session, entries: Iterable[HistoryEntry]) -> HistoryNames:
    """Look up the step titles, people and agencies the entries name, in three queries."""
    from models.users import User

    entries = list(entries)
    agency_ids = {e.agency_id for e in entries if e.agency_id is not None}
    titles: dict[tuple[int | None, str], str] = {}
    if agency_ids:
        s = STEP.c
        for year, key, title in session.execute(
            select(s.year, s.key, s.title).where(s.agency_id.in_(agency_ids))
        ).tuples():
            titles[(year, key)] = title
    logins = {
        e.actor.partition(":")[2] for e in entries if e.actor.partition(":")[0] in ("web", "api")
    }
    people: dict[str, str] = {}
    if logins:
        u = User.__table__.c  # type: ignore[attr-defined]
        for username, full_name in session.execute(
            select(u.username, u.full_name).where(u.username.in_(logins))
        ).tuples():
            if full_name:
                people[username] = full_name
    parents: set[uuid.UUID] = set()
    for e in entries:
        for values in (e.old or {}, e.new or {}):
            if values.get("parent_id"):
                try:
                    parents.add(uuid.UUID(str(values["parent_id"])))
                except ValueError:
                    continue
    agencies: dict[str, str] = {}
    if parents:
        a = AGENCY.c
        for agency_id, code, name in session.execute(
            select(a.id, a.code, a.name).where(a.id.in_(parents))
        ).tuples():
            agencies[str(agency_id)] = f"{name} ({code})"
    return HistoryNames(step_titles=titles, people=people, agencies=agencies)
