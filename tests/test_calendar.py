"""The yearly calendar: deadlines move off weekends and holidays, overrides merge field by field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models.calendar import CalendarError, WorkingCalendar, load_rule_set


def test_it_moves_quality_objectives_2026_past_tet(rules):
    # 15/02/2026 is a Sunday and Tết runs 16–20/02, then a weekend: due Monday 23/02.
    nominal, due = rules.due_dates(rules.by_key["quality_objectives"], 2026)
    assert nominal == date(2026, 2, 15)
    assert due == date(2026, 2, 23)


def test_it_moves_annual_report_2027_off_saturday(rules):
    nominal, due = rules.due_dates(rules.by_key["annual_report"], 2027)
    assert (nominal, due) == (date(2027, 11, 20), date(2027, 11, 22))


@pytest.mark.parametrize(
    ("nominal", "effective"),
    [
        (date(2026, 10, 15), date(2026, 10, 15)),  # a Thursday: unchanged
        (date(2026, 1, 31), date(2026, 2, 2)),  # Saturday → Monday
        (date(2028, 12, 31), date(2029, 1, 2)),  # Sunday, then New Year's Day → 2/1 across years
        (date(2026, 9, 1), date(2026, 9, 3)),  # National Day holidays 1–2/9
        (date(2024, 2, 29), date(2024, 2, 29)),  # leap day, a Thursday
    ],
)
def test_it_counts_deadlines_to_the_next_working_day(nominal, effective):
    assert WorkingCalendar().on_or_after(nominal) == effective


def test_it_lets_a_province_declare_extra_days_off_and_make_up_days():
    cal = WorkingCalendar(
        extra_holidays=frozenset({date(2026, 10, 15)}),
        extra_working_days=frozenset({date(2026, 10, 17)}),
    )
    assert cal.on_or_after(date(2026, 10, 15)) == date(2026, 10, 16)
    assert cal.is_working_day(date(2026, 10, 17))  # a Saturday worked in exchange


def test_it_adds_working_days_over_tet():
    # Friday 13/02/2026 + 1 working day skips the weekend and Tết (16–20/02).
    assert WorkingCalendar().add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert WorkingCalendar().working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


def test_it_applies_an_override_only_to_the_fields_it_names(tmp_path: Path):
    override = tmp_path / "my.toml"
    override.write_text(
        'version = "HT-2027"\n[steps.annual_report]\ndeadline = "15/11"\n'
        "[steps.six_month_report]\nenabled = false\n",
        encoding="utf-8",
    )
    rules = load_rule_set(overrides=[override])
    assert rules.version == "HT-2027"
    assert rules.by_key["annual_report"].nominal_due(2027) == date(2027, 11, 15)
    assert rules.by_key["annual_report"].title == "Báo cáo năm gửi Sở KH&CN"
    assert "six_month_report" not in rules.by_key
    assert rules.by_key["plan"].nominal_due(2027) == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[steps.plan]\ndeadline = "29/02"\n', "steps.plan.deadline"),
        ('[steps.plan]\ndeadline = "31/04"\n', "steps.plan.deadline"),
        ('[steps.plan]\ndeadline = "soon"\n', "steps.plan.deadline"),
        ('[steps.plan]\nkinds = ["bogus"]\n', "steps.plan.kinds"),
        ('[steps.new_step]\ndeadline = "01/03"\n', "steps.new_step.title"),
        ("[steps.plan\n", "not valid TOML"),
        ('[steps.plan]\nearliest_done = "10-01"\n', "steps.plan.earliest_done"),
        ('[steps.plan]\nearliest_done = "-02-29"\n', "steps.plan.earliest_done"),
        ('[steps.plan]\nearliest_done = "01/10"\n', "steps.plan.earliest_done"),
        ("[steps.plan]\nearliest_done = 1\n", "steps.plan.earliest_done"),
    ],
)
def test_it_refuses_a_bad_calendar_naming_the_field(tmp_path: Path, body: str, message: str):
    override = tmp_path / "bad.toml"
    override.write_text(body, encoding="utf-8")
    with pytest.raises(CalendarError, match=message.replace(".", r"\.")):
        load_rule_set(overrides=[override])


def test_plan_objectives_and_steering_committee_count_from_the_autumn_before(rules):
    earliest = {key: rule.earliest_done(2027) for key, rule in rules.by_key.items()}
    autumn = {"plan", "steering_committee", "quality_objectives"}
    assert {k: d for k, d in earliest.items() if k in autumn} == dict.fromkeys(
        autumn, date(2026, 10, 1)
    )
    assert {d for k, d in earliest.items() if k not in autumn} == {date(2027, 1, 1)}
