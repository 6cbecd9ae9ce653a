"""The ISO commands end to end: files in, refusals on stderr, history shown as a table and JSON."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write_csv


@pytest.fixture
def cycle_2021(cli, province):
    assert cli("cycle", "open", "2021").exit_code == 0


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def test_it_records_an_audit_with_findings_from_a_csv_file(cli, cycle_2021, tmp_path):
    findings = write_csv(
        tmp_path / "findings.csv",
        ["Mức độ", "Điều khoản", "Đơn vị", "Mô tả"],
        [
            ["không phù hợp nhẹ", "8.5.1", "Phòng Quản lý thương mại", "Hồ sơ cấp phép trễ hạn"],
            ["lưu ý", "", "Văn phòng Sở", "Chưa cập nhật danh mục tài liệu"],
            ["Điểm lưu ý", "7.5", "Văn phòng Sở", "Biểu mẫu cũ còn sử dụng"],
        ],
    )
    result = ok(
        cli(
            "audit", "record", "SCT", "2021",
            "--start", "29/09/2021", "--end", "30/09/2021",
            "--ref", "CT ĐGNB 2021", "--team", "Trưởng đoàn: PGĐ Sở",
            "--scope", "Văn phòng Sở, Phòng Quản lý thương mại",
            "--findings", str(findings),
        )
    )  # fmt: skip
    assert "không phù hợp nặng: 0, không phù hợp nhẹ: 1, điểm lưu ý: 2" in result.stdout
    shown = json.loads(ok(cli("audit", "show", "SCT", "2021", "--json")).stdout)
    assert shown["counts"] == {"major": 0, "minor": 1, "observation": 2}
    assert shown["audits"][0]["scope_units"] == ["Văn phòng Sở", "Phòng Quản lý thương mại"]
    status = json.loads(ok(cli("status", "2021", "--agency", "SCT", "--json")).stdout)
    audit = next(r for r in status if r["step"] == "internal_audit")
    assert (audit["status"], audit["done_on"]) == ("done", "2021-09-30")


def test_it_refuses_a_findings_file_row_without_severity(cli, cycle_2021, tmp_path):
    findings = write_csv(
        tmp_path / "findings.csv",
        ["severity", "unit", "description"],
        [["observation", "Văn phòng", "Hồ sơ"], ["", "Phòng Lãnh sự", "Biểu mẫu cũ"]],
    )
    result = cli(
        "audit", "record", "SNGV", "2021", "--start", "2021-09-29",
        "--ref", "CT ĐGNB", "--findings", str(findings),
    )  # fmt: skip
    assert result.exit_code == 1
    # The row is named as in the file: its line and the column title the file used.
    assert "dòng 3: chưa chọn cột «severity»; chọn một trong: không phù hợp nặng" in result.stderr
    assert ok(cli("audit", "show", "SNGV", "2021", "--json")).stdout.count('"number"') == 0


def test_it_runs_corrective_actions_from_the_command_line(cli, cycle_2021):
    ok(
        cli(
            "audit", "record", "SCT", "2021", "--start", "2021-09-30", "--ref", "CT ĐGNB",
        )
    )  # fmt: skip
    ok(
        cli(
            "audit", "finding", "SCT", "2021", "--severity", "minor",
            "--unit", "Văn phòng Sở", "--description", "Hồ sơ trễ hạn",
        )
    )  # fmt: skip
    added = ok(
        cli(
            "actions", "add", "SCT", "2021", "--finding", "1", "--owner", "Võ Văn Đức",
            "--email", "duc.sct@hatinh.example", "--description", "Giải quyết hồ sơ đúng hạn",
        )
    )  # fmt: skip
    assert "due 01/11/2021, effectiveness check due 01/12/2021" in added.stdout
    refused = cli(
        "actions", "verify", "SCT", "2021", "1", "--on", "2021-11-05", "--verifier", "Trưởng đoàn"
    )
    assert refused.exit_code == 1 and "Hành động khắc phục #1 chưa được thực hiện" in refused.stderr
    ok(cli("actions", "done", "SCT", "2021", "1", "--on", "2021-11-03", "--ref", "BC 12/BC-SCT"))
    ok(
        cli(
            "actions", "verify", "SCT", "2021", "1", "--on", "2021-11-05",
            "--verifier", "Trưởng đoàn",
        )
    )  # fmt: skip
    listed = json.loads(ok(cli("actions", "list", "SCT", "2021", "--json")).stdout)
    assert (listed[0]["status"], listed[0]["days_late"]) == ("closed", 2)
    status = json.loads(ok(cli("status", "2021", "--agency", "SCT", "--json")).stdout)
    by_step = {r["step"]: r for r in status}
    assert by_step["corrective_action:1"]["days_late"] == 2
    assert by_step["corrective_actions"]["status"] == "done"
    due_before = cli(
        "actions", "add", "SCT", "2021", "--finding", "1", "--owner", "X",
        "--description", "Y", "--due", "2021-09-01",
    )  # fmt: skip
    assert due_before.exit_code == 1
    assert "Hạn hoàn thành 01/09/2021 trước cuộc đánh giá" in due_before.stderr


def test_it_records_a_review_held_before_the_audit_with_a_warning(cli, cycle_2021):
    ok(cli("audit", "record", "SNGV", "2021", "--start", "2021-09-29", "--ref", "CT ĐGNB"))
    early = ok(cli("review", "record", "SNGV", "2021", "--on", "2021-05-03", "--minutes", "BB"))
    assert (
        "Cảnh báo: Cuộc họp xem xét ngày 03/05/2021 diễn ra trước đánh giá nội bộ" in early.stdout
    )
    accepted = ok(
        cli(
            "review", "record", "SNGV", "2021", "--on", "03/05/2021", "--minutes", "BB",
            "--override-reason", "Họp theo kế hoạch trước đợt đánh giá",
        )
    )  # fmt: skip
    assert '"observation": 0' in accepted.stdout
    shown = json.loads(ok(cli("review", "show", "SNGV", "2021")).stdout)
    assert shown["override_reason"] == "Họp theo kế hoạch trước đợt đánh giá"
    assert shown["number"] == 1 and "trước đánh giá nội bộ" in shown["warning"]


def test_it_imports_objectives_from_toml_and_json(cli, province, tmp_path):
    ok(cli("cycle", "open", "2022"))
    toml = tmp_path / "objectives.toml"
    toml.write_text(
        """
[[objectives]]
indicator = "Hồ sơ được giải quyết nhanh hơn quy định"
comparison = ">="
target = 95
unit = "%"
final_value = 95

[[objectives]]
indicator = "Khiếu nại, tố cáo"
comparison = "="
target = 0
unit = "vụ"
final_value = 0
""",
        encoding="utf-8",
    )
    ok(
        cli(
            "objectives", "decision", "UB18073", "2022", "--ref", "41/QĐ-UBND", "--on", "24/01/2022"
        )
    )
    ok(cli("objectives", "import", "UB18073", "2022", str(toml), "--results-on", "2022-12-15"))
    listed = json.loads(ok(cli("objectives", "list", "UB18073", "2022", "--json")).stdout)
    assert [r["achieved"] for r in listed] == [True, True]
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"indicator": "Tỷ lệ hài lòng", "comparison": ">=", "target": ""}]),
        encoding="utf-8",
    )
    refused = cli("objectives", "import", "UB18073", "2022", str(bad))
    assert refused.exit_code == 1 and "Bản ghi 1: chưa nhập cột «target»." in refused.stderr
    ok(cli("objectives", "results", "UB18073", "2022", "1", "--final", "90%"))
    table = ok(cli("objectives", "list", "UB18073", "2022")).stdout
    assert "không đạt" in table


def test_it_records_a_legal_change_for_every_agency_and_names_unknown_ones(cli, province):
    refused = cli(
        "events", "add", "legal_change", "--number", "512/QĐ-UBND",
        "--effective", "2026-03-14", "--agencies", "SNGV,SNOPE",
    )  # fmt: skip
    assert refused.exit_code == 1 and "Không có đơn vị mã «SNOPE»" in refused.stderr
    added = ok(
        cli(
            "events", "add", "legal_change", "--number", "512/QĐ-UBND",
            "--effective", "2026-03-14", "--all",
        )
    )  # fmt: skip
    assert "6 agencies get a step due 15/06/2026 (moved from 14/06/2026" in added.stdout
    events = json.loads(ok(cli("events", "list", "--json")).stdout)
    assert (events[0]["agencies"], events[0]["open_steps"]) == (6, 6)
    status = json.loads(ok(cli("status", "2026", "--today", "2026-06-16", "--json")).stdout)
    updates = [r for r in status if r["step"] == "procedure_update:512/QĐ-UBND"]
    assert len(updates) == 6 and {r["status"] for r in updates} == {"overdue"}


def test_it_shows_history_as_a_table_and_as_json(cli, cycle_2021):
    ok(
        cli(
            "audit",
            "record",
            "SNGV",
            "2021",
            "--start",
            "2021-09-29",
            "--ref",
            "CT ĐGNB",
            "--by",
            "Nguyễn Thị Hà",
        )
    )
    ok(
        cli(
            "review", "record", "SNGV", "2021", "--on", "2021-10-05", "--minutes", "BB 01",
            "--by", "Nguyễn Thị Hà",
        )
    )  # fmt: skip
    entries = json.loads(ok(cli("history", "SNGV", "2021", "--json")).stdout)
    actions = [(e["entity"], e["action"]) for e in entries]
    assert ("internal_audit", "recorded") in actions
    assert ("management_review", "recorded") in actions
    assert ("step", "done") in actions
    assert {e["actor"] for e in entries} == {"Nguyễn Thị Hà"}
    table = ok(cli("history", "SNGV")).stdout
    assert "Nguyễn Thị Hà ghi nhận cuộc họp xem xét của lãnh đạo năm 2021 ngày 05/10/2021" in table
    assert "management_review" not in table and "None" not in table
    unknown = cli("history", "SNOPE")
    assert unknown.exit_code == 1 and "Không có đơn vị mã «SNOPE»." in unknown.stderr
