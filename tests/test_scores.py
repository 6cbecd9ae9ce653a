"""The 7.2 self-score: the scheme as data, suggestions from the evidence, self-scores and review
with reasons and history, the province's totals, and who may read or write them."""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import cycles, history_text, iso
from models.iso.scheme import DEFAULT_SCORING_DIR
from models.iso.scores import SCORE
from models.periods import Period
from models.tables import HistoryEntry
from models.users import create_user, issue_token
from tests.web_support import PASSWORD, bearer, csrf_of, login

TODAY = date(2026, 11, 24)
SCHEME_FILE = DEFAULT_SCORING_DIR / "hatinh-3396-2021.toml"
D = Decimal


def points(card: iso.ScoreCard, field: str = "points") -> list[Decimal | None]:
    return [getattr(c, field) for c in card.criteria]


def score_rows(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(SCORE)).scalar_one())


def history_of(session: Session, code: str) -> list[HistoryEntry]:
    agency = iso.get_agency(session, code)
    return [h for h in cycles.history(session=session, agency_id=agency.id) if h.entity == "score"]


# --- the scheme ---------------------------------------------------------------------------------


def test_the_3396_scheme_is_exact_data():
    scheme = iso.scheme_for_year(2021)
    assert (scheme.decision, scheme.decided_on, scheme.group) == (
        "3396/QĐ-UBND",
        date(2021, 10, 11),
        "7.2",
    )
    assert scheme.title == "Lĩnh vực Áp dụng Hệ thống quản lý chất lượng ISO (ISO 9001)"
    assert [c.code for c in scheme.criteria] == [f"7.2.{n}" for n in range(1, 7)]
    assert [c.max_points for c in scheme.criteria] == [D("0.5"), D("0.5"), 1, D("1.5"), 1, D("0.5")]
    assert scheme.max_total == D(5) and isinstance(scheme.max_total, Decimal)
    # Seed 002's wording of 7.2.2, and its note when it scores 0.
    second = scheme.criterion("7.2.2")
    assert second.text.startswith("Ban hành, áp dụng các quy trình nội bộ giải quyết công việc")
    assert second.note_zero == "Số quy trình nội bộ dưới 05 quy trình"
    assert second.rule == "internal_procedures" and second.params["minimum"] == 5


BROKEN = [
    ('max_points = "0.5"', 'max_points = "0.3"', "max_points"),
    ('max_points = "0.5"', "", "max_points"),
    ('rule = "internal_procedures"', 'rule = "dice"', "rule"),
    ("year_from = 2021", 'year_from = "2021"', "year_from"),
    ('decision = "3396/QĐ-UBND"', "", "decision"),
    ("[[criteria]]", "[[criteria", "TOML"),
]


@pytest.mark.parametrize(("old", "new", "named"), BROKEN)
def test_a_malformed_scheme_file_is_refused_naming_the_file_and_the_field(
    tmp_path, old, new, named
):
    text = SCHEME_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "tinh-moi-2025.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(iso.SchemeError) as exc:
        iso.load_scheme(path)
    assert "tinh-moi-2025.toml" in str(exc.value)
    assert named in str(exc.value)


def test_a_year_is_scored_by_the_latest_scheme_that_started_before_it(tmp_path):
    shutil.copy(SCHEME_FILE, tmp_path / "a-2021.toml")
    newer = SCHEME_FILE.read_text(encoding="utf-8")
    newer = newer.replace("year_from = 2021", "year_from = 2024")
    newer = newer.replace('decision = "3396/QĐ-UBND"', 'decision = "999/QĐ-UBND"')
    (tmp_path / "b-2024.toml").write_text(newer, encoding="utf-8")
    assert iso.scheme_for_year(2023, tmp_path).decision == "3396/QĐ-UBND"
    assert iso.scheme_for_year(2024, tmp_path).decision == "999/QĐ-UBND"
    assert iso.scheme_for_year(2030, tmp_path).decision == "999/QĐ-UBND"
    with pytest.raises(iso.IsoError, match="năm 2020"):
        iso.scheme_for_year(2020, tmp_path)
    # One file may be given instead of a directory (ISOCYCLE_SCORING_DIR).
    assert iso.scheme_for_year(2030, tmp_path / "a-2021.toml").decision == "3396/QĐ-UBND"
    (tmp_path / "c-2024.toml").write_text(newer, encoding="utf-8")
    with pytest.raises(iso.SchemeError, match="b-2024.toml và c-2024.toml"):
        iso.scheme_for_year(2030, tmp_path)


def test_the_settings_name_the_scoring_directory(monkeypatch, tmp_path):
    from config.settings import Settings

    monkeypatch.setenv("ISOCYCLE_SCORING_DIR", str(tmp_path))
    assert Settings(_env_file=None).scoring_dir == tmp_path  # type: ignore[call-arg]
    assert Settings(_env_file=None, scoring_dir=SCHEME_FILE).scoring_dir == SCHEME_FILE  # type: ignore[call-arg]


# --- the seeds, rebuilt from the demo's entered data ----------------------------------------------


@pytest.fixture
def demo(session, rules) -> dict[str, int]:
    from models.demo import load_demo

    return load_demo(session=session, rules=rules, today=TODAY)


def test_the_seed_scores_come_back_from_the_demo_data(demo, session, rules, cli):
    # Seed 002: Sở Công Thương "chấm điểm ở mức 4,5/5,0 điểm", 0 on 7.2.2 with 02 procedures; the
    # suggestions from the data it entered give the same, criterion by criterion.
    sct = iso.score_card(session=session, agency_code="SCT", year=2021, today=TODAY)
    assert points(sct, "suggested") == [D("0.5"), 0, 1, D("1.5"), 1, D("0.5")]
    assert points(sct) == [D("0.5"), 0, 1, D("1.5"), 1, D("0.5")]
    assert (sct.total, sct.max_total, sct.total_text, sct.recorded) == (D("4.5"), 5, "4,5/5", True)
    second = sct.criterion("7.2.2")
    assert second.evidence.startswith("Số quy trình nội bộ dưới 05 quy trình (có 02")
    assert second.note == "Số quy trình nội bộ dưới 05 quy trình"
    assert sct.criterion("7.2.1").note == "Thực hiện đầy đủ, kịp thời"
    assert "đều đúng hạn" in sct.criterion("7.2.1").evidence
    assert sct.criterion("7.2.5").evidence.startswith("9.852/9.852 hồ sơ TTHC")
    # Seed 001 Phụ lục IA: Trung tâm DTDVĐN 0,5 0,5 1 1,5 1 0,5 = 5, under Sở Ngoại vụ's 5/5.
    rows = iso.annex_ia_rows(session=session, agency_code="SNGV", year=2021, today=TODAY)
    assert [(r.agency_code, r.total_text) for r in rows] == [("SNGV", "5/5"), ("TTDVDN", "5/5")]
    assert points(rows[1], "self_points") == [D("0.5"), D("0.5"), 1, D("1.5"), 1, D("0.5")]
    assert rows[1].criterion("7.2.3").self_reason.startswith("Theo Phụ lục IA, Báo cáo 177/BC")
    # The seed loader adds nothing when run again.
    from models.seed_demo import scores as seed

    again = seed.load(session=session, rules=rules, iso_rules=iso.load_iso_rules(), today=TODAY)
    assert again == {"seed_scores": 0} and demo["seed_scores"] == 18
    # The CLI shows the same card.
    shown = cli("score", "show", "SCT", "2021", "--today", "2026-11-24")
    assert shown.exit_code == 0, shown.output
    assert "Tổng điểm: 4,5/5" in shown.stdout and "Số quy trình nội bộ dưới 05" in shown.stdout
    data = json.loads(cli("score", "show", "SCT", "2021", "--json").stdout)
    assert data["total_text"] == "4,5/5"
    assert [c["points"] for c in data["criteria"]] == ["0.5", "0", "1", "1.5", "1", "0.5"]


def test_the_demo_does_seed_agencies_seed_year_steps_on_time(demo, session):
    # Seed 002 says "Thực hiện đầy đủ, kịp thời": no step the demo completes by chance is late.
    for code, year in (("SNGV", 2021), ("SCT", 2021), ("XTHUANLOC", 2022)):
        rows = cycles.status_rows(
            session=session, year=year, today=TODAY, agency_ids=[iso.get_agency(session, code).id]
        )
        by_chance = [r for r in rows if r["ref"] and r["ref"].split("/")[0].isdigit()]
        by_chance = [r for r in by_chance if r["step"] in ("plan", "six_month_report")]
        assert by_chance and all(r["days_late"] == 0 for r in by_chance), (code, by_chance)


# --- suggestions from the evidence -------------------------------------------------------------


def test_each_suggestion_follows_its_evidence(session, opened_2026, rules):
    def card() -> iso.ScoreCard:
        return iso.score_card(session=session, agency_code="SNGV", year=2026, today=TODAY)

    empty = card()
    assert not empty.recorded and empty.total == 0
    first = empty.criterion("7.2.1")
    assert first.suggested == 0 and "chưa hoàn thành, quá hạn" in first.evidence
    assert empty.criterion("7.2.3").evidence.startswith("Chưa có dữ liệu")
    # 7.2.1: the plan and reports, each on time by its deadline; one day late is late.
    for key in ("plan", "six_month_report", "annual_report"):
        step = cycles.find_step(session=session, agency_code="SNGV", year=2026, key=key)
        late = key == "six_month_report"
        cycles.mark_done(
            session=session, step=step, done_on=step.due + timedelta(days=1 if late else 0),
            ref=f"1/{key}", note=None, actor="t", today=TODAY, check=False,
        )  # fmt: skip
    assert card().criterion("7.2.1").suggested == 0
    assert "«Báo cáo 6 tháng gửi Sở KH&CN» xong ngày 16/06/2026, trễ 1 ngày" in (
        card().criterion("7.2.1").evidence
    )
    step = cycles.find_step(session=session, agency_code="SNGV", year=2026, key="six_month_report")
    cycles.mark_done(
        session=session, step=step, done_on=step.due, ref="2/BC", note=None, actor="t",
        today=TODAY, check=False,
    )  # fmt: skip
    assert card().criterion("7.2.1").suggested == D("0.5")
    # 7.2.2: 04 internal procedures are under 05; the fifth gives the full 0,5.
    for n in range(1, 6):
        iso.issue_procedure(
            session=session, agency_code="SNGV", kind="internal", code=f"QTNB-{n:02d}",
            title=f"Quy trình {n}", decision_ref="3/QĐ-SNgV", decision_on=date(2026, 3, 2),
            actor="t", today=TODAY,
        )  # fmt: skip
        if n == 4:
            assert card().criterion("7.2.2").suggested == 0
            assert "(có 04" in card().criterion("7.2.2").evidence
    assert card().criterion("7.2.2").suggested == D("0.5")
    # 7.2.3 and 7.2.6: an audit with a major finding halves 7.2.3; a minor one on clause 7.5
    # (documented information) takes 7.2.6 to 0.
    iso.record_audit(
        session=session, agency_code="SNGV", year=2026, start_on=date(2026, 9, 22),
        end_on=date(2026, 9, 24), ref="20/BC-SNgV", team=None, scope_units=[],
        findings=[
            iso.FindingIn(severity="major", unit="Một cửa", description="Trễ hạn", clause="8.5.1"),
            iso.FindingIn(severity="observation", unit="VP", description="Lưu ý", clause="7.5.3"),
        ],
        actor="t", today=TODAY,
    )  # fmt: skip
    assert card().criterion("7.2.3").suggested == D("0.5")
    assert card().criterion("7.2.6").suggested == D("0.5")  # an observation is no nonconformity
    iso.add_findings(
        session=session, agency_code="SNGV", year=2026, actor="t",
        findings=[iso.FindingIn(severity="minor", unit="VP", description="Hồ sơ", clause="7.5.3")],
    )  # fmt: skip
    assert card().criterion("7.2.6").suggested == 0
    assert "#3 (7.5.3) tại VP" in card().criterion("7.2.6").evidence
    # 7.2.4 and 7.2.5: dossiers of the year; 2 late halve 7.2.4 (0,75), 95% attached halves 7.2.5.
    period = Period(date(2025, 12, 15), date(2026, 11, 20))
    iso.set_dossier_stats(
        session=session, agency_code="SNGV", period=period, received=100, on_time=98, late=2,
        with_results=95, actor="t",
    )  # fmt: skip
    got = card()
    assert got.criterion("7.2.4").suggested == D("0.75")
    assert got.criterion("7.2.5").suggested == D("0.5")
    assert "95/100 hồ sơ" in got.criterion("7.2.5").evidence
    assert got.total == D("0.5") + D("0.5") + D("0.5") + D("0.75") + D("0.5") + 0
    assert not got.recorded


# --- self-scores, reviews and their history ------------------------------------------------------


def test_a_self_score_that_differs_needs_a_reason_and_tells_its_history(session, opened_2026):
    suggested = iso.score_card(session=session, agency_code="SCT", year=2026, today=TODAY)
    assert suggested.criterion("7.2.2").suggested == 0
    with pytest.raises(iso.IsoError) as exc:
        iso.set_self_score(
            session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0,5",
            actor="web:sec_sct", today=TODAY,
        )  # fmt: skip
    assert "Tiêu chí 7.2.2" in str(exc.value) and "cần nêu lý do" in str(exc.value)
    assert exc.value.errors[0].field == "7.2.2.reason"
    assert score_rows(session) == 0 and history_of(session, "SCT") == []
    # The same points as the suggestion need no reason.
    iso.set_self_score(
        session=session, agency_code="SCT", year=2026, criterion="7.2.1", points="0",
        actor="web:sec_sct", today=TODAY,
    )  # fmt: skip
    card = iso.set_self_score(
        session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0,5",
        reason="Đã ban hành 05 quy trình nội bộ (QĐ 12/QĐ-SCT)", actor="web:sec_sct", today=TODAY,
    )  # fmt: skip
    assert card.recorded and card.criterion("7.2.2").points == D("0.5")
    assert card.criterion("7.2.2").self_reason.startswith("Đã ban hành 05")
    iso.set_self_score(
        session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0,25",
        reason="Mới áp dụng 03 quy trình", actor="web:sec_sct", today=TODAY,
    )  # fmt: skip
    entries = history_of(session, "SCT")
    assert history_text.missing_labels(entries) == set()
    told = [history_text.describe(h) for h in entries]
    assert told[1].sentence == (
        "sec_sct tự chấm tiêu chí 7.2.2 năm 2026 được 0,5/0,5 điểm (điểm gợi ý 0 điểm)"
    )
    assert [str(c) for c in told[1].changes] == [
        "Lý do tự chấm: Đã ban hành 05 quy trình nội bộ (QĐ 12/QĐ-SCT)"
    ]
    assert told[2].sentence == (
        "sec_sct chấm lại tiêu chí 7.2.2 năm 2026 từ 0,5 thành 0,25/0,5 điểm (điểm gợi ý 0 điểm)"
    )
    assert "Lý do tự chấm: Đã ban hành 05 quy trình nội bộ (QĐ 12/QĐ-SCT) → Mới áp dụng 03" in (
        str(told[2].changes[0])
    )


@pytest.mark.parametrize(
    ("criterion", "value", "message"),
    [
        ("7.2.4", "2", "Tiêu chí 7.2.4: 2 điểm nằm ngoài khoảng 0 đến 1,5 điểm"),
        ("7.2.4", "-0,5", "Tiêu chí 7.2.4: -0,5 điểm nằm ngoài khoảng"),
        ("7.2.1", "0,3", "Tiêu chí 7.2.1: 0,3 điểm không phải bội của 0,25"),
        ("7.2.3", "một", "Tiêu chí 7.2.3: «một» không phải là số điểm"),
        ("7.2.9", "0", "Không có tiêu chí «7.2.9»"),
    ],
)
def test_bad_points_are_refused_naming_the_criterion_and_nothing_is_written(
    session, opened_2026, criterion, value, message
):
    good = iso.ScoreIn("7.2.5", "0", "Chưa làm")
    with pytest.raises(iso.IsoError) as exc:
        iso.set_self_scores(
            session=session, agency_code="SNGV", year=2026, actor="t", today=TODAY,
            entries=[good, iso.ScoreIn(criterion, value, "Lý do")],
        )  # fmt: skip
    assert message in str(exc.value)
    assert score_rows(session) == 0  # the good entry is not written either
    with pytest.raises(iso.IsoError, match=message.split(":")[0]):
        iso.review_score(
            session=session, agency_code="SNGV", year=2026, criterion=criterion, points=value,
            reason="Lý do", actor="t", today=TODAY,
        )  # fmt: skip


def test_a_review_sets_the_final_points_and_needs_a_reason_when_it_differs(session, opened_2026):
    iso.set_self_score(
        session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0,5",
        reason="Có 05 quy trình", actor="t", today=TODAY,
    )  # fmt: skip
    with pytest.raises(iso.IsoError, match="khác điểm đơn vị tự chấm"):
        iso.review_score(
            session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0",
            actor="web:skhcn", today=TODAY,
        )  # fmt: skip
    card = iso.review_score(
        session=session, agency_code="SCT", year=2026, criterion="7.2.2", points="0",
        reason="Kiểm tra chỉ thấy 02 quy trình", actor="web:skhcn", today=TODAY,
    )  # fmt: skip
    second = card.criterion("7.2.2")
    assert (second.self_points, second.reviewed_points, second.points) == (D("0.5"), 0, 0)
    assert second.note == "Số quy trình nội bộ dưới 05 quy trình"
    told = history_text.describe(history_of(session, "SCT")[-1])
    assert told.sentence == (
        "skhcn thẩm định tiêu chí 7.2.2 năm 2026: 0/0,5 điểm (đơn vị tự chấm 0,5 điểm)"
    )


def test_totals_and_their_distribution_for_the_province(session, opened_2026):
    ids = {code: iso.get_agency(session, code).id for code in ("SNGV", "SCT", "TTDVDN", "SKHCN")}
    full = [iso.ScoreIn(f"7.2.{n}", p, "Theo báo cáo") for n, p in
            zip(range(1, 7), ("0,5", "0,5", "1", "1,5", "1", "0,5"), strict=True)]  # fmt: skip
    iso.set_self_scores(
        session=session, agency_code="SNGV", year=2026, entries=full, actor="t", today=TODAY
    )
    iso.set_self_scores(
        session=session, agency_code="SCT", year=2026, actor="t", today=TODAY,
        entries=[*full[:1], iso.ScoreIn("7.2.2", "0"), *full[2:]],
    )  # fmt: skip
    # TTDVDN scores one criterion: the others count their suggestions (no data: 0).
    iso.set_self_scores(
        session=session, agency_code="TTDVDN", year=2026, entries=full[3:4], actor="t", today=TODAY
    )
    iso.review_score(
        session=session, agency_code="SNGV", year=2026, criterion="7.2.6", points="0,25",
        reason="Lưu trữ chưa đủ", actor="t", today=TODAY,
    )  # fmt: skip
    totals = iso.score_totals(session=session, year=2026, agency_ids=list(ids.values()))
    assert totals == {ids["SNGV"]: D("4.75"), ids["SCT"]: D("4.5"), ids["TTDVDN"]: D("1.5")}
    assert iso.score_totals(session=session, year=2025, agency_ids=list(ids.values())) == {}
    cards = {c: iso.score_card(session=session, agency_code=c, year=2026, today=TODAY) for c in ids}
    assert all(totals[ids[c]] == cards[c].total for c in ("SNGV", "SCT", "TTDVDN"))
    assert iso.score_distribution(totals) == [
        ("5 điểm", 0),
        ("từ 4 đến dưới 5 điểm", 2),
        ("từ 3 đến dưới 4 điểm", 0),
        ("từ 2 đến dưới 3 điểm", 0),
        ("từ 1 đến dưới 2 điểm", 1),
        ("dưới 1 điểm", 0),
    ]
    assert iso.score_distribution({ids["SNGV"]: D(5), ids["SCT"]: D("0.75")})[0] == ("5 điểm", 1)
    assert iso.score_distribution({ids["SCT"]: D("0.75")})[-1] == ("dưới 1 điểm", 1)


# --- who may read, score and review: the API and the page ----------------------------------------


@pytest.fixture
def overseer(session, tokens, password_hash) -> str:
    """A secretary of Sở KH&CN (the overseer): may review any agency; returns an API token."""
    user = create_user(
        session=session, username="sec_skhcn", password=PASSWORD, role="secretary",
        agency_code="SKHCN",
    )  # fmt: skip
    return issue_token(session=session, user=user)


def test_the_api_lets_the_agency_score_and_only_the_overseer_review(client, tokens, overseer):
    url = "/api/v1/agencies/SCT/scores/2026"
    body = {"scores": [{"criterion": "7.2.2", "points": 0.5, "reason": "Có 05 quy trình"}]}
    assert client.get(url, headers=bearer(tokens["sec_sngv"])).status_code == 403
    assert client.put(url, json=body, headers=bearer(tokens["sec_sngv"])).status_code == 403
    got = client.put(url, json=body, headers=bearer(tokens["sec_sct"]))
    assert got.status_code == 200, got.text
    assert got.json()["criteria"][1]["self_points"] == 0.5
    # The agency may not review itself; a viewer may not score.
    review = {"scores": [{"criterion": "7.2.2", "points": "0", "reason": "Chỉ có 02"}]}
    assert (
        client.put(url + "/review", json=review, headers=bearer(tokens["sec_sct"])).status_code
        == 403
    )
    assert (
        client.put(
            "/api/v1/agencies/SNGV/scores/2026", json=body, headers=bearer(tokens["view_sngv"])
        ).status_code
        == 403
    )
    # Sở KH&CN's secretary reads any agency and reviews; it does not self-score another's.
    assert client.get(url, headers=bearer(overseer)).status_code == 200
    refused = client.put(url, json=body, headers=bearer(overseer))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Chỉ đơn vị (thư ký ISO) được ghi điểm này."
    done = client.put(url + "/review", json=review, headers=bearer(overseer))
    assert done.status_code == 200, done.text
    assert (done.json()["criteria"][1]["points"], done.json()["total_text"]) == (0.0, "0/5")
    # A refusal answers 422 naming the criterion and the field.
    bad = {"scores": [{"criterion": "7.2.4", "points": "1,6"}]}
    refused = client.put(url + "/review", json=bad, headers=bearer(tokens["admin"]))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "7.2.4.points"
    assert "Tiêu chí 7.2.4" in refused.json()["detail"]


def test_the_page_shows_the_card_and_keeps_its_forms_to_their_users(client, tokens, overseer):
    login(client, "sec_sngv")
    agency_page = client.get("/agencies/SNGV?year=2026")
    assert 'href="/agencies/SNGV/2026/score"' in agency_page.text
    page = client.get("/agencies/SNGV/2026/score")
    assert page.status_code == 200
    assert "Tổng điểm" in page.text and "Cách tính:" in page.text and "3396/QĐ-UBND" in page.text
    assert 'id="self-score"' in page.text and 'id="review-score"' not in page.text
    # Without the CSRF token nothing is written.
    assert (
        client.post("/agencies/SNGV/2026/score", data={"self_points_7.2.1": "0"}).status_code == 403
    )
    token = csrf_of(page.text)
    refused = client.post(
        "/agencies/SNGV/2026/score",
        data={"csrf_token": token, "self_points_7.2.2": "0,5", "self_reason_7.2.2": ""},
    )
    assert refused.status_code == 422 and "Tiêu chí 7.2.2" in refused.text
    saved = client.post(
        "/agencies/SNGV/2026/score",
        data={"csrf_token": token, "self_points_7.2.2": "0,5", "self_reason_7.2.2": "Có 05 QTNB"},
    )
    assert saved.status_code == 303
    shown = client.get("/agencies/SNGV/2026/score").text
    assert "Có 05 QTNB" in shown and "sec_sngv, 24/11/2026 10:00" in shown  # who and when
    assert (
        client.post(
            "/agencies/SNGV/2026/score/review",
            data={"csrf_token": token, "review_points_7.2.2": "0", "review_reason_7.2.2": "x"},
        ).status_code
        == 403
    )
    assert client.get("/agencies/SCT/2026/score").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    client.cookies.clear()
    login(client, "sec_skhcn")
    page = client.get("/agencies/SNGV/2026/score")
    assert page.status_code == 200 and 'id="review-score"' in page.text
    assert 'id="self-score"' not in page.text
    reviewed = client.post(
        "/agencies/SNGV/2026/score/review",
        data={"csrf_token": csrf_of(page.text), "review_points_7.2.2": "0",
              "review_reason_7.2.2": "Chỉ có 02 quy trình"},
    )  # fmt: skip
    assert reviewed.status_code == 303
    assert "Chỉ có 02 quy trình" in client.get("/agencies/SNGV/2026/score").text


def test_a_reason_typed_on_two_lines_in_a_browser_is_kept(client, tokens, session):
    """A browser posts a textarea's line breaks as CRLF: the reason is kept, with "\n"."""
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV/2026/score")
    saved = client.post(
        "/agencies/SNGV/2026/score",
        data={"csrf_token": csrf_of(page.text), "self_points_7.2.2": "0,5",
              "self_reason_7.2.2": "Có 05 quy trình nội bộ.\r\nQĐ số 31/QĐ-SNgV."},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    card = iso.score_card(session=session, agency_code="SNGV", year=2026, today=TODAY)
    assert card.criterion("7.2.2").self_reason == "Có 05 quy trình nội bộ.\nQĐ số 31/QĐ-SNgV."


@pytest.mark.parametrize("value", ["1e999999999", "-1E999999999", "9e99999"])
def test_points_of_absurd_size_are_refused_at_once(client, tokens, value):
    """A number written with a huge exponent is refused as not points, without spelling out its
    digits (which took half a minute and a gigabyte for 1e999999999)."""
    body = {"scores": [{"criterion": "7.2.1", "points": value, "reason": "x"}]}
    started = time.monotonic()
    refused = client.put(
        "/api/v1/agencies/SNGV/scores/2026", json=body, headers=bearer(tokens["sec_sngv"])
    )
    assert time.monotonic() - started < 5
    assert refused.status_code == 422 and len(refused.text) < 2000
    assert f"Tiêu chí 7.2.1: «{value}» không phải là số điểm" in refused.json()["detail"]


def _self_form(html: str) -> dict[str, str]:
    """The self-score form's fields as a browser would post them, untouched."""
    form = html[
        html.index('id="self-score"') : html.index("</form>", html.index('id="self-score"'))
    ]
    fields = dict(re.findall(r'<input name="([^"]+)"[^>]*?value="([^"]*)"', form))
    fields |= dict(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', form))
    return {k: unescape(v) for k, v in fields.items()} | {"csrf_token": csrf_of(html)}


def test_saving_the_form_again_keeps_the_note_for_phu_luc_ia(client, tokens, session):
    """The page offers the stored note back, so saving the form unchanged neither drops it from
    Phụ lục IA nor writes a history entry."""
    login(client, "sec_sngv")
    first = _self_form(client.get("/agencies/SNGV/2026/score").text)
    note = "Đã ban hành 14 quy trình nội bộ (QĐ số 31/QĐ-SNgV)"
    typed = first | {
        "self_points_7.2.2": "0,5",
        "self_reason_7.2.2": "Có 14 QTNB",
        "note_7.2.2": note,
    }
    assert client.post("/agencies/SNGV/2026/score", data=typed).status_code == 303
    entries = len(history_of(session, "SNGV"))
    again = _self_form(client.get("/agencies/SNGV/2026/score").text)
    assert again["note_7.2.2"] == note
    assert client.post("/agencies/SNGV/2026/score", data=again).status_code == 303
    card = iso.score_card(session=session, agency_code="SNGV", year=2026, today=TODAY)
    assert card.criterion("7.2.2").note == note
    assert len(history_of(session, "SNGV")) == entries


def test_a_share_just_under_full_never_reads_100_percent(session, opened_2026):
    """1.999 of 2.000 dossiers attached (99,95%) scores half of 7.2.5: its evidence must not
    say 100% (rounding half-even printed "100"), and 89,99% must not read as 90%."""
    period = Period(date(2025, 12, 15), date(2026, 11, 20))
    for received, attached, shown, suggested in (
        (2000, 1999, "1.999/2.000 hồ sơ", D("0.5")),
        (20000, 17999, "17.999/20.000 hồ sơ", 0),
    ):
        iso.set_dossier_stats(
            session=session, agency_code="SNGV", period=period, received=received,
            on_time=received, late=0, with_results=attached, actor="t",
        )  # fmt: skip
        found = iso.score_card(session=session, agency_code="SNGV", year=2026, today=TODAY)
        evidence = found.criterion("7.2.5").evidence
        assert found.criterion("7.2.5").suggested == suggested and shown in evidence
        assert "(100%)" not in evidence and "(90%)" not in evidence


def test_a_unit_of_so_khcn_does_not_review_its_own_score(client, tokens, session, tmp_path):
    """A centre under Sở KH&CN reviews other agencies' scores as Sở KH&CN's unit, but its own
    self-score is reviewed by someone else: an agency never confirms its own points."""
    from models.agencies import import_agencies
    from tests.conftest import HEADER, SMALL_PROVINCE, write_csv

    centre = ["TTUDKHCN", "Trung tâm Ứng dụng KH&CN", "trung_tam", "SKHCN", "", "", "", ""]
    import_agencies(
        session=session, path=write_csv(tmp_path / "more.csv", HEADER, [*SMALL_PROVINCE, centre])
    )
    user = create_user(
        session=session, username="sec_ttud", password=PASSWORD, role="secretary",
        agency_code="TTUDKHCN",
    )  # fmt: skip
    token = issue_token(session=session, user=user)
    body = {"scores": [{"criterion": "7.2.2", "points": 0.5, "reason": "Có 05 quy trình"}]}
    own = "/api/v1/agencies/TTUDKHCN/scores/2026"
    assert client.put(own, json=body, headers=bearer(token)).status_code == 200
    refused = client.put(own + "/review", json=body, headers=bearer(token))
    assert refused.status_code == 403
    card = iso.score_card(session=session, agency_code="TTUDKHCN", year=2026, today=TODAY)
    assert card.criterion("7.2.2").reviewed_points is None
    other = client.put("/api/v1/agencies/SCT/scores/2026/review", json=body, headers=bearer(token))
    assert other.status_code == 200, other.text
    login(client, "sec_ttud")
    assert 'id="review-score"' not in client.get("/agencies/TTUDKHCN/2026/score").text


def test_a_year_before_any_scheme_is_refused_without_the_servers_path() -> None:
    from models.iso.base import IsoError
    from models.iso.scheme import scheme_for_year

    with pytest.raises(IsoError) as refused:
        scheme_for_year(2019)
    message = str(refused.value)
    assert "năm 2019" in message and "ISOCYCLE_SCORING_DIR" in message and "/" not in message
