"""Issue 11's domain corrections: effectiveness is "hiệu lực", several management reviews a year
(one before the audit is recorded with a warning), each default names its true source, the
seeds' own words for a finding's severity, and 721/QĐ-UBND is a re-announcement."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from models import iso
from models.cycles import find_step, history, open_cycle
from models.db import alembic_config, migrate
from models.iso import FindingIn, IsoError
from tests.test_reminders import run, smtp
from tests.test_web_iso_pages import AUDITS, post, record_audit, signed_in
from tests.web_support import bearer

ROOT = Path(__file__).resolve().parent.parent
ISO_RULES = iso.load_iso_rules()
END_2021 = date(2021, 12, 31)
# TCVN ISO 9000: hiệu lực = effectiveness, hiệu quả = efficiency. These say "efficiency" where
# the effectiveness of a corrective action is meant.
WRONG_WORDS = re.compile(r"xác nhận (chưa )?hiệu quả|chưa hiệu quả|'hiệu quả'|>Hiệu quả<", re.I)


def sct_action(session, rules) -> None:
    """SCT's 2026 audit with one minor finding, and a corrective action on it (due 21/10)."""
    iso.record_audit(
        session=session,
        agency_code="SCT",
        year=2026,
        start_on=date(2026, 9, 21),
        end_on=date(2026, 9, 21),
        ref="08/KH-SCT",
        team=None,
        scope_units=["Văn phòng"],
        findings=[FindingIn(severity="minor", unit="Văn phòng", description="Hồ sơ chưa lưu đủ")],
        actor="thuky",
        today=date(2026, 9, 22),
    )
    iso.add_action(
        session=session,
        agency_code="SCT",
        year=2026,
        finding_number=1,
        owner_name="Trần Văn Bình",
        owner_email=None,
        description="Bổ sung hồ sơ lưu trữ",
        actor="thuky",
        rules=ISO_RULES,
        working=rules.working,
    )


# --- a. effectiveness is "hiệu lực" ---------------------------------------------------------


def test_the_effectiveness_check_is_called_hieu_luc_in_its_step_and_its_reminder(
    session, opened_2026, settings, rules, sink
):
    sct_action(session, rules)
    verify = find_step(session=session, agency_code="SCT", year=2026, key="action_verification:1")
    assert verify.title == "Xác nhận hiệu lực hành động khắc phục #1"
    assert verify.due == date(2026, 11, 20)  # action due 21/10 + 30 days, a Friday
    run(session, smtp(settings, sink), rules, date(2026, 11, 20))
    (mail,) = sink.handler.to("thuky.sct@hatinh.example")
    assert "Xác nhận hiệu lực hành động khắc phục #1" in mail.text
    assert "Xác nhận hiệu lực hành động khắc phục #1" in mail.html
    assert "hiệu quả" not in mail.text + mail.html

    iso.complete_action(
        session=session,
        agency_code="SCT",
        year=2026,
        number=1,
        done_on=date(2026, 10, 20),
        actor="thuky",
        today=date(2026, 11, 24),
    )
    iso.verify_action(
        session=session,
        agency_code="SCT",
        year=2026,
        number=1,
        verified_on=date(2026, 11, 23),
        verified_by="Trưởng ban ISO",
        effective=True,
        actor="thuky",
        today=date(2026, 11, 24),
        rules=ISO_RULES,
        working=rules.working,
    )
    session.expire_all()
    verify = find_step(session=session, agency_code="SCT", year=2026, key="action_verification:1")
    assert (verify.ref, verify.note) == ("Xác nhận hiệu lực #1", "Trưởng ban ISO: có hiệu lực")
    rollup = find_step(session=session, agency_code="SCT", year=2026, key="corrective_actions")
    assert rollup.ref == "1/1 HĐKH đã xác nhận hiệu lực"


def test_the_audit_page_and_the_cli_say_hieu_luc(client, tokens, cli):
    csrf = signed_in(client)
    record_audit(client, csrf)
    action = {"finding": "1", "description": "Bổ sung phiếu", "owner_name": "Lê Thị Hoa"}
    assert post(client, "/agencies/SNGV/2026/actions", csrf, action).status_code == 303
    assert (
        post(
            client, "/agencies/SNGV/2026/actions/1/done", csrf, {"done_on": "2026-11-05"}
        ).status_code
        == 303
    )
    listed = cli("actions", "list", "SNGV", "2026")
    assert "chờ xác nhận hiệu lực" in listed.stdout and "hiệu quả" not in listed.stdout
    page = client.get(AUDITS).text
    assert "Chờ xác nhận hiệu lực" in page and "<th>Xác nhận hiệu lực</th>" in page
    assert '<option value="yes">Có hiệu lực</option>' in page
    assert not WRONG_WORDS.search(page)
    verified = post(
        client,
        "/agencies/SNGV/2026/actions/1/verify",
        csrf,
        {"verified_on": "2026-11-20", "verified_by": "Trưởng ban ISO", "effective": "yes"},
    )
    assert verified.status_code == 303
    page = client.get(AUDITS).text
    assert "Hành động khắc phục #1 đã được xác nhận có hiệu lực." in page  # the flash message
    assert "Trưởng ban ISO · có hiệu lực" in page


def test_no_text_calls_the_effectiveness_check_hieu_qua():
    """Templates (pages and e-mails), models, CLI, web, config and docs."""
    found = []
    for folder in ("web", "notifications", "models", "cli", "config", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".html", ".txt", ".toml", ".md"}:
                continue
            if path.name == "0014_corrections.py":  # the migration names the old words
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WRONG_WORDS.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_the_migration_rewords_old_steps_and_numbers_old_reviews(
    engine, session, opened_2026, rules
):
    """A database written before 0014: its verification steps said "hiệu quả", and it held one
    review per agency and year. After the upgrade they say "hiệu lực" and the review is #1."""
    sct_action(session, rules)
    iso.record_audit(
        session=session,
        agency_code="SNGV",
        year=2026,
        start_on=date(2026, 10, 5),
        end_on=date(2026, 10, 7),
        ref="25/BC-ĐGNB",
        team=None,
        scope_units=[],
        findings=[],
        actor="t",
        today=date(2026, 11, 24),
    )
    iso.record_review(
        session=session,
        agency_code="SNGV",
        year=2026,
        held_on=date(2026, 11, 3),
        minutes_ref="05/BB-SNgV",
        decisions=None,
        actor="t",
        today=date(2026, 11, 24),
    )
    session.close()
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0011")
    title = sa.text("SELECT title FROM step WHERE key = 'action_verification:1'")
    with engine.connect() as conn:
        assert conn.execute(title).scalar_one() == "Xác nhận hiệu quả hành động khắc phục #1"
        columns = {c["name"] for c in sa.inspect(conn).get_columns("management_review")}
        assert "number" not in columns
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(title).scalar_one() == "Xác nhận hiệu lực hành động khắc phục #1"
        numbers = conn.execute(sa.text("SELECT number FROM management_review")).scalars().all()
        assert numbers == [1]
    second = iso.record_review(
        session=session,
        agency_code="SNGV",
        year=2026,
        held_on=date(2026, 11, 20),
        minutes_ref="07/BB-SNgV",
        decisions=None,
        actor="t",
        today=date(2026, 11, 24),
    )
    assert second.number == 2


# --- b. management reviews: at least once a year ----------------------------------------------


@pytest.fixture
def opened_2021(province, session, rules) -> None:
    open_cycle(session=session, year=2021, rules=rules)


def review(session, held_on: date, minutes: str, number: int | None = None) -> iso.ManagementReview:
    return iso.record_review(
        session=session,
        agency_code="SNGV",
        year=2021,
        held_on=held_on,
        minutes_ref=minutes,
        decisions=None,
        actor="thuky.sngv",
        today=END_2021,
        number=number,
    )


def sngv_audit(session) -> None:
    iso.record_audit(
        session=session,
        agency_code="SNGV",
        year=2021,
        start_on=date(2021, 9, 29),
        end_on=date(2021, 9, 29),
        ref="Chương trình đánh giá nội bộ năm 2021",
        team=None,
        scope_units=[],
        findings=[FindingIn("điểm lưu ý", "Văn phòng", "Hồ sơ lưu trữ chưa sắp xếp")],
        actor="thuky.sngv",
        today=END_2021,
    )


def test_sngv_holds_its_review_before_the_audit_and_a_second_one_after(session, opened_2021):
    # Seed 000: "Ngày 03/5/2021, Ban Giám đốc Sở đã triệu tập cuộc họp xem xét"; the internal
    # audit followed on 29/09/2021. Recorded in May, before any audit: a warning, no refusal.
    first = review(session, date(2021, 5, 3), "Biên bản 03/5/2021")
    assert first.number == 1
    assert iso.review_warning(session=session, review=first) == (
        "Cuộc họp xem xét ngày 03/05/2021 được ghi nhận khi chưa có đánh giá nội bộ năm 2021: kết "
        "quả đánh giá nội bộ chưa là đầu vào của cuộc họp này."
    )
    step = find_step(session=session, agency_code="SNGV", year=2021, key="management_review")
    assert (step.state, step.done_on, step.ref) == ("done", date(2021, 5, 3), "Biên bản 03/5/2021")

    sngv_audit(session)
    assert "diễn ra trước đánh giá nội bộ (ngày 29/09/2021)" in (
        iso.review_warning(session=session, review=first) or ""
    )
    second = review(session, date(2021, 11, 15), "Biên bản 15/11/2021")
    assert second.number == 2 and iso.review_warning(session=session, review=second) is None
    assert second.inputs is not None and second.inputs["audit"]["findings"]["observation"] == 1
    listed = iso.list_reviews(session=session, agency_code="SNGV", year=2021)
    assert [(r.number, r.held_on) for r in listed] == [
        (1, date(2021, 5, 3)),
        (2, date(2021, 11, 15)),
    ]
    # The first review completed the step; the second leaves it, and correcting it too.
    review(session, date(2021, 11, 16), "Biên bản 16/11/2021", number=2)
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2021, key="management_review")
    assert (step.done_on, step.ref) == (date(2021, 5, 3), "Biên bản 03/5/2021")
    # Correcting the first one (same minutes number, mistyped date) moves the step with it.
    review(session, date(2021, 5, 4), " biên bản  03/5/2021")
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2021, key="management_review")
    assert step.done_on == date(2021, 5, 4)
    assert iso.get_review(session=session, agency_code="SNGV", year=2021).number == 2
    assert len(iso.list_reviews(session=session, agency_code="SNGV", year=2021)) == 2
    agency = iso.get_agency(session, "SNGV")
    entries = history(session=session, agency_id=agency.id, year=2021)
    reviews = [(h.entity_id, h.action) for h in entries if h.entity == "management_review"]
    assert sorted(reviews) == [
        ("2021", "recorded"),
        ("2021", "updated"),
        ("2021:2", "recorded"),
        ("2021:2", "updated"),
    ]


def test_a_review_number_that_does_not_exist_is_refused_in_vietnamese(session, opened_2021):
    review(session, date(2021, 5, 3), "BB 1")
    with pytest.raises(IsoError, match="không có cuộc họp xem xét số 7 năm 2021"):
        review(session, date(2021, 6, 3), "BB 2", number=7)
    with pytest.raises(IsoError, match="chưa ghi nhận cuộc họp xem xét của lãnh đạo số 3"):
        iso.get_review(session=session, agency_code="SNGV", year=2021, number=3)
    assert len(iso.list_reviews(session=session, agency_code="SNGV", year=2021)) == 1


def test_the_cli_records_lists_and_shows_several_reviews(cli, province):
    assert cli("cycle", "open", "2021").exit_code == 0
    early = cli("review", "record", "SNGV", "2021", "--on", "03/05/2021", "--minutes", "BB 1")
    assert early.exit_code == 0, early.output
    assert "management review #1" in early.stdout
    assert "Cảnh báo: Cuộc họp xem xét ngày 03/05/2021 được ghi nhận khi chưa có" in early.stdout
    audit = cli("audit", "record", "SNGV", "2021", "--start", "2021-09-29", "--ref", "CT ĐGNB")
    assert audit.exit_code == 0, audit.output
    late = cli("review", "record", "SNGV", "2021", "--on", "15/11/2021", "--minutes", "BB 2")
    assert "management review #2" in late.stdout and "Cảnh báo" not in late.stdout
    listed = json.loads(cli("review", "list", "SNGV", "2021").stdout)
    assert [(r["number"], r["held_on"]) for r in listed] == [(1, "2021-05-03"), (2, "2021-11-15")]
    assert "trước đánh giá nội bộ (ngày 29/09/2021)" in listed[0]["warning"]
    assert listed[1]["warning"] is None
    first = json.loads(cli("review", "show", "SNGV", "2021", "--number", "1").stdout)
    assert first["minutes_ref"] == "BB 1"
    assert json.loads(cli("review", "show", "SNGV", "2021").stdout)["number"] == 2
    fixed = cli(
        "review", "record", "SNGV", "2021", "--on", "16/11/2021", "--minutes", "BB 2b",
        "--number", "2",
    )  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    listed = json.loads(cli("review", "list", "SNGV", "2021").stdout)
    assert [(r["number"], r["minutes_ref"]) for r in listed] == [(1, "BB 1"), (2, "BB 2b")]
    missing = cli("review", "show", "SNGV", "2021", "--number", "9")
    assert missing.exit_code == 1 and "số 9" in missing.stderr


def reviews_url(code: str = "SNGV", tail: str = "") -> str:
    return f"/api/v1/agencies/{code}/cycles/2026/reviews{tail}"


def test_the_api_records_several_reviews_with_their_warnings(client, tokens):
    headers = bearer(tokens["sec_sngv"])
    early = {"held_on": "2026-05-03", "minutes_ref": "05/BB-SNgV", "decisions": "Duy trì"}
    first = client.post(reviews_url(), json=early, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1
    assert first.json()["warning"].startswith("Cuộc họp xem xét ngày 03/05/2026 được ghi nhận khi")
    audit = {"start_on": "2026-10-05", "end_on": "2026-10-07", "ref": "25/BC-ĐGNB", "findings": []}
    assert (
        client.post(
            "/api/v1/agencies/SNGV/cycles/2026/audits", json=audit, headers=headers
        ).status_code
        == 201
    )
    late = {"held_on": "2026-11-03", "minutes_ref": "12/BB-SNgV"}
    second = client.post(reviews_url(), json=late, headers=headers)
    assert (second.status_code, second.json()["number"]) == (201, 2)
    assert second.json()["warning"] is None
    listed = client.get(reviews_url(), headers=bearer(tokens["view_sngv"])).json()
    assert [r["number"] for r in listed["reviews"]] == [1, 2]
    assert "trước đánh giá nội bộ (ngày 07/10/2026)" in listed["reviews"][0]["warning"]
    fixed = client.put(
        reviews_url(tail="/2"), json={**late, "held_on": "2026-11-04"}, headers=headers
    )
    assert fixed.status_code == 200 and fixed.json()["held_on"] == "2026-11-04"
    assert client.put(reviews_url(tail="/9"), json=late, headers=headers).status_code == 404
    # The same scope rules as every record: a viewer reads, another agency's secretary cannot.
    assert (
        client.post(reviews_url(), json=late, headers=bearer(tokens["view_sngv"])).status_code
        == 403
    )
    assert client.get(reviews_url(), headers=bearer(tokens["sec_sct"])).status_code == 403
    future = client.post(reviews_url(), json={**late, "held_on": "2026-12-01"}, headers=headers)
    assert future.status_code == 422
    assert len(client.get(reviews_url(), headers=headers).json()["reviews"]) == 2


def test_the_review_page_lists_every_review_with_its_warning(client, tokens):
    page_url = "/agencies/SNGV/2026/review"
    csrf = signed_in(client, page=page_url)
    early = {"held_on": "2026-05-03", "minutes_ref": "05/BB-SNgV", "decisions": "Duy trì"}
    answer = post(client, page_url, csrf, early)
    assert answer.status_code == 303
    page = client.get(page_url).text
    assert (
        "Đã ghi nhận cuộc họp xem xét của lãnh đạo số 1. Lưu ý: Cuộc họp xem xét ngày 03/05/2026"
        in page
    )
    record_audit(client, csrf)
    assert (
        post(
            client, page_url, csrf, {"held_on": "2026-11-03", "minutes_ref": "12/BB-SNgV"}
        ).status_code
        == 303
    )
    page = client.get(page_url).text
    assert 'data-review="1"' in page and 'data-review="2"' in page
    assert page.count("data-review-warning") == 1
    assert "diễn ra trước đánh giá nội bộ (ngày 07/10/2026)" in page
    assert "Sửa cuộc họp số 2 (03/11/2026)" in page
    history = client.get("/agencies/SNGV?year=2026").text
    assert "cuộc họp xem xét của lãnh đạo số 2 năm 2026 ngày 03/11/2026" in history
    assert "cuộc họp xem xét của lãnh đạo năm 2026 ngày 03/05/2026" in history
    bad = post(
        client, page_url, csrf, {"held_on": "2026-11-04", "minutes_ref": "X", "number": "abc"}
    )
    assert bad.status_code == 422 and "hãy chọn một cuộc họp trong danh sách" in bad.text


# --- c. each default names its source -------------------------------------------------------


def comment_above(lines: list[str], index: int) -> str:
    """The comment lines just above line `index`, joined."""
    block = []
    n = index - 1
    while n >= 0 and lines[n].startswith("#"):
        block.insert(0, lines[n])
        n -= 1
    return " ".join(block)


SOURCE = re.compile(r"project default|Điều \d|NĐ \d|\d+/SKHCN|practice in the seed", re.I)


def test_every_iso_default_names_its_true_source():
    text = (ROOT / "config/iso_rules.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    values = tomllib.loads(text)
    for n, line in enumerate(lines):
        key = line.split("=")[0].strip()
        if key in {"after_audit_days", "after_inspection_months", "verification_days"} or (
            key == "days" and "months" not in lines[n - 1]
        ):
            above = comment_above(lines, n if key != "days" else n - 1)
            assert SOURCE.search(above), (n + 1, line)
    above = comment_above(lines, lines.index("after_audit_days = 30"))
    # Seed 003 asks for a report "sau 1 tuần": neither 30 days nor a Hà Tĩnh-wide practice.
    assert "Hà Tĩnh practice" not in above and "project default" in above.lower()
    assert values["corrective_actions"]["after_audit_days"] == 30


def test_every_calendar_deadline_names_its_source():
    for path in (ROOT / "config/calendars").glob("*.toml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            if line.startswith("deadline = "):
                assert SOURCE.search(comment_above(lines, n)), (path.name, n + 1, line)
    docs = (ROOT / "docs/iso.md").read_text(encoding="utf-8")
    assert "## Where each default comes from" in docs


# --- d. the seeds' own words for a finding's severity ---------------------------------------


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("điểm không phù hợp nặng", "major"),  # seed 001, 003
        ("Điểm không phù hợp nhẹ", "minor"),  # seed 001, 003
        ("điểm không phù hợp", "minor"),  # seed 000, 002 ("01 điểm không phù hợp")
        ("sự không phù hợp", "minor"),  # seed 003
        ("Điểm lưu ý", "observation"),  # seed 000–003
        ("khuyến nghị", "observation"),  # seed 003
        ("điểm khuyến nghị", "observation"),  # seed 003 ("Có mấy điểm khuyến nghị")
        ("nội dung khuyến nghị", "observation"),  # seed 003
    ],
)
def test_it_accepts_the_seeds_words_for_severity(word, severity):
    assert iso.parse_severity(word) == severity


def test_a_thuan_loc_audit_file_in_its_own_words_is_imported(cli, province, tmp_path):
    # Seed 003: "Kết quả đánh giá: Có mấy điểm khuyến nghị"; "Điểm không phù hợp nhẹ: 0".
    assert cli("cycle", "open", "2022").exit_code == 0
    findings = tmp_path / "findings.csv"
    findings.write_text(
        "Mức độ,Đơn vị,Mô tả\n"
        "khuyến nghị,Bộ phận một cửa,Cập nhật đầy đủ sự thay đổi của TTHC\n"
        "điểm khuyến nghị,Văn phòng,Lập danh mục tài liệu thường xuyên\n",
        encoding="utf-8",
    )
    result = cli(
        "audit", "record", "SCT", "2022", "--start", "2022-11-10", "--ref", "KH ĐGNB",
        "--findings", str(findings), "--today", "2022-12-31",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = json.loads(cli("audit", "show", "SCT", "2022", "--json").stdout)["counts"]
    assert counts == {"major": 0, "minor": 0, "observation": 2}


# --- e. 721/QĐ-UBND is xã Thuận Lộc's re-announcement -------------------------------------


def test_the_docs_record_721_as_the_re_announcement_not_a_scope_change():
    # Seed 003: "Công bố lại: theo QĐ số 721/QĐ-UBND, ngày 19/5/2022".
    docs = (ROOT / "docs/iso.md").read_text(encoding="utf-8")
    assert not re.search(r"scope_change[^\n]*721/QĐ-UBND", docs)
    assert "721/QĐ-UBND of 19/5/2022 is\n# xã Thuận Lộc's re-announcement itself" in docs
