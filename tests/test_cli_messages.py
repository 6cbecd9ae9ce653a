"""What the CLI tells people: the status table cut at words, the valid step keys on a wrong one,
and a warning wherever mail goes out with links to 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cli.main import shorten
from models.cycles import find_step
from models.tables import Step

CALENDAR_KEYS = [
    "plan",
    "steering_committee",
    "quality_objectives",
    "six_month_report",
    "internal_audit",
    "management_review",
    "corrective_actions",
    "annual_report",
    "objectives_review",
]
ISOCYCLE = Path(sys.executable).with_name("isocycle")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Sở Ngoại vụ", "Sở Ngoại vụ"),
        ("Ban hành kế hoạch duy trì, cải tiến HTQLCL năm", "Ban hành kế hoạch duy trì, cải tiến…"),
        ("Trung tâm Dịch thuật và Dịch vụ đối ngoại", "Trung tâm Dịch thuật và Dịch vụ đối…"),
        ("Kiện toàn Ban chỉ đạo ISO, thư ký ISO xã", "Kiện toàn Ban chỉ đạo ISO, thư ký ISO xã"),
        (
            "Văn phòng HĐND và UBND xã Thuận Lộc, tỉnh Hà Tĩnh",
            "Văn phòng HĐND và UBND xã Thuận Lộc…",
        ),
        ("x" * 45, "x" * 39 + "…"),  # one word longer than the column: cut inside it
    ],
)
def test_shorten_cuts_at_a_word_boundary(text, shown):
    assert shorten(text, 40) == shown
    assert len(shown) <= 40


def test_the_status_table_never_cuts_a_name_mid_word(cli, opened_2026):
    result = cli("status", "2026")
    assert result.exit_code == 0
    assert "Trung tâm Dịch thuật và Dịch vụ đối…" in result.stdout
    assert "Ban hành kế hoạch duy trì, cải tiến…" in result.stdout
    assert "đối ngoạ " not in result.stdout and "cải tiến HTQL " not in result.stdout


@pytest.mark.parametrize("command", ["done", "waive"])
def test_a_wrong_step_key_lists_the_keys_that_can_be_marked(cli, opened_2026, session, command):
    # A corrective action's step is recorded with `isocycle actions`, so it is not offered.
    plan = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    session.add(
        Step(
            agency_id=plan.agency_id,
            year=2026,
            key="corrective_action:1",
            step_type="corrective_action",
            title="Hành động khắc phục #1",
            nominal_due=date(2026, 11, 5),
            due=date(2026, 11, 5),
        )
    )
    session.commit()
    args = ["--on", "2026-01-19", "--ref", "1/X"] if command == "done" else ["--reason", "x"]
    result = cli(command, "SNGV", "2026", "plann", *args)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "unknown step 'plann' for SNGV in 2026" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == CALENDAR_KEYS
    assert lines[1].split(None, 1) == ["plan", "Ban hành kế hoạch duy trì, cải tiến HTQLCL năm"]
    assert "corrective_action:1" not in result.stderr


def _run(database_url: str, tmp_path: Path, *args: str, base_url: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("ISOCYCLE_BASE_URL", "PREFECT_API_URL")}
    if base_url:
        env["ISOCYCLE_BASE_URL"] = base_url
    env["ISOCYCLE_MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    return subprocess.run(
        [ISOCYCLE, "--db", database_url, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


# Every command that sends mail, and `serve` (here with nothing to run, so it returns at once).
MAILING = [
    ["serve", "--no-web", "--no-scheduler"],
    ["remind", "--now", "2026-11-24T07:30"],
    ["deliver", "--now", "2026-11-24T07:35"],
    ["digest", "--now", "2026-11-23T08:00"],
]


@pytest.mark.parametrize("args", MAILING, ids=[a[0] for a in MAILING])
def test_mail_commands_warn_when_links_point_at_this_machine(
    database_url, opened_2026, tmp_path, args
):
    unset = _run(database_url, tmp_path, *args)
    assert unset.returncode == 0, unset.stderr
    assert "Cảnh báo: ISOCYCLE_BASE_URL chưa đặt, dùng http://127.0.0.1:8000" in unset.stderr
    assert "Warning: ISOCYCLE_BASE_URL is not set" in unset.stderr
    local = _run(database_url, tmp_path, *args, base_url="http://localhost:8000")
    assert "Warning: ISOCYCLE_BASE_URL is http://localhost:8000" in local.stderr
    public = _run(database_url, tmp_path, *args, base_url="https://iso.hatinh.gov.vn")
    assert public.returncode == 0, public.stderr
    assert "ISOCYCLE_BASE_URL" not in public.stderr
