"""History told as Vietnamese sentences: every key the models write has a label, no raw values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from models import cycles, iso
from models.agencies import upsert_agencies
from models.history_text import (
    HistoryNames,
    LabelConflict,
    describe,
    history_names,
    label,
    missing_labels,
    read_labels,
    value_text,
)
from models.tables import Agency, HistoryEntry
from models.users import create_user
from tests.conftest import HEADER, SMALL_PROVINCE
from tests.test_step_requires import without_requires

MODELS = Path(__file__).resolve().parents[1] / "models"
TODAY = date(2026, 12, 20)
# What a shown history must never contain: Python values, dict braces, field keys.
RAW = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|[{}\[\]]|'|\w+_\w+")


def _every_history_write(session, rules) -> None:
    """Drive every model function that writes history, each kind of action at least once."""
    create_user(
        session=session,
        username="hathuky",
        password="a-long-password",
        role="secretary",
        agency_code="SNGV",
        full_name="Nguyễn Thị Hà",
    )
    moved = [r[:] for r in SMALL_PROVINCE]
    moved[3][3], moved[3][6] = "HATINH", "Đỗ Thị Hồng"  # TTDVDN: new parent and head
    upsert_agencies(session=session, header=HEADER, data=moved, actor="web:hathuky")
    # A ward formed on 1/11 had objectives_review opened by a calendar without `requires`; the
    # next opening waives it (it never had quality_objectives).
    session.add(
        Agency(code="P-MOI", name="UBND phường Mới", kind="ubnd_xa", valid_from=date(2026, 11, 1))
    )
    session.commit()
    cycles.open_cycle(session=session, year=2026, rules=without_requires(rules))
    cycles.open_cycle(session=session, year=2026, rules=rules)

    def step(key: str):
        session.expire_all()
        return cycles.find_step(session=session, agency_code="SNGV", year=2026, key=key)

    web = "web:hathuky"
    cycles.mark_done(
        session=session, step=step("plan"), done_on=date(2026, 1, 19), ref="46/KH-SNgV",
        note=None, actor=web, today=TODAY,
    )  # fmt: skip
    cycles.mark_done(
        session=session, step=step("plan"), done_on=date(2026, 1, 20), ref="47/KH-SNgV",
        note="Sửa số", actor=web, today=TODAY,
    )  # fmt: skip
    cycles.waive(session=session, step=step("six_month_report"), reason="Sáp nhập", actor=web)
    cycles.reopen(session=session, step=step("six_month_report"), reason="Nhầm", actor=web)

    finding = iso.FindingIn("nặng", "Văn phòng", "Hồ sơ chưa cập nhật", "7.5.3")
    iso.record_audit(
        session=session, agency_code="SNGV", year=2026, start_on=date(2026, 10, 1),
        end_on=date(2026, 10, 7), ref="25/BC-ĐGNB", team="Đoàn", scope_units=["Văn phòng"],
        findings=[finding], actor=web, today=TODAY,
    )  # fmt: skip
    iso.record_audit(
        session=session, agency_code="SNGV", year=2026, start_on=date(2026, 11, 2),
        end_on=date(2026, 11, 2), ref="BB 12/SKHCN", team=None, scope_units=[],
        findings=[], actor=web, today=TODAY, kind="inspection",
    )  # fmt: skip
    iso_rules, working = iso.load_iso_rules(), rules.working
    iso.add_action(
        session=session, agency_code="SNGV", year=2026, finding_number=1, owner_name="Hoa",
        owner_email="hoa@hatinh.example", description="Cập nhật hồ sơ", actor=web,
        rules=iso_rules, working=working,
    )  # fmt: skip
    for effective in (False, True):
        iso.complete_action(
            session=session, agency_code="SNGV", year=2026, number=1,
            done_on=date(2026, 11, 5), actor=web, today=TODAY,
        )  # fmt: skip
        iso.verify_action(
            session=session, agency_code="SNGV", year=2026, number=1,
            verified_on=date(2026, 11, 10), verified_by="Trưởng phòng", effective=effective,
            actor=web, today=TODAY, rules=iso_rules, working=working,
        )  # fmt: skip
    for ref in ("41/QĐ-SNgV", "42/QĐ-SNgV"):
        iso.set_objective_decision(
            session=session, agency_code="SNGV", year=2026, ref=ref,
            issued_on=date(2026, 1, 24), actor=web, today=TODAY,
        )  # fmt: skip
    iso.add_objectives(
        session=session, agency_code="SNGV", year=2026,
        objectives=[iso.ObjectiveIn("Hồ sơ đúng hạn", ">=", "98,5", "%")], actor=web, today=TODAY,
    )  # fmt: skip
    iso.record_results(
        session=session, agency_code="SNGV", year=2026, values={1: (97.0, 99.0)},
        actor=web, today=TODAY,
    )  # fmt: skip
    for minutes in ("BB 01", "BB 02"):
        iso.record_review(
            session=session, agency_code="SNGV", year=2026, held_on=date(2026, 9, 1),
            minutes_ref=minutes, decisions="Duy trì", actor=web, today=TODAY,
            override_reason="Họp trước đánh giá theo chỉ đạo",
        )  # fmt: skip
    iso.record_event(
        session=session, kind="legal_change", number="512/QĐ-UBND",
        effective_on=date(2026, 3, 1), agency_codes=["SNGV"], actor=web, rules=iso_rules,
        working=working, title="Sửa đổi quy trình",
    )  # fmt: skip
    # Issue 11: a period's training, budget, directing documents and inspections; lineage.
    from models import lineage
    from models.periods import annual

    period = annual(2026)
    iso.add_training(
        session=session, agency_code="SNGV", period=period, title="Tập huấn ISO",
        organiser="Sở KH&CN", mode="attended", held_on=date(2026, 3, 18), person_times=2,
        actor=web, today=TODAY,
    )  # fmt: skip
    for allocated in (9_000_000, 10_000_000):
        iso.set_budget(
            session=session, agency_code="SNGV", period=period, allocated=allocated,
            spent=allocated, note="Tiết kiệm chi 10%", actor=web,
        )  # fmt: skip
    iso.add_directing_document(
        session=session, agency_code="SNGV", period=period, number="46/KH-SNgV",
        title="Kế hoạch ISO", issued_on=date(2026, 1, 19), actor=web, today=TODAY,
    )  # fmt: skip
    iso.add_own_inspection(
        session=session, agency_code="SNGV", period=period, held_on=date(2026, 5, 12),
        unit="Văn phòng", ref="01/BB-SNgV", actor=web, today=TODAY,
    )  # fmt: skip
    lineage.add_links(
        session=session, links=[lineage.LinkIn("TTDVDN", "UB18073", "Quyết định 1/QĐ-UBND")],
        actor=web,
    )  # fmt: skip


def _written_literals(name: str) -> set[str]:
    """Every `entity`/`action` value written as a literal anywhere in models/."""
    found: set[str] = set()
    for path in MODELS.rglob("*.py"):  # models/iso/ too
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(rf'\b{name}="(\w+)"', text))
        found |= set(re.findall(rf'"{name}": "(\w+)"', text))
    return found


def _keys(values: object) -> set[str]:
    if isinstance(values, dict):
        keys = set(values)
        for v in values.values():
            keys |= _keys(v)
        return keys
    return set()


FIRST_FAMILIES = {
    "user", "agency", "cycle", "step", "internal_audit", "inspection", "finding",
    "corrective_action", "objective_decision", "quality_objective", "management_review", "event",
    # issue 11: a period's training, budget, directing documents, own inspections; lineage
    "training_course", "iso_budget", "directing_document", "own_inspection", "agency_link",
}  # fmt: skip
FIRST_ACTIONS = {
    "create", "created", "updated", "open", "done", "done_updated", "waived", "reopened",
    "recorded", "verified", "not_effective", "results",
}  # fmt: skip


def test_every_record_and_action_the_models_write_has_words():
    # Any family, in models/ or models/iso/: its entity and action literals are named in
    # config/history/, so no history line falls back to "bản ghi" or "thay đổi".
    table = read_labels()
    named = {e for e, own in table.entities.items() if own.name}
    assert _written_literals("entity") - named == set()
    verbs = set(table.actions)
    for own in table.entities.values():
        verbs |= set(own.actions) | set(own.sentences)
    assert _written_literals("action") - verbs == set()


def test_every_field_key_written_to_history_has_a_label(session, province, rules):
    _every_history_write(session, rules)
    entries = session.exec(select(HistoryEntry)).all()
    # Every kind of record and action of the first families is in the scenario above; a newer
    # family checks its own history with missing_labels in its tests.
    assert {e.entity for e in entries} == FIRST_FAMILIES
    assert {e.action for e in entries} >= FIRST_ACTIONS
    keys = set().union(*(_keys(e.old) | _keys(e.new) for e in entries))
    assert missing_labels(entries) == set()
    assert {"state", "override_reason", "inputs", "parent_id", "effective"} <= keys

    names = history_names(session, entries)
    for entry in entries:
        told = describe(entry, names)
        shown = [told.sentence, *(str(c) for c in told.changes)]
        for text in shown:
            assert not RAW.search(text), (entry.entity, entry.action, text)


def test_it_tells_a_step_done_as_a_sentence_with_the_user_name(session, opened_2026):
    create_user(
        session=session, username="hathuky", password="a-long-password", role="secretary",
        agency_code="SNGV", full_name="Nguyễn Thị Hà",
    )  # fmt: skip
    plan = cycles.find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    cycles.mark_done(
        session=session, step=plan, done_on=date(2026, 1, 19), ref="46/KH-SNgV", note=None,
        actor="web:hathuky", today=TODAY,
    )  # fmt: skip
    cycles.mark_done(
        session=session, step=plan, done_on=date(2026, 1, 21), ref="46/KH-SNgV", note=None,
        actor="web:hathuky", today=TODAY,
    )  # fmt: skip
    entries = session.exec(
        select(HistoryEntry).where(HistoryEntry.entity == "step").order_by(HistoryEntry.at)
    ).all()
    names = history_names(session, entries)
    done, corrected = (describe(e, names) for e in entries)
    assert done.sentence == (
        f"Nguyễn Thị Hà đánh dấu hoàn thành bước «{plan.title}» ngày 19/01/2026, "
        "số văn bản 46/KH-SNgV"
    )
    assert done.changes == []  # the state is the sentence; "state: open" is never shown
    assert corrected.sentence == f"Nguyễn Thị Hà sửa bằng chứng hoàn thành bước «{plan.title}»"
    assert [str(c) for c in corrected.changes] == ["Ngày hoàn thành: 19/01/2026 → 21/01/2026"]


def test_values_read_as_vietnamese():
    assert value_text("due", "2026-10-15") == "15/10/2026"
    assert value_text("effective", True, "corrective_action") == "có hiệu lực"
    assert value_text("effective", False, "corrective_action") == "không có hiệu lực"
    assert value_text("active", False, "agency") == "ngừng hoạt động"
    assert value_text("achieved", True, "quality_objective") == "đạt"
    assert value_text("owner_email", "hoa@hatinh.example") == "hoa@hatinh.example"
    assert value_text("override_reason", None) == "chưa có"
    assert value_text("state", "waived") == "không áp dụng"
    assert value_text("severity", "major") == "không phù hợp nặng"
    assert value_text("kind", "so") == "Sở, ngành"
    assert value_text("kind", "legal_change", "event") == "Văn bản pháp luật thay đổi"
    assert value_text("target", 98.5) == "98,5" and value_text("target", 95.0) == "95"
    assert value_text("target", 10000000) == "10.000.000"
    assert value_text("target", 1234.5) == "1.234,5"
    assert label("some_new_field") == "Trường khác"  # readable Vietnamese, never the key
    entry = HistoryEntry(
        at=datetime(2026, 10, 1, tzinfo=UTC), actor="web:sec", entity="corrective_action",
        entity_id="3", action="updated", old={"due": "2026-10-15"}, new={"due": "2026-10-30"},
    )  # fmt: skip
    told = describe(entry, HistoryNames(people={"sec": "Nguyễn Thị Hà"}))
    assert [str(c) for c in told.changes] == ["Hạn: 15/10/2026 → 30/10/2026"]
    assert told.sentence.startswith("Nguyễn Thị Hà cập nhật hành động khắc phục 3")


@pytest.mark.parametrize(
    ("actor", "shown"),
    [("system", "Hệ thống"), ("cli:root", "root (dòng lệnh)"), ("Lê Thị Thu", "Lê Thị Thu")],
)
def test_actors_are_named_in_words(actor, shown):
    entry = HistoryEntry(
        actor=actor, entity="step", entity_id="plan", action="waived", year=2026,
        new={"state": "waived", "waive_reason": "Sáp nhập"},
    )  # fmt: skip
    assert describe(entry).sentence == f"{shown} đánh dấu bước «plan» không áp dụng: Sáp nhập"


def test_it_tells_a_corrective_action_change_with_labelled_vietnamese_values():
    # What the agency page showed as `owner_email: …`, `verify_due: None`, `effective: True`.
    entry = HistoryEntry(
        at=datetime(2026, 11, 12, tzinfo=UTC), actor="web:sec", year=2026,
        entity="corrective_action", entity_id="1", action="updated",
        old={"owner_email": "hoa@hatinh.example", "verify_due": None, "effective": None,
             "done_on": None, "due": "2026-10-26"},
        new={"owner_email": "lan@hatinh.example", "verify_due": "2026-11-25", "effective": True,
             "done_on": None, "due": "2026-10-26"},
    )  # fmt: skip
    told = describe(entry, HistoryNames(people={"sec": "Nguyễn Thị Hà"}))
    assert told.sentence == "Nguyễn Thị Hà cập nhật hành động khắc phục 1"
    assert [str(c) for c in told.changes] == [
        "E-mail người phụ trách: hoa@hatinh.example → lan@hatinh.example",
        "Hạn kiểm tra hiệu lực: chưa có → 25/11/2026",
        "Hiệu lực: chưa có → có hiệu lực",
    ]
    entry.old, entry.new = {"effective": True}, {"effective": False}
    assert [str(c) for c in describe(entry).changes] == [
        "Hiệu lực: có hiệu lực → không có hiệu lực"
    ]


def test_unknown_records_fields_and_actions_still_read_as_vietnamese():
    entry = HistoryEntry(
        actor="system", entity="mystery_record", entity_id="7", action="frobbed", year=2026,
        old={"zap_count": 12000}, new={"zap_count": 12345.5, "flag_x": False, "when_x": None},
    )  # fmt: skip
    told = describe(entry)
    assert told.sentence == "Hệ thống thay đổi bản ghi 7"
    assert [str(c) for c in told.changes] == [
        "Trường khác: 12.000 → 12.345,5",
        "Trường khác: không",
    ]
    for text in [told.sentence, *(str(c) for c in told.changes)]:
        assert not RAW.search(text), text
    assert missing_labels([entry]) == {
        "entity mystery_record", "action frobbed", "field zap_count", "field flag_x",
        "field when_x",
    }  # fmt: skip


ANNOUNCEMENT_TOML = """
[entities.example_notice]
name = "quyết định công bố HTQLCL"
[entities.example_notice.fields]
decision_number = "Số quyết định công bố"
decided_on = "Ngày quyết định"
notified_on = "Ngày gửi thông báo đến Sở KH&CN"
[entities.example_notice.fields.posted]
label = "Niêm yết tại trụ sở"
yes = "đã niêm yết"
no = "chưa niêm yết"
[entities.example_notice.values.reason]
restructuring = "sắp xếp đơn vị hành chính"
[entities.example_notice.fields.reason]
label = "Lý do công bố lại"
[entities.example_notice.sentences]
recorded = "{who} ghi nhận quyết định công bố HTQLCL số {decision_number} ngày {decided_on}"
"""


def _with_family(tmp_path: Path, name: str, text: str) -> Path:
    for path in (MODELS.parent / "config" / "history").glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_new_record_family_adds_its_words_in_one_file(tmp_path, monkeypatch):
    from models import history_text

    directory = _with_family(tmp_path, "example_notices.toml", ANNOUNCEMENT_TOML)
    monkeypatch.setattr(history_text, "labels", lambda: read_labels(directory))
    entry = HistoryEntry(
        actor="web:sec", entity="example_notice", entity_id="25/QĐ-SNgV", action="recorded",
        year=2021, old=None,
        new={"decision_number": "25/QĐ-SNgV", "decided_on": "2021-07-16",
             "notified_on": "2021-07-20", "posted": True, "reason": "restructuring",
             "ref": None},
    )  # fmt: skip
    told = describe(entry, HistoryNames(people={"sec": "Nguyễn Thị Hà"}))
    assert told.sentence == (
        "Nguyễn Thị Hà ghi nhận quyết định công bố HTQLCL số 25/QĐ-SNgV ngày 16/07/2021"
    )
    assert [str(c) for c in told.changes] == [
        "Ngày gửi thông báo đến Sở KH&CN: 20/07/2021",
        "Niêm yết tại trụ sở: đã niêm yết",
        "Lý do công bố lại: sắp xếp đơn vị hành chính",
    ]
    assert history_text.missing_labels([entry]) == set()
    # The same entry without the family's file: readable, and reported as unlabelled.
    monkeypatch.undo()
    assert describe(entry).sentence == "sec ghi nhận bản ghi 25/QĐ-SNgV"
    assert "entity example_notice" in missing_labels([entry])


def test_two_files_cannot_give_one_key_different_words(tmp_path):
    directory = _with_family(tmp_path, "other.toml", '[fields]\nref = "Mã hồ sơ"\n')
    with pytest.raises(LabelConflict, match="ref"):
        read_labels(directory)
    # Saying the same thing again is allowed.
    (directory / "other.toml").write_text('[fields]\nref = "Số văn bản"\n', encoding="utf-8")
    assert read_labels(directory).fields["ref"].label == "Số văn bản"
