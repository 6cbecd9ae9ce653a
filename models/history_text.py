"""History entries told in Vietnamese: one sentence per change, and labelled old → new values.

The web's agency page and the CLI's `history` both show history through `describe`, so no page
shows a field key, an English state or a Python dict. Keys without a label fall back to words
(never underscores); tests/test_history_text.py checks every key the models write has one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from models.agencies import KIND_LABELS
from models.iso import EVENT_KIND_LABELS, SEVERITY_LABELS
from models.tables import AGENCY, STEP, HistoryEntry

EMPTY = "(trống)"

# Every field key written to a history entry, by its Vietnamese label as the pages show it.
FIELD_LABELS = {
    # steps (models/cycles.py)
    "state": "Trạng thái",
    "done_on": "Ngày hoàn thành",
    "ref": "Số văn bản",
    "note": "Ghi chú",
    "waive_reason": "Lý do không áp dụng",
    "reason": "Lý do",
    "override_reason": "Lý do ghi nhận ngoại lệ",
    # opening a year
    "created": "Số bước tạo mới",
    "updated": "Số bước cập nhật",
    "waived": "Số bước không áp dụng",
    "calendar": "Lịch áp dụng",
    # users
    "role": "Vai trò",
    "agency": "Đơn vị",
    # agencies (models/agencies.py)
    "name": "Tên đơn vị",
    "kind": "Loại đơn vị",
    "parent_id": "Đơn vị cấp trên",
    "secretary_name": "Thư ký ISO",
    "secretary_email": "E-mail thư ký",
    "head_name": "Thủ trưởng",
    "head_email": "E-mail thủ trưởng",
    "active": "Đang hoạt động",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    # audits and findings (models/iso.py)
    "start_on": "Ngày bắt đầu",
    "end_on": "Ngày kết thúc",
    "team": "Đoàn đánh giá",
    "scope_units": "Phạm vi",
    "findings": "Các phát hiện",
    "severity": "Mức độ",
    "clause": "Điều khoản",
    "unit": "Bộ phận",
    "description": "Mô tả",
    # corrective actions
    "finding": "Phát hiện",
    "owner_name": "Người phụ trách",
    "owner_email": "E-mail người phụ trách",
    "due": "Hạn",
    "verify_due": "Hạn xác nhận hiệu quả",
    "verified_on": "Ngày xác nhận hiệu quả",
    "verified_by": "Người xác nhận",
    "effective": "Hiệu quả",
    # quality objectives
    "issued_on": "Ngày ban hành",
    "indicator": "Chỉ tiêu",
    "comparison": "So sánh",
    "target": "Giá trị mục tiêu",
    "mid_value": "Kết quả giữa năm",
    "final_value": "Kết quả cuối năm",
    "achieved": "Đạt mục tiêu",
    # management review and its prefilled inputs
    "held_on": "Ngày họp",
    "minutes_ref": "Số biên bản",
    "decisions": "Kết luận của lãnh đạo",
    "inputs": "Đầu vào xem xét",
    "audit": "Đánh giá nội bộ",
    "dates": "Ngày đánh giá",
    "objectives": "Mục tiêu chất lượng",
    "total": "Tổng số",
    "not_achieved": "Không đạt",
    "no_result": "Chưa có kết quả",
    "corrective_actions": "Hành động khắc phục",
    "closed": "Đã đóng",
    "awaiting_verification": "Chờ xác nhận hiệu quả",
    "open": "Đang thực hiện",
    "notes": "Ghi chú thêm",
    # events
    "number": "Số văn bản",
    "title": "Trích yếu",
    "effective_on": "Ngày hiệu lực",
    "step": "Bước phát sinh",
    # report requests and reports
    "letter": "Công văn",
    "letter_date": "Ngày công văn",
    "period_start": "Kỳ báo cáo từ ngày",
    "period_end": "Kỳ báo cáo đến ngày",
    "report_date": "Ngày báo cáo",
    "status": "Trạng thái báo cáo",
    "file_name": "Tệp báo cáo",
    "file_size": "Dung lượng tệp (byte)",
    "received_on": "Ngày nhận",
    "comment": "Ý kiến khi trả lại",
    **{severity: label.capitalize() for severity, label in SEVERITY_LABELS.items()},
}
# Where one key means something else for one kind of record.
ENTITY_LABELS = {
    "internal_audit": {"ref": "Số báo cáo"},
    "inspection": {"ref": "Số biên bản"},
    "objective_decision": {"ref": "Số quyết định"},
    "quality_objective": {"unit": "Đơn vị tính"},
    "corrective_action": {"description": "Nội dung hành động"},
    "event": {"kind": "Loại sự kiện"},
    "user": {"tokens": "Mã khoá API", "active": "Được đăng nhập"},
    "report": {"number": "Số báo cáo"},
    "report_request": {"unit": "Đơn vị yêu cầu", "step": "Bước báo cáo"},
}
ENTITY_NAMES = {
    "cycle": "chu kỳ",
    "step": "bước",
    "agency": "đơn vị",
    "user": "tài khoản",
    "internal_audit": "cuộc đánh giá nội bộ",
    "inspection": "biên bản kiểm tra",
    "finding": "phát hiện",
    "corrective_action": "hành động khắc phục",
    "objective_decision": "quyết định ban hành mục tiêu chất lượng",
    "quality_objective": "mục tiêu chất lượng",
    "management_review": "cuộc họp xem xét của lãnh đạo",
    "event": "sự kiện",
    "report": "báo cáo",
    "report_request": "công văn yêu cầu báo cáo",
}
ACTION_VERBS = {
    "open": "mở",
    "create": "tạo",
    "created": "tạo",
    "recorded": "ghi nhận",
    "updated": "cập nhật",
    "done": "đánh dấu hoàn thành",
    "done_updated": "sửa bằng chứng hoàn thành",
    "waived": "đánh dấu không áp dụng",
    "reopened": "mở lại",
    "verified": "xác nhận hiệu quả",
    "not_effective": "xác nhận chưa hiệu quả",
    "results": "cập nhật kết quả",
    "tokens_revoked": "thu hồi khoá API của",
    "password_changed": "đổi mật khẩu",
    "disabled": "khoá",
    "enabled": "mở khoá",
    "requested": "ghi nhận",
    "submitted": "gửi",
    "resubmitted": "gửi lại",
    "received": "ghi nhận đã nhận",
    "accepted": "chấp nhận",
    "returned": "trả lại",
}
STATE_LABELS = {"open": "chưa hoàn thành", "done": "đã hoàn thành", "waived": "không áp dụng"}
ROLE_LABELS = {
    "admin": "quản trị (Sở KH&CN)",
    "supervisor": "đơn vị chủ trì",
    "secretary": "thư ký ISO",
    "viewer": "chỉ xem",
}
COMPARISON_SIGNS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}
ACTOR_NAMES = {
    "system": "Hệ thống",
    "import": "Chương trình nhập danh sách đơn vị",
    "demo": "Dữ liệu mẫu",
    "cli": "Người dùng dòng lệnh",
}
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


def label(key: str, entity: str = "") -> str:
    """The Vietnamese label of a field key; an unknown key reads as words, never as a key."""
    known = ENTITY_LABELS.get(entity, {}).get(key) or FIELD_LABELS.get(key)
    if known:
        return known
    words = " ".join(key.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


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
    """A number as Vietnamese writes it: decimal comma, no trailing ".0"."""
    text = f"{value:.6g}" if abs(value) < 1e15 else str(value)
    return text.replace(".", ",")


def vn_day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def value_text(key: str, value: Any, entity: str = "", names: HistoryNames | None = None) -> str:
    """A stored value in Vietnamese: dates dd/mm/yyyy, có/không, labels for states and kinds."""
    names = names or HistoryNames()
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "có" if value else "không"
    if key == "state":
        return STATE_LABELS.get(value, str(value))
    if key == "severity":
        return SEVERITY_LABELS.get(value, str(value))
    if key == "kind":
        labels = EVENT_KIND_LABELS if entity == "event" else KIND_LABELS
        return labels.get(value, str(value))
    if key == "role":
        return ROLE_LABELS.get(value, str(value))
    if key == "comparison":
        return COMPARISON_SIGNS.get(value, str(value))
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
                f"{who} xác nhận {action_name} hiệu quả ngày {v('verified_on')} "
                f"(người xác nhận: {v('verified_by')})",
                {"verified_on", "verified_by", "effective"},
            )
        if action == "not_effective":
            return (
                f"{who} xác nhận {action_name} chưa hiệu quả ngày {v('verified_on')} "
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
        return (
            f"{who} {verb} cuộc họp xem xét của lãnh đạo năm {ident} ngày {v('held_on')}, "
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
    verb = ACTION_VERBS.get(action) or label(action).lower()
    thing = ENTITY_NAMES.get(entity) or label(entity).lower()
    return f"{who} {verb} {thing} {ident}".rstrip(), set()


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
