"""Domain corrections of the demo and the agency list (issue 11, item 8): the 1/7/2025 merger
as it happened, document numbers with the right type and the agency's own abbreviation, and
commune names as Vietnamese style writes them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import select

from models.agencies import ImportFailed, document_abbreviation, import_agencies
from models.calendar import CalendarError, build_rule_set, load_rule_set
from models.demo import RESTRUCTURED_ON, demo_rows
from models.tables import Agency
from tests.conftest import write_csv

README = Path(__file__).resolve().parents[1] / "README.md"
TODAY = "2026-11-24"


def _communes() -> dict[str, list[str]]:
    header, rows = demo_rows()
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows if r[0].startswith("UB")}


def test_son_kim_1_and_2_were_not_merged_and_keep_their_earlier_valid_from():
    communes = _communes()
    assert len(communes) == 69
    new = [c for c in communes.values() if c["valid_from"] == RESTRUCTURED_ON.isoformat()]
    kept = {c["name"]: c["valid_from"] for c in communes.values() if c not in new}
    assert len(new) == 67
    assert kept == {"UBND xã Sơn Kim 1": "", "UBND xã Sơn Kim 2": ""}


def test_the_readme_counts_the_merger_as_207_closed_67_new_and_2_unchanged():
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "closed 209" not in text and "opened 69" not in text
    assert "209 communes became 69: 207 were closed and merged into 67 new ones, and 2" in text


def test_commune_names_are_written_as_vietnamese_style_has_them():
    names = [c["name"] for c in _communes().values()]
    assert "UBND xã Sơn Hồng" in names and "UBND phường Thành Sen" in names
    assert not [n for n in names if re.match(r"UBND (Xã|Phường|Đặc khu) ", n)]
    assert all(re.match(r"UBND (xã|phường|đặc khu) [A-ZĐ]", n) for n in names), names


def test_every_calendar_step_names_its_document_type():
    rules = load_rule_set()
    assert {r.key: r.document for r in rules.steps} == {
        "plan": "KH",
        "build_plan": "KH",
        "steering_committee": "QĐ",
        "build_committee": "QĐ",
        "announce": "QĐ",
        "quality_objectives": "QĐ",
        "six_month_report": "BC",
        "internal_audit": "BC",
        "management_review": "BB",
        "corrective_actions": "BC",
        "annual_report": "BC",
        "objectives_review": "BC",
    }
    bad = {"steps": {"plan": {"title": "Kế hoạch", "deadline": "31/01", "document": "K/H"}}}
    with pytest.raises(CalendarError, match=r"steps\.plan\.document"):
        build_rule_set(bad)


def test_the_demo_numbers_documents_by_type_and_by_the_agency_s_own_abbreviation(cli):
    assert cli("demo", "--today", TODAY).exit_code == 0
    rows = json.loads(cli("status", "2026", "--today", TODAY, "--json").stdout)
    sngv = {r["step"]: r["ref"] for r in rows if r["agency"] == "SNGV" and r["ref"]}
    patterns = {
        # No steering_committee step: Sở Ngoại vụ's committee (29/QĐ-SNgV) is on record.
        "plan": r"\d+/KH-SNgV",
        "quality_objectives": r"\d+/QĐ-SNgV",
        "six_month_report": r"\d+/BC-SNgV",
        "internal_audit": r"\d+/BC-SNgV",
        "management_review": r"\d+/BB-SNgV",
        "annual_report": r"\d+/BC-SNgV",
    }
    for step, pattern in patterns.items():
        assert re.fullmatch(pattern, sngv[step]), (step, sngv[step])
    # A commune's people's committee numbers its documents "…/QĐ-UBND" (seed 003: 41/QĐ-UBND).
    commune = {r["step"]: r["ref"] for r in rows if r["agency"] == "UB18196" and r["ref"]}
    assert re.fullmatch(r"\d+/KH-UBND", commune["plan"])
    assert not [r["ref"] for r in rows if r["ref"] and re.search(r"-(SNGV|UB\d+)$", r["ref"])]
    # Sơn Kim 1 existed before 1/7/2025: it has its 2022 cycle; a new commune has none.
    old = json.loads(cli("status", "2022", "--agency", "UB18196", "--json").stdout)
    assert {r["step"] for r in old} >= {"plan", "internal_audit", "annual_report"}
    new = json.loads(cli("status", "2022", "--agency", "UB18073", "--json").stdout)
    assert new == []
    listed = json.loads(cli("agencies", "list", "--json").stdout)
    abbreviations = {a["code"]: a["abbreviation"] for a in listed}
    assert (abbreviations["SNGV"], abbreviations["TTDVDN"], abbreviations["UB18196"]) == (
        "SNgV",
        "DTDVĐN",
        None,  # a commune's UBND: document_abbreviation gives "UBND"
    )


def test_an_agency_file_gives_the_abbreviation_and_a_bad_one_is_refused(session, tmp_path):
    header = ["Mã đơn vị", "Tên đơn vị", "Loại", "Ký hiệu viết tắt"]
    good = write_csv(
        tmp_path / "good.csv",
        header,
        [
            ["SNGV", "Sở Ngoại vụ", "so", "SNgV"],
            ["SCT", "Sở Công Thương", "so", ""],
            ["XSH", "UBND xã Sơn Hồng", "ubnd_xa", ""],
        ],
    )
    import_agencies(session=session, path=good)
    agencies = {a.code: a for a in session.exec(select(Agency)).all()}
    assert agencies["SNGV"].abbreviation == "SNgV"
    assert [document_abbreviation(agencies[c]) for c in ("SNGV", "SCT", "XSH")] == [
        "SNgV",  # its own
        "SCT",  # none given: its code
        "UBND",  # a people's committee
    ]
    bad = write_csv(
        tmp_path / "bad.csv",
        header,
        [["SNGV", "Sở Ngoại vụ", "so", "S-NgV"], ["STP", "Sở Tư pháp", "so", "S TP"]],
    )
    with pytest.raises(ImportFailed) as refused:
        import_agencies(session=session, path=bad)
    assert [(p.row, p.field) for p in refused.value.problems] == [
        (2, "abbreviation"),
        (3, "abbreviation"),
    ]
    assert "«S-NgV» không phải ký hiệu viết tắt" in refused.value.problems[0].message
    session.expire_all()
    assert session.exec(select(Agency).where(Agency.code == "SNGV")).one().abbreviation == "SNgV"
    assert session.exec(select(Agency).where(Agency.code == "STP")).first() is None


def test_the_history_says_the_abbreviation_changed(session, tmp_path):
    from models.history_text import describe
    from models.tables import HistoryEntry

    header = ["code", "name", "kind", "abbreviation"]
    import_agencies(
        session=session,
        path=write_csv(tmp_path / "a.csv", header, [["SNGV", "Sở Ngoại vụ", "so", "SNGV"]]),
    )
    import_agencies(
        session=session,
        path=write_csv(tmp_path / "b.csv", header, [["SNGV", "Sở Ngoại vụ", "so", "SNgV"]]),
    )
    last = session.exec(select(HistoryEntry).where(HistoryEntry.action == "updated")).one()
    assert [str(c) for c in describe(last).changes] == ["Ký hiệu viết tắt: SNGV → SNgV"]


def test_the_api_reads_and_writes_the_abbreviation(client, tokens):
    from tests.web_support import bearer

    admin = bearer(tokens["admin"])
    changed = client.patch("/api/v1/agencies/SNGV", json={"abbreviation": "SNgV"}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/agencies/SNGV", headers=admin).json()["abbreviation"] == "SNgV"
    refused = client.patch("/api/v1/agencies/SNGV", json={"abbreviation": "S/NgV"}, headers=admin)
    assert refused.status_code == 422 and "abbreviation" in refused.text
    assert client.get("/api/v1/agencies/SNGV", headers=admin).json()["abbreviation"] == "SNgV"
