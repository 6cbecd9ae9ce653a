"""The command line as a user meets it: the demo, the database setting, calendar overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app


def test_the_demo_loads_ha_tinh_and_shows_overdue_steps(cli):
    result = cli("demo", "--today", "2026-11-24")
    assert result.exit_code == 0, result.stdout
    assert "Các bước quá hạn năm 2026" in result.stdout
    assert "quá hạn" in result.stdout
    status = json.loads(cli("status", "2026", "--today", "2026-11-24", "--json").stdout)
    codes = {row["agency"] for row in status}
    assert {"SKHCN", "SNGV", "TTDVDN", "SCT"} <= codes
    assert sum(code.startswith("UB") for code in codes) == 69  # today's communes of Hà Tĩnh
    assert "XTHUANLOC" not in codes  # closed on 30/6/2025: no 2026 steps
    statuses = {row["status"] for row in status}
    assert {"done", "overdue", "pending"} <= statuses
    late = [r for r in status if r["status"] == "done" and r["days_late"] > 0]
    on_time = [r for r in status if r["status"] == "done" and r["days_late"] == 0]
    assert late and on_time
    # History is kept: Thuận Lộc still has its 2025 steps from before the merger.
    old = json.loads(cli("status", "2025", "--agency", "XTHUANLOC", "--json").stdout)
    # No steering_committee: its committee (125/QĐ-UBND of 04/8/2020, seed 003) is on record.
    assert {r["step"] for r in old} == {
        "plan",
        "quality_objectives",
        "six_month_report",
    }


def test_the_demo_can_run_twice(cli):
    assert cli("demo", "--today", "2026-11-24").exit_code == 0
    assert cli("demo", "--today", "2026-11-24").exit_code == 0


def test_the_demo_records_audits_actions_and_objectives_once(session, rules):
    from datetime import date

    from models import iso
    from models.demo import load_demo

    first = load_demo(session=session, rules=rules, today=date(2026, 11, 24))
    # Two communes founded 1/7/2025: their first objectives are this year's.
    assert (first["audits"], first["objectives"]) == (8, 18)
    assert first["actions"] >= 8
    again = load_demo(session=session, rules=rules, today=date(2026, 11, 24))
    assert (again["audits"], again["actions"], again["objectives"]) == (0, 0, 0)
    last_year = iso.audit_summary(session=session, agency_code="SNGV", year=2025)
    assert len(last_year["audits"]) == 1 and last_year["counts"]["minor"] >= 1
    # Last year is closed: every action verified, objectives reviewed, review recorded.
    actions = iso.list_actions(
        session=session, agency_code="SCT", year=2025, today=date(2026, 11, 24)
    )
    assert actions and {a["status"] for a in actions} == {"closed"}
    assert all(
        o["achieved"] is not None
        for o in iso.list_objectives(session=session, agency_code="SCT", year=2025)
    )
    assert iso.get_review(session=session, agency_code="SNGV", year=2025).held_on.year == 2025
    # This year's objectives have no final value yet (due 10/12).
    now = iso.list_objectives(session=session, agency_code="SNGV", year=2026)
    assert now and all(o["final_value"] is None for o in now)


def test_the_demo_loads_early_in_the_year(session, rules):
    from datetime import date

    from models.demo import load_demo

    counts = load_demo(session=session, rules=rules, today=date(2027, 1, 5))
    # 2026 is complete; 2027 has nothing dated yet.
    assert (counts["audits"], counts["objectives"]) == (4, 12)
    assert load_demo(session=session, rules=rules, today=date(2027, 1, 5))["audits"] == 0


def test_cycle_open_takes_a_calendar_override_and_reports_changes(cli, province, tmp_path: Path):
    assert "54 steps created" in cli("cycle", "open", "2027").stdout
    override = tmp_path / "my.toml"
    override.write_text('[steps.annual_report]\ndeadline = "13/11"\n', encoding="utf-8")
    result = cli("cycle", "open", "2027", "--calendar", str(override))
    assert result.exit_code == 0
    assert "0 steps created, 6 updated" in result.stdout
    assert (
        "SNGV annual_report: 2027-11-22 -> 2027-11-15" in result.stdout
    )  # 13/11/2027 is a Saturday
    bad = tmp_path / "bad.toml"
    bad.write_text('[steps.plan]\ndeadline = "30/02"\n', encoding="utf-8")
    result = cli("cycle", "open", "2027", "--calendar", str(bad))
    assert result.exit_code == 1 and "steps.plan.deadline" in result.stderr


def test_marking_done_twice_says_nothing_changed(cli, opened_2026):
    args = [
        "done",
        "SNGV",
        "2026",
        "plan",
        "--on",
        "19/01/2026",
        "--ref",
        "46/KH-SNgV",
        "--today",
        "2026-11-24",
    ]
    assert "recorded as done" in cli(*args).stdout
    assert "nothing changed" in cli(*args).stdout


def test_the_database_url_comes_from_the_environment(tmp_path: Path, monkeypatch):
    from config.settings import get_settings

    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("ISOCYCLE_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["init"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0
    assert (tmp_path / "from-env.db").exists()


def test_the_installed_command_runs(tmp_path: Path):
    """The console script itself (not just the Python function) works end to end."""
    exe = Path(sys.executable).with_name("isocycle")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run([exe, "--db", db, "init"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [exe, "--db", db, "agencies", "list", "--json"], capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_an_impossible_year_is_refused_by_name(cli):
    for args in (
        ["status", "99999999999999999999"],
        ["done", "SNGV", "1999", "plan", "--on", "2026-01-19", "--ref", "X"],
        ["history", "SNGV", "3000"],
        ["audit", "show", "SNGV", "1500"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "Invalid value for 'year'" in result.stderr, (args, result.stderr)


def test_a_province_override_survives_later_openings(cli, province, session, tmp_path: Path):
    """The 2 January job and a plain `cycle open` reuse the calendar the year was opened with."""
    from models.calendar import load_rule_set
    from models.cycles import find_step, open_cycle, rules_for_year

    override = tmp_path / "hatinh-2027.toml"
    override.write_text('[steps.annual_report]\ndeadline = "30/11"\n', encoding="utf-8")
    assert cli("cycle", "open", "2027", "--calendar", str(override)).exit_code == 0
    again = cli("cycle", "open", "2027")
    assert "0 steps created, 0 updated" in again.stdout
    assert "+hatinh-2027" in again.stdout  # the version names the override
    # What the scheduled open-cycle flow does (flows/reminders.py), without Prefect:
    rules = rules_for_year(session=session, year=2027, default=load_rule_set())
    assert open_cycle(session=session, year=2027, rules=rules).updated == 0
    session.expire_all()
    assert find_step(
        session=session, agency_code="SNGV", year=2027, key="annual_report"
    ).due == date(2027, 11, 30)
    # A new year starts from the default again.
    assert (
        rules_for_year(session=session, year=2028, default=load_rule_set())
        .by_key["annual_report"]
        .day
        == 20
    )
