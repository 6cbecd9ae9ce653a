"""Report requests, reports and receipts: the report step is completed by the recipient's receipt."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from models import cycles
from models.cycles import find_step, open_cycle
from models.iso import IsoError, ReportFileIn, reporting
from models.periods import Period, annual
from models.tables import HistoryEntry, Step


def docx_bytes(text: str = "Báo cáo") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return buf.getvalue()


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def step(session, code: str, year: int, key: str) -> Step:
    session.expire_all()
    return find_step(session=session, agency_code=code, year=year, key=key)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def opened_2021(province, session, rules) -> None:
    open_cycle(session=session, year=2021, rules=rules)


def request_2021(session, rules, *, due=date(2021, 11, 20), kind="annual_report", **kw):
    """A letter like 1550/SKHCN-TĐC, a year later: every sở asked, deadline 20/11/2021."""
    return reporting.create_request(
        session=session,
        unit_code="SKHCN",
        letter_number=kw.pop("letter_number", "1753/SKHCN-TĐC"),
        letter_date=kw.pop("letter_date", date(2021, 11, 9)),
        kind=kind,
        period=kw.pop("period", annual(2021)),
        recipient_kinds=kw.pop("recipient_kinds", ["so"]),
        due=due,
        outline="Đề cương 2021",
        actor="skhcn",
        today=kw.pop("today", date(2021, 11, 10)),
        working=rules.working,
        **kw,
    )


def submit(session, code="SNGV", *, year=2021, key="annual_report", file=None, **kw):
    return reporting.submit_report(
        session=session,
        agency_code=code,
        year=year,
        step_key=key,
        number=kw.pop("number", "177/BC-SNgV"),
        report_date=kw.pop("report_date", date(2021, 11, 17)),
        actor=f"thuky.{code.lower()}",
        today=kw.pop("today", date(2021, 11, 17)),
        file=file or ReportFileIn("Báo cáo ISO 2021.docx", docx_bytes()),
        **kw,
    )


def receive(session, code="SNGV", *, on=date(2021, 11, 22), year=2021, key="annual_report"):
    return reporting.record_receipt(
        session=session,
        agency_code=code,
        year=year,
        step_key=key,
        received_on=on,
        actor="skhcn",
        today=max(on, date(2021, 11, 30)),
    )


def test_it_refuses_the_sender_completing_a_report_step(session, opened_2021) -> None:
    target = step(session, "SNGV", 2021, "annual_report")
    with pytest.raises(cycles.StepError, match="đơn vị nhận ghi nhận đã nhận được"):
        cycles.mark_done(
            session=session,
            step=target,
            done_on=date(2021, 11, 17),
            ref="177/BC-SNgV",
            note=None,
            actor="thuky.sngv",
            today=date(2021, 11, 17),
        )
    six = step(session, "SNGV", 2021, "six_month_report")
    with pytest.raises(cycles.StepError, match="không thể tự đánh dấu hoàn thành"):
        cycles.mark_done(
            session=session, step=six, done_on=date(2021, 6, 15), ref="78/BC-SNgV", note=None,
            actor="thuky.sngv", today=date(2021, 6, 15),
        )  # fmt: skip
    assert step(session, "SNGV", 2021, "annual_report").state == "open"
    assert step(session, "SNGV", 2021, "six_month_report").state == "open"


def test_it_sets_the_deadline_from_the_letter_moved_to_a_working_day(
    session, rules, opened_2021
) -> None:
    request = request_2021(session, rules)
    # 20/11/2021 is a Saturday: the deadline is Monday 22/11/2021.
    assert (request.nominal_due, request.due) == (date(2021, 11, 20), date(2021, 11, 22))
    out = reporting.request_out(session, request)
    assert out["agencies"] == ["SCT", "SNGV"]  # every sở but the one asking
    assert out["period_label"] == "từ 15/12/2020 đến 14/12/2021"
    target = step(session, "SNGV", 2021, "annual_report")
    assert target.due == date(2021, 11, 22)
    assert target.title == "Báo cáo năm gửi Sở Khoa học và Công nghệ"


def test_it_completes_the_step_on_receipt_and_counts_on_time_by_receipt_date(
    session, rules, opened_2021
) -> None:
    request_2021(session, rules)
    submit(session)
    assert step(session, "SNGV", 2021, "annual_report").state == "open"  # sent, not yet received
    receive(session, on=date(2021, 11, 22))  # the deadline day itself (moved from Saturday)
    done = step(session, "SNGV", 2021, "annual_report")
    assert (done.state, done.done_on, done.ref) == ("done", date(2021, 11, 22), "177/BC-SNgV")
    submit(
        session, "SCT", number="/BC-SCT", report_date=date(2021, 11, 22), today=date(2021, 11, 22)
    )
    receive(session, "SCT", on=date(2021, 11, 23))  # one day after the moved deadline
    rows = {
        r["agency"]: r
        for r in reporting.report_rows(
            session=session, today=date(2021, 12, 1), year=2021, step_key="annual_report"
        )
    }
    assert (rows["SNGV"]["on_time"], rows["SNGV"]["late"]) == (True, False)
    assert (rows["SCT"]["on_time"], rows["SCT"]["late"]) == (False, True)
    assert rows["SNGV"]["status_label"] == "Đã tiếp nhận"


def test_a_returned_report_reopens_the_step_and_is_sent_again(session, rules, opened_2021) -> None:
    request_2021(session, rules)
    submit(session)
    receive(session, on=date(2021, 11, 18))
    reporting.return_report(
        session=session,
        agency_code="SNGV",
        year=2021,
        step_key="annual_report",
        comment="Thiếu Phụ lục IIA",
        actor="skhcn",
    )
    reopened = step(session, "SNGV", 2021, "annual_report")
    assert (reopened.state, reopened.done_on) == ("open", None)
    # Open and past its deadline: the reminder engine reminds it again.
    assert cycles.step_status(reopened.state, reopened.due, date(2021, 11, 25)) == "overdue"
    with pytest.raises(IsoError, match="chỉ tiếp nhận báo cáo vừa gửi"):
        receive(session, on=date(2021, 11, 24))
    submit(session, today=date(2021, 11, 24), file=ReportFileIn("bao-cao.pdf", PDF))
    receive(session, on=date(2021, 11, 24))
    again = step(session, "SNGV", 2021, "annual_report")
    assert (again.state, again.done_on) == ("done", date(2021, 11, 24))
    row = reporting.report_rows(
        session=session, today=date(2021, 12, 1), year=2021, step_key="annual_report"
    )
    sngv = next(r for r in row if r["agency"] == "SNGV")
    assert (sngv["on_time"], sngv["file_name"]) == (False, "bao-cao.pdf")
    actions = (
        session.execute(
            select(HistoryEntry.action)
            .where(HistoryEntry.entity == "report")
            .order_by(HistoryEntry.at)
        )
        .scalars()
        .all()
    )
    assert actions == ["submitted", "received", "returned", "resubmitted", "received"]
    reporting.accept_report(
        session=session, agency_code="SNGV", year=2021, step_key="annual_report", actor="skhcn"
    )
    assert (
        reporting.get_report(
            session=session, agency_code="SNGV", year=2021, step_key="annual_report"
        ).status
        == "accepted"
    )


def test_an_ad_hoc_letter_makes_its_own_step_with_a_tet_deadline(session, rules, province) -> None:
    # Due Tuesday 1/2/2022, the first day of Tết Nhâm Dần: the deadline is Monday 7/2/2022.
    request = request_2021(
        session,
        rules,
        kind="ad_hoc_report",
        letter_number="95/SKHCN-TĐC",
        letter_date=date(2022, 1, 20),
        period=Period(date(2021, 1, 1), date(2022, 1, 20)),
        due=date(2022, 2, 1),
        today=date(2022, 1, 20),
    )
    assert request.due == date(2022, 2, 7)
    target = step(session, "SCT", 2022, "report:95/SKHCN-TĐC")
    assert (target.step_type, target.due) == ("ad_hoc_report", date(2022, 2, 7))
    submit(
        session,
        "SCT",
        year=2022,
        key="report:95/SKHCN-TĐC",
        report_date=date(2022, 2, 7),
        today=date(2022, 2, 7),
    )
    receive(session, "SCT", year=2022, key="report:95/SKHCN-TĐC", on=date(2022, 2, 7))
    assert step(session, "SCT", 2022, "report:95/SKHCN-TĐC").state == "done"
    rows = reporting.report_rows(session=session, today=date(2022, 3, 1), request=request)
    assert [(r["agency"], r["on_time"]) for r in rows] == [("SCT", True), ("SNGV", None)]
    assert [r["late"] for r in rows] == [False, True]


def test_a_deadline_on_31_12_moves_into_the_next_year(session, rules, province) -> None:
    # 31/12/2022 is a Saturday and 2/1/2023 the New Year day off: the deadline is 3/1/2023,
    # and a receipt on 3/1/2023 is on time for the 2022 step; 31/12/2021 (a Friday) stays.
    late_year = request_2021(
        session, rules, kind="ad_hoc_report", letter_number="10/SKHCN", due=date(2022, 12, 31),
        letter_date=date(2022, 12, 1), period=Period(date(2022, 1, 1), date(2022, 12, 1)),
        today=date(2022, 12, 1),
    )  # fmt: skip
    assert (late_year.year, late_year.due) == (2022, date(2023, 1, 3))
    friday = request_2021(
        session, rules, kind="ad_hoc_report", letter_number="11/SKHCN", due=date(2021, 12, 31),
        letter_date=date(2021, 12, 1), period=Period(date(2021, 1, 1), date(2021, 12, 1)),
        today=date(2021, 12, 1),
    )  # fmt: skip
    assert friday.due == date(2021, 12, 31)
    for code, key, year, on in [
        ("SNGV", "report:10/SKHCN", 2022, date(2023, 1, 3)),
        ("SNGV", "report:11/SKHCN", 2021, date(2022, 1, 1)),
        ("SCT", "report:11/SKHCN", 2021, date(2021, 12, 31)),
    ]:
        submit(session, code, year=year, key=key, report_date=date(2021, 12, 20), today=on)
        reporting.record_receipt(
            session=session, agency_code=code, year=year, step_key=key, received_on=on,
            actor="skhcn", today=on,
        )  # fmt: skip
    rows = {
        (r["agency"], r["step"]): r["on_time"]
        for r in reporting.report_rows(session=session, today=date(2023, 2, 1))
        if r["step"].startswith("report:")
    }
    assert rows[("SNGV", "report:10/SKHCN")] is True
    assert rows[("SNGV", "report:11/SKHCN")] is False
    assert rows[("SCT", "report:11/SKHCN")] is True


def test_a_commune_reports_to_its_district(session, rules, tmp_path) -> None:
    from models.agencies import upsert_agencies

    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "parent_code"],
        data=[
            ["HATINH", "UBND tỉnh Hà Tĩnh", "ubnd_tinh", ""],
            ["TXHL", "UBND thị xã Hồng Lĩnh", "ubnd_huyen", "HATINH"],
            ["XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "TXHL"],
        ],
    )
    open_cycle(session=session, year=2022, rules=rules)
    reporting.create_request(
        session=session, unit_code="TXHL", letter_number="1671/UBND-KT",
        letter_date=date(2022, 10, 21), kind="annual_report", period=annual(2022),
        agency_codes=["XTHUANLOC"], actor="txhl", today=date(2022, 10, 21),
        working=rules.working,
    )  # fmt: skip
    report = submit(
        session, "XTHUANLOC", year=2022, number=None, report_date=None, today=date(2022, 11, 1),
        addressed_to="BCĐ ISO thị xã; Phòng Kinh tế",
    )  # fmt: skip
    assert step(session, "XTHUANLOC", 2022, "annual_report").title == (
        "Báo cáo năm gửi UBND thị xã Hồng Lĩnh"
    )
    request = reporting.get_request(session=session, unit_code="TXHL", letter_number="1671/UBND-KT")
    rows = reporting.report_rows(session=session, today=date(2022, 11, 1), request=request)
    assert [(r["agency"], r["recipient"], r["addressed_to"], r["number"]) for r in rows] == [
        ("XTHUANLOC", "TXHL", "BCĐ ISO thị xã; Phòng Kinh tế", None)
    ]
    assert report.request_id == request.id


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bao-cao.pdf", b"<html>not a pdf</html>", "không phải là tệp .pdf thật"),
        ("bao-cao.pdf", docx_bytes(), "là tệp .docx"),
        ("bao-cao.docx", b"PK\x03\x04garbage", "không phải là tệp .docx thật"),
        ("../../etc/passwd.pdf", PDF, "không được chứa đường dẫn"),
        ("bao\x00cao.pdf", PDF, "ký tự điều khiển"),
        ("bao-cao.exe", PDF, "chỉ nhận báo cáo dạng .pdf hoặc .docx"),
        ("bao-cao.pdf", b"", "rỗng"),
        ("bao-cao.pdf", PDF + b"x" * 2048, "quá giới hạn"),
    ],
)
def test_it_refuses_a_bad_file_and_writes_nothing(
    session, rules, opened_2021, name, data, message
) -> None:
    request_2021(session, rules)
    history_before = count(session, HistoryEntry)
    with pytest.raises(IsoError, match=message) as refused:
        submit(session, file=ReportFileIn(name, data), max_file_bytes=1024)
    assert refused.value.errors[0].field == "file"
    assert count(session, reporting.Report) == 0
    assert count(session, reporting.ReportFile) == 0
    assert count(session, HistoryEntry) == history_before


def test_it_stores_the_file_in_the_database(session, rules, opened_2021) -> None:
    request_2021(session, rules)
    report = submit(session, file=ReportFileIn("177-BC-SNgV.pdf", PDF))
    assert (report.content_type, report.file_size) == ("application/pdf", len(PDF))
    assert reporting.report_file(session=session, report=report) == PDF


def test_it_refuses_a_future_receipt_and_a_second_submission(session, rules, opened_2021) -> None:
    request_2021(session, rules)
    submit(session)
    with pytest.raises(IsoError, match="trong tương lai"):
        reporting.record_receipt(
            session=session, agency_code="SNGV", year=2021, step_key="annual_report",
            received_on=date(2021, 11, 20), actor="skhcn", today=date(2021, 11, 19),
        )  # fmt: skip
    with pytest.raises(IsoError, match="trước ngày báo cáo"):
        receive(session, on=date(2021, 11, 16))
    with pytest.raises(IsoError, match="chỉ gửi lại được khi đơn vị nhận trả lại"):
        submit(session)
    assert step(session, "SNGV", 2021, "annual_report").state == "open"


def test_a_returned_report_is_reminded_again(session, opened_2026, settings, rules, sink) -> None:
    from tests.test_reminders import run, smtp

    mail = smtp(settings, sink)
    request_2021(
        session, rules, letter_number="1550/SKHCN-TĐC", letter_date=date(2026, 11, 11),
        period=annual(2026), due=date(2026, 11, 20), today=date(2026, 11, 11),
    )  # fmt: skip
    submit(session, year=2026, report_date=date(2026, 11, 17), today=date(2026, 11, 17))
    receive(session, year=2026, on=date(2026, 11, 19))
    run(session, mail, rules, date(2026, 11, 23))  # the first working day after 20/11
    received = [m for m in sink.handler.to("thuky.sngv@hatinh.example") if "Báo cáo năm" in m.text]
    assert received == []  # done on receipt: not reminded
    reporting.return_report(
        session=session, agency_code="SNGV", year=2026, step_key="annual_report",
        comment="Thiếu Phụ lục IIA", actor="skhcn",
    )  # fmt: skip
    run(session, mail, rules, date(2026, 11, 26))  # overdue again, every 3 working days
    again = [m for m in sink.handler.to("thuky.sngv@hatinh.example") if "Báo cáo năm" in m.text]
    assert again and "quá hạn" in again[-1].text.lower()


def test_the_cli_sends_receives_and_returns_a_report(cli, opened_2026, tmp_path) -> None:
    import json

    asked = cli(
        "reports", "request", "SKHCN", "--number", "1550/SKHCN-TĐC", "--date", "11/11/2026",
        "--kind", "annual_report", "--period", "15/12/2025-11/11/2026", "--due", "21/11/2026",
        "--kinds", "so", "--today", "2026-11-11", "--json",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    # 21/11/2026 is a Saturday: the deadline is Monday 23/11/2026.
    assert json.loads(asked.stdout)["due"] == "2026-11-23"
    fake = tmp_path / "bao-cao.pdf"
    fake.write_bytes(b"<html>not a report</html>")
    refused = cli("reports", "submit", "SNGV", "2026", "--file", str(fake), "--today", "2026-11-20")
    assert refused.exit_code == 1
    assert "Nội dung tệp «bao-cao.pdf» không phải là tệp .pdf thật" in refused.output
    real = tmp_path / "177-BC-SNgV.pdf"
    real.write_bytes(PDF)
    sent = cli(
        "reports", "submit", "SNGV", "2026", "--file", str(real), "--number", "177/BC-SNgV",
        "--date", "17/11/2026", "--today", "2026-11-20", "--json",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["status"] == "submitted"
    done = cli(
        "done", "SNGV", "2026", "annual_report", "--ref", "177/BC-SNgV", "--on", "2026-11-20",
        "--today", "2026-11-20",
    )  # fmt: skip
    assert done.exit_code == 1 and "đơn vị nhận ghi nhận đã nhận được" in done.output
    got = cli("reports", "receive", "SNGV", "2026", "--on", "23/11/2026", "--today", "2026-11-24",
              "--by", "skhcn", "--json")  # fmt: skip
    row = json.loads(got.stdout)
    assert (row["received_on"], row["on_time"], row["step_state"]) == ("2026-11-23", True, "done")
    back = cli("reports", "return", "SNGV", "2026", "--comment", "Thiếu phụ lục", "--json")
    assert (json.loads(back.stdout)["status"], json.loads(back.stdout)["step_state"]) == (
        "returned",
        "open",
    )
