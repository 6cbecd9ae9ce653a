"""Training, budget, directing documents and own inspections per reporting period, and agency
lineage: the rules, the CLI, the JSON API and the pages, on the small province."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import iso, lineage
from models.agencies import FIELDS, upsert_agencies
from models.iso import activities
from models.periods import Period, PeriodRule, annual, parse_period, six_month
from models.tables import HistoryEntry
from tests.conftest import TODAY, write_csv
from tests.web_support import bearer, csrf_of, login

P2021 = annual(2021)  # 15/12/2020 → 14/12/2021
CALENDAR = PeriodRule(cutoff_month=1, cutoff_day=1)


def _train(session: Session, period: Period = P2021, **kw) -> activities.TrainingCourse:
    values = {
        "title": "Tập huấn đánh giá nội bộ",
        "organiser": "Chi cục TĐC",
        "mode": "attended",
        "held_on": date(2021, 8, 20),
        "person_times": "3",
    } | kw
    return iso.add_training(
        session=session, agency_code="SNGV", period=period, actor="test", today=TODAY, **values
    )


def _summary(session: Session, code: str = "SNGV", period: Period = P2021) -> dict:
    return iso.activities_summary(session=session, agency_code=code, period=period)


def _history_count(session: Session, entity: str) -> int:
    return len(session.exec(select(HistoryEntry).where(HistoryEntry.entity == entity)).all())


# --- training -----------------------------------------------------------------------------------


def test_it_totals_the_person_times_of_the_period(session, province):
    _train(session, mode="held", person_times="16", held_on=date(2021, 4, 8))
    _train(session, person_times=8)
    _train(session, held_on=date(2021, 12, 15), period=annual(2022), person_times=5)
    data = _summary(session)["training"]
    assert (data["held"], data["attended"], data["person_times"]) == (1, 1, 24)
    assert _summary(session, period=annual(2022))["training"]["person_times"] == 5
    assert _history_count(session, "training_course") == 3


@pytest.mark.parametrize(
    ("day", "inside"),
    [
        (date(2020, 12, 15), True),  # the first day of the 2021 period (NĐ 09/2019 cut-off)
        (date(2021, 12, 14), True),  # its last day
        (date(2021, 12, 15), False),  # already the 2022 period
        (date(2020, 12, 14), False),
    ],
)
def test_a_date_outside_the_period_is_refused_by_name(session, province, day, inside):
    if inside:
        _train(session, held_on=day)
        return
    with pytest.raises(iso.IsoError, match="Ngày tập huấn .* nằm ngoài kỳ báo cáo") as caught:
        _train(session, held_on=day)
    assert caught.value.errors[0].field == "held_on"
    assert _summary(session)["training"]["courses"] == []


def test_calendar_periods_split_at_new_year_and_keep_29_february(session, province):
    _train(session, period=annual(2024, CALENDAR), held_on=date(2024, 2, 29))
    _train(session, period=annual(2024, CALENDAR), held_on=date(2024, 12, 31))
    with pytest.raises(iso.IsoError, match="1/1/2025 nằm ngoài"):
        _train(session, period=annual(2024, CALENDAR), held_on=date(2025, 1, 1))
    assert _summary(session, period=annual(2024, CALENDAR))["training"]["person_times"] == 6
    # The six-month report covers 15/12 → 14/6.
    _train(session, period=six_month(2021), held_on=date(2021, 6, 14))
    with pytest.raises(iso.IsoError, match="15/6/2021 nằm ngoài"):
        _train(session, period=six_month(2021), held_on=date(2021, 6, 15))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"person_times": "hai mươi"}, "person_times", "phải là số nguyên"),
        ({"person_times": "-3"}, "person_times", "phải là số nguyên"),
        ({"person_times": ""}, "person_times", "Chưa nhập số lượt người"),
        ({"mode": "học online"}, "mode", "Hình thức «học online» không có"),
        ({"title": "  "}, "title", "Chưa nhập Tên lớp tập huấn"),
        ({"title": "Lớp\x00tập huấn"}, "title", "ký tự điều khiển"),
        ({"held_on": date(2026, 11, 25)}, "held_on", "tương lai"),
    ],
)
def test_bad_training_input_is_refused_naming_the_field(session, province, change, field, message):
    with pytest.raises(iso.IsoError, match=message) as caught:
        _train(session, period=annual(2026), **({"held_on": date(2026, 3, 1)} | change))
    assert caught.value.errors[0].field == field
    assert _summary(session, period=annual(2026))["training"]["courses"] == []
    assert _history_count(session, "training_course") == 0


def test_a_hostile_title_is_stored_as_text(session, province):
    _train(session, title="<script>alert(1)</script>")
    assert _summary(session)["training"]["courses"][0]["title"] == "<script>alert(1)</script>"


# --- budget -------------------------------------------------------------------------------------


def test_the_budget_is_whole_dong_and_shown_the_vietnamese_way(session, province):
    warnings = iso.set_budget(
        session=session,
        agency_code="SNGV",
        period=P2021,
        allocated="10.000.000",
        spent="9 000 000 đồng",
        actor="test",
    )
    assert warnings == []
    [row] = _summary(session)["budget"]
    assert (row["allocated"], row["spent"], row["cap"]) == (10_000_000, 9_000_000, 15_000_000)
    assert row["cap_source"] == "TT 116/2015/TT-BTC Điều 4 khoản 6"
    assert iso.vnd(row["allocated"]) == "10.000.000 đồng"
    # A correction replaces the figures and leaves its history.
    iso.set_budget(
        session=session,
        agency_code="SNGV",
        period=P2021,
        allocated=12_000_000,
        spent=None,
        actor="test",
    )
    [row] = _summary(session)["budget"]
    assert (row["allocated"], row["spent"]) == (12_000_000, None)
    entries = session.exec(select(HistoryEntry).where(HistoryEntry.entity == "iso_budget")).all()
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[1].old == {"allocated": 10_000_000, "spent": 9_000_000, "note": None}


def test_a_budget_above_the_tt_116_cap_is_warned_not_refused(session, province):
    warnings = iso.set_budget(
        session=session,
        agency_code="SNGV",
        period=P2021,
        allocated="16.000.000",
        spent="15.000.001",
        actor="test",
    )
    assert warnings == [
        "Kinh phí được cấp 16.000.000 đồng vượt mức chi 15.000.000 đồng một năm cho «Duy trì, "
        "cải tiến thường xuyên HTQLCL» (TT 116/2015/TT-BTC Điều 4 khoản 6).",
        "Kinh phí đã sử dụng 15.000.001 đồng vượt mức chi 15.000.000 đồng một năm cho «Duy trì, "
        "cải tiến thường xuyên HTQLCL» (TT 116/2015/TT-BTC Điều 4 khoản 6).",
    ]
    assert _summary(session)["budget"][0]["allocated"] == 16_000_000
    # Exactly at the cap: no warning.
    assert (
        iso.set_budget(
            session=session,
            agency_code="SNGV",
            period=P2021,
            allocated=15_000_000,
            spent=None,
            actor="test",
        )
        == []
    )


def test_a_communes_consultancy_cap_is_80_percent_of_a_chi_cucs(session, province):
    caps = iso.load_budget_caps()
    assert activities.cap_for(caps, "tu_van_xay_dung", "ubnd_xa").amount == 26_400_000
    assert activities.cap_for(caps, "tu_van_xay_dung", "so").amount == 45_000_000
    warnings = iso.set_budget(
        session=session,
        agency_code="UB18073",
        period=P2021,
        allocated=30_000_000,
        spent=None,
        purpose="tu_van_xay_dung",
        actor="test",
    )
    assert len(warnings) == 1 and "26.400.000 đồng" in warnings[0]


def test_every_cap_gives_its_source():
    caps = iso.load_budget_caps()
    assert caps and all(c.source.startswith("TT 116/2015/TT-BTC Điều 4") for c in caps)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"allocated": "mười triệu"}, "allocated"),
        ({"allocated": "10,5"}, "allocated"),
        ({"spent": "-1"}, "spent"),
        ({"purpose": "an_uong"}, "purpose"),
    ],
)
def test_bad_budget_input_is_refused(session, province, change, field):
    values = {"allocated": "10.000.000", "spent": None} | change
    with pytest.raises(iso.IsoError) as caught:
        iso.set_budget(session=session, agency_code="SNGV", period=P2021, actor="test", **values)
    assert caught.value.errors[0].field == field
    assert _summary(session)["budget"] == []


def test_a_broken_caps_file_is_named(tmp_path: Path):
    path = tmp_path / "caps.toml"
    path.write_text('[[cap]]\nkey = "duy_tri"\nlabel = "x"\namount = -5\nsource = "y"\n')
    with pytest.raises(iso.IsoError, match="caps.toml: mức chi thứ 1: amount"):
        iso.load_budget_caps(path)


# --- directing documents and own inspections ----------------------------------------------------


def _doc(session: Session, number: str, on: date, period: Period = P2021) -> None:
    iso.add_directing_document(
        session=session,
        agency_code="SNGV",
        period=period,
        number=number,
        title="Kế hoạch ISO",
        issued_on=on,
        actor="test",
        today=TODAY,
    )


def test_directing_documents_are_counted_per_period(session, province):
    _doc(session, "46/KH-SNgV", date(2021, 1, 19))
    _doc(session, "", date(2021, 6, 15))  # a biên bản without a number (seed 001)
    _doc(session, "5/KH-SNgV", date(2022, 1, 5), annual(2022))
    docs = _summary(session)["directing_documents"]
    assert docs["count"] == 2
    assert [d["number"] for d in docs["items"]] == ["46/KH-SNgV", ""]
    with pytest.raises(iso.IsoError, match="Văn bản số 46/kh-sngv đã có"):
        _doc(session, "46/kh-sngv", date(2021, 2, 1))


def test_inspections_count_distinct_units(session, province):
    for on, unit in [
        (date(2021, 5, 12), "Văn phòng"),
        (date(2021, 10, 12), "văn phòng"),
        (date(2021, 5, 13), "Trung tâm DTDVĐN"),
    ]:
        iso.add_own_inspection(
            session=session,
            agency_code="SNGV",
            period=P2021,
            held_on=on,
            unit=unit,
            ref=None,
            actor="test",
            today=TODAY,
        )
    checks = _summary(session)["inspections"]
    assert (checks["count"], checks["units"]) == (3, 2)
    with pytest.raises(iso.IsoError, match="Chưa nhập Đơn vị được kiểm tra"):
        iso.add_own_inspection(
            session=session,
            agency_code="SNGV",
            period=P2021,
            held_on=date(2021, 5, 1),
            unit="",
            ref=None,
            actor="test",
            today=TODAY,
        )


def test_an_unknown_agency_is_refused(session, province):
    with pytest.raises(iso.IsoError, match="Không có đơn vị mã «KHONGCO»"):
        iso.activities_summary(session=session, agency_code="KHONGCO", period=P2021)


# --- lineage ------------------------------------------------------------------------------------

ROWS = [
    # code, name, kind, parent, valid_from, valid_to
    ("TXHL", "UBND thị xã Hồng Lĩnh", "ubnd_huyen", "HATINH", "2018-01-01", "2025-06-30"),
    ("XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "TXHL", "2018-01-01", "2025-06-30"),
    ("PNAMHONG", "UBND phường Nam Hồng", "ubnd_xa", "TXHL", "2018-01-01", "2025-06-30"),
    ("UB18118", "UBND Phường Nam Hồng Lĩnh", "ubnd_xa", "HATINH", "2025-07-01", ""),
    ("EARLY", "UBND phường lập sớm", "ubnd_xa", "HATINH", "2025-06-01", ""),
]


@pytest.fixture
def restructured(session: Session, province: Path) -> None:
    header = list(FIELDS)
    data = []
    for code, name, kind, parent, start, end in ROWS:
        row = dict.fromkeys(header, "") | {
            "code": code,
            "name": name,
            "kind": kind,
            "parent_code": parent,
            "valid_from": start,
            "valid_to": end,
            "active": "0" if end else "1",
        }
        data.append([row[h] for h in header])
    upsert_agencies(session=session, header=header, data=data)


def test_links_show_on_both_sides_with_history(session, restructured):
    added = lineage.add_links(
        session=session,
        links=[
            lineage.LinkIn("XTHUANLOC", "UB18118", "NQ 1665/NQ-UBTVQH15"),
            lineage.LinkIn("PNAMHONG", "UB18118", "NQ 1665/NQ-UBTVQH15"),
        ],
        actor="test",
    )
    assert added == 2
    new = lineage.lineage_of(session=session, agency=iso.get_agency(session, "UB18118"))
    assert [p["code"] for p in new["predecessors"]] == ["PNAMHONG", "XTHUANLOC"]
    old = lineage.lineage_of(session=session, agency=iso.get_agency(session, "XTHUANLOC"))
    assert [(s["code"], s["basis"]) for s in old["successors"]] == [
        ("UB18118", "NQ 1665/NQ-UBTVQH15")
    ]
    assert _history_count(session, "agency_link") == 4  # one on each agency's history
    # Entering the same link again adds nothing.
    again = [lineage.LinkIn("XTHUANLOC", "UB18118")]
    assert lineage.add_links(session=session, links=again, actor="test") == 0


def test_a_bad_file_is_refused_whole_naming_each_row(session, restructured, tmp_path):
    lineage.add_links(session=session, links=[lineage.LinkIn("TXHL", "UB18118")], actor="test")
    path = write_csv(
        tmp_path / "links.csv",
        ["Mã đơn vị cũ", "Mã đơn vị mới", "Căn cứ"],
        [
            ["XTHUANLOC", "UB18118", "NQ 1665"],  # good, but the file fails as a whole
            ["KHONGCO", "UB18118", ""],
            ["UB18118", "UB18118", ""],
            ["UB18118", "TXHL", ""],  # a cycle with the stored TXHL → UB18118
            ["PNAMHONG", "EARLY", ""],  # EARLY began 1/6/2025, before 30/6/2025
        ],
    )
    with pytest.raises(iso.IsoError) as caught:
        lineage.add_links(session=session, links=lineage.links_from_file(path), actor="test")
    messages = [e.message for e in caught.value.errors]
    assert messages == [
        "dòng 3: không có đơn vị mã «KHONGCO».",
        "dòng 4: đơn vị UB18118 không thể là đơn vị kế thừa của chính nó.",
        "dòng 5: liên kết UB18118 → TXHL tạo thành vòng (đơn vị TXHL đã là đơn vị cũ của UB18118).",
        "dòng 6: đơn vị mới EARLY bắt đầu từ 1/6/2025, trước khi đơn vị cũ PNAMHONG kết thúc "
        "(30/6/2025).",
    ]
    old = lineage.lineage_of(session=session, agency=iso.get_agency(session, "XTHUANLOC"))
    assert old["successors"] == []  # nothing half-written


def test_a_cycle_inside_one_file_is_refused(session, restructured, tmp_path):
    path = write_csv(
        tmp_path / "links.csv",
        ["predecessor", "successor"],
        [["UB18118", "EARLY"], ["EARLY", "UB18118"]],
    )
    with pytest.raises(iso.IsoError, match="dòng 3: liên kết EARLY → UB18118 tạo thành vòng"):
        lineage.add_links(session=session, links=lineage.links_from_file(path), actor="test")


def test_a_file_without_the_columns_is_named(tmp_path):
    path = write_csv(tmp_path / "links.csv", ["a", "b"], [["X", "Y"]])
    with pytest.raises(iso.IsoError, match="thiếu cột Mã đơn vị cũ"):
        lineage.links_from_file(path)


def test_the_cli_imports_links_and_refuses_a_bad_file(cli, session, restructured, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["predecessor", "successor"], [["XTHUANLOC", "NOPE"]])
    result = cli("lineage", "import", str(bad))
    assert result.exit_code == 1
    assert "dòng 2: không có đơn vị mã «NOPE»" in result.stderr
    good = write_csv(
        tmp_path / "good.csv",
        ["predecessor", "successor", "basis"],
        [["XTHUANLOC", "UB18118", "NQ"]],
    )
    assert cli("lineage", "import", str(good)).exit_code == 0
    shown = json.loads(cli("lineage", "show", "UB18118", "--json").stdout)
    assert [p["code"] for p in shown["predecessors"]] == ["XTHUANLOC"]
    assert cli("lineage", "add", "XTHUANLOC", "XTHUANLOC").exit_code == 1


# --- CLI ----------------------------------------------------------------------------------------


def test_the_cli_records_each_family_and_warns_above_the_cap(cli, province):
    today = ["--today", "2021-12-01"]
    assert (
        cli(
            "activities",
            "training",
            "SNGV",
            "2021",
            "--title",
            "ISO",
            "--on",
            "8/4/2021",
            "--people",
            "24",
            *today,
        ).exit_code
        == 0
    )
    assert (
        cli(
            "activities",
            "document",
            "SNGV",
            "2021",
            "--number",
            "46/KH-SNgV",
            "--title",
            "Kế hoạch",
            "--on",
            "19/01/2021",
            *today,
        ).exit_code
        == 0
    )
    assert (
        cli(
            "activities",
            "inspection",
            "SNGV",
            "2021",
            "--unit",
            "Văn phòng",
            "--on",
            "2021-05-12",
            *today,
        ).exit_code
        == 0
    )
    budget = cli("activities", "budget", "SNGV", "2021", "--allocated", "20.000.000")
    assert budget.exit_code == 0 and "Cảnh báo: Kinh phí được cấp 20.000.000 đồng" in budget.stderr
    data = json.loads(cli("activities", "show", "SNGV", "2021", "--json").stdout)
    assert data["training"]["person_times"] == 24
    assert data["directing_documents"]["count"] == 1
    assert data["inspections"]["units"] == 1
    assert data["budget"][0]["warnings"]
    bad = cli("activities", "show", "SNGV", "năm ngoái")
    assert bad.exit_code == 1 and "Không đọc được kỳ báo cáo «năm ngoái»" in bad.stderr
    outside = cli(
        "activities",
        "training",
        "SNGV",
        "2021",
        "--title",
        "ISO",
        "--on",
        "1/1/2022",
        "--people",
        "2",
        "--today",
        "2022-01-05",
    )
    assert outside.exit_code == 1 and "nằm ngoài kỳ báo cáo" in outside.stderr


# --- JSON API -----------------------------------------------------------------------------------

URL = "/api/v1/agencies/SNGV/activities/2021"
COURSE = {"title": "ISO", "mode": "held", "held_on": "2021-04-08", "person_times": 24}


def test_the_api_follows_the_iso_record_rights(client: TestClient, tokens):
    assert (
        client.post(URL + "/training", json=COURSE, headers=bearer(tokens["sec_sct"])).status_code
        == 403
    )
    assert (
        client.post(URL + "/training", json=COURSE, headers=bearer(tokens["view_sngv"])).status_code
        == 403
    )
    assert client.get(URL, headers=bearer(tokens["sec_sct"])).status_code == 403
    made = client.post(URL + "/training", json=COURSE, headers=bearer(tokens["sec_sngv"]))
    assert made.status_code == 201 and made.json()["training"]["person_times"] == 24
    seen = client.get(URL, headers=bearer(tokens["view_sngv"]))
    assert seen.status_code == 200 and seen.json()["training"]["held"] == 1
    assert client.get(URL).status_code == 401


def test_the_api_writes_each_family_and_names_refused_fields(client: TestClient, tokens):
    headers = bearer(tokens["sec_sngv"])
    budget = client.put(URL + "/budget", json={"allocated": 16_000_000}, headers=headers)
    assert budget.status_code == 200
    assert "vượt mức chi 15.000.000 đồng" in budget.json()["budget"][0]["warnings"][0]
    doc = {"number": "46/KH-SNgV", "title": "Kế hoạch", "issued_on": "2021-01-19"}
    assert client.post(URL + "/documents", json=doc, headers=headers).status_code == 201
    check = {"held_on": "2021-05-12", "unit": "Văn phòng"}
    answer = client.post(URL + "/inspections", json=check, headers=headers)
    assert answer.status_code == 201 and answer.json()["inspections"]["count"] == 1
    late = client.post(
        URL + "/documents",
        json=doc | {"number": "2/KH", "issued_on": "2022-01-02"},
        headers=headers,
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "issued_on"
    assert "nằm ngoài kỳ báo cáo từ 15/12/2020 đến 14/12/2021" in late.json()["detail"]
    bad_period = client.get("/api/v1/agencies/SNGV/activities/2021-13", headers=headers)
    assert bad_period.status_code == 422 and "kỳ báo cáo" in bad_period.json()["detail"]
    six = client.get("/api/v1/agencies/SNGV/activities/6t-2021", headers=headers).json()
    assert six["period"]["label"] == "từ 15/12/2020 đến 14/6/2021"


def test_only_an_admin_links_agencies_through_the_api(client: TestClient, tokens):
    body = {"links": [{"predecessor": "SNGV", "successor": "SCT"}]}
    assert (
        client.post("/api/v1/lineage", json=body, headers=bearer(tokens["sec_sngv"])).status_code
        == 403
    )
    made = client.post("/api/v1/lineage", json=body, headers=bearer(tokens["admin"]))
    assert made.status_code == 201 and made.json() == {"added": 1}
    bad = client.post(
        "/api/v1/lineage",
        json={"links": [{"predecessor": "SCT", "successor": "SNGV"}]},
        headers=bearer(tokens["admin"]),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["message"].startswith(
        "Liên kết 1: liên kết SCT → SNGV tạo thành vòng"
    )
    seen = client.get("/api/v1/agencies/SCT/lineage", headers=bearer(tokens["sec_sct"])).json()
    assert [p["code"] for p in seen["predecessors"]] == ["SNGV"]


# --- pages --------------------------------------------------------------------------------------

PAGE = "/agencies/SNGV/activities/2021"


def test_the_page_records_a_course_and_shows_the_total(client: TestClient, tokens):
    login(client, "sec_sngv")
    page = client.get(PAGE)
    assert (
        page.status_code == 200 and "số lượt cán bộ, công chức tham gia: <b>0 lượt</b>" in page.text
    )
    form = {
        "csrf_token": csrf_of(page.text),
        "title": "Tập huấn <b>ISO</b>",
        "mode": "held",
        "held_on": "08/04/2021",
        "person_times": "24",
    }
    done = client.post(PAGE + "/training", data=form)
    assert done.status_code == 303
    shown = client.get(PAGE).text
    assert "<b>24 lượt</b>" in shown and "Tập huấn &lt;b&gt;ISO&lt;/b&gt;" in shown
    refused = client.post(PAGE + "/training", data=form | {"held_on": "08/04/2022"})
    assert refused.status_code == 422
    assert "Ngày tập huấn 8/4/2022 nằm ngoài kỳ báo cáo" in refused.text
    budget = client.post(
        PAGE + "/budget",
        data={"csrf_token": csrf_of(shown), "purpose": "duy_tri", "allocated": "10.000.000"},
    )
    assert budget.status_code == 303
    assert "10.000.000 đồng" in client.get(PAGE).text
    no_csrf = client.post(PAGE + "/budget", data={"allocated": "1"})
    assert no_csrf.status_code in (400, 403)


def test_a_viewer_sees_no_forms_and_another_secretary_is_refused(client: TestClient, tokens):
    login(client, "view_sngv")
    page = client.get(PAGE)
    assert (
        page.status_code == 200
        and '<form method="post" action="/agencies/SNGV/activities' not in page.text
    )
    client.cookies.clear()
    login(client, "sec_sct")
    assert client.get(PAGE).status_code == 403


def test_the_agency_pages_cite_each_other(client: TestClient, session, tokens, restructured):
    lineage.add_links(
        session=session,
        links=[lineage.LinkIn("XTHUANLOC", "UB18118", "Nghị quyết 1665/NQ-UBTVQH15")],
        actor="test",
    )
    login(client, "admin")
    new = client.get("/agencies/UB18118").text
    assert 'Kế thừa từ <a href="/agencies/XTHUANLOC">UBND xã Thuận Lộc</a>' in new
    assert "hoạt động đến 30/06/2025" in new or "hoạt động đến 30/6/2025" in new
    old = client.get("/agencies/XTHUANLOC?year=2022").text
    assert 'Đã sắp xếp vào <a href="/agencies/UB18118">UBND Phường Nam Hồng Lĩnh</a>' in old


def test_parse_period_matches_the_pages_period():
    assert parse_period("2021") == P2021


def test_the_history_reads_as_vietnamese_sentences(session, province):
    from models import history_text

    _train(session, person_times=16)
    iso.set_budget(
        session=session, agency_code="SNGV", period=P2021, allocated=1, spent=None, actor="test"
    )
    iso.set_budget(
        session=session,
        agency_code="SNGV",
        period=P2021,
        allocated="10.000.000",
        spent=None,
        actor="test",
    )
    entries = session.exec(select(HistoryEntry).order_by(HistoryEntry.at)).all()
    told = [history_text.describe(e) for e in entries if e.entity != "agency"]
    assert told[0].sentence.endswith(
        "tạo lớp tập huấn «Tập huấn đánh giá nội bộ» ngày 20/08/2021, 16 lượt người "
        "(kỳ 15/12/2020–14/12/2021)"
    )
    assert [str(c) for c in told[2].changes] == ["Kinh phí được cấp: 1 đồng → 10.000.000 đồng"]
