"""The README's pictures of the documents: the first page of Sở Ngoại vụ's 2021 report and of
the demo province's summary, rendered by LibreOffice and pdftoppm as the user would print them.

`make screenshots` points ISOCYCLE_SCREENSHOTS at docs/screenshots to update the README's
pictures; a plain test run writes them to its temporary directory and leaves the tree alone.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from sqlmodel import Session

from models.calendar import RuleSet
from models.demo import load_demo
from models.iso.report_drafts import save_draft
from reports import agency_report as ar, province
from reports.document import pdf_text, to_pdf

TODAY = date(2026, 12, 1)


def _first_page_png(docx: bytes, target: Path) -> tuple[str, int]:
    pdf = to_pdf(docx)
    stem = target.with_suffix("")
    pdf_path = stem.with_suffix(".pdf")
    pdf_path.write_bytes(pdf)
    # One page at 80 dpi: readable in the README, small in the repository.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf_path, stem],
        check=True,
    )
    pdf_path.unlink()
    return pdf_text(pdf)


def test_readme_screenshots_of_the_documents(
    session: Session, rules: RuleSet, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("ISOCYCLE_SCREENSHOTS") or tmp_path)
    load_demo(session=session, rules=rules, today=TODAY)
    save_draft(
        session=session,
        agency_code="SNGV",
        year=2021,
        variant="annual",
        values={
            "advantages": "Chuẩn hoá quy trình, thủ tục hành chính về trình tự, thời gian, "
            "trách nhiệm thực hiện công việc trên lĩnh vực đối ngoại.",
            "signer": "Ngô Thị Hoài Nam",
            "sign_for": "KT. Giám đốc",
            "sign_title": "Phó Giám đốc",
        },
        actor="demo",
        today=TODAY,
    )
    report = ar.agency_report(
        session=session,
        agency_code="SNGV",
        year=2021,
        variant="annual",
        today=TODAY,
        score_cards=ar._score_cards(session, "SNGV", 2021, TODAY),
    ).data
    text, pages = _first_page_png(report, folder / "agency-report-first-page.png")
    assert "Số: 177/BC-SNgV" in " ".join(text.split()) and pages >= 6
    summary = province.province_summary_docx(
        session=session,
        unit_code="SKHCN",
        year=2026,
        today=TODAY,
        province="Hà Tĩnh",
        score_distribution=province.score_distribution_for(session, 2026, TODAY),
        number="12/BC-SKHCN",
        issued_on=TODAY,
    )
    text, pages = _first_page_png(summary, folder / "province-summary.png")
    assert "Hà Tĩnh, ngày 01 tháng 12 năm 2026" in " ".join(text.split()) and pages >= 3
    for name in ("agency-report-first-page.png", "province-summary.png"):
        picture = (folder / name).read_bytes()
        assert picture.startswith(b"\x89PNG") and len(picture) > 20_000
