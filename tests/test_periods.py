"""Reporting periods: the NĐ 09/2019 cut-off, calendar years, and the text a user types."""

from datetime import date

import pytest

from models import iso
from models.periods import (
    Period,
    PeriodError,
    PeriodRule,
    annual,
    parse_cutoff,
    parse_period,
    six_month,
)

CALENDAR = PeriodRule(1, 1)


def test_annual_and_six_month_follow_the_nd09_cut_off():
    assert annual(2021) == Period(date(2020, 12, 15), date(2021, 12, 14))
    assert six_month(2021) == Period(date(2020, 12, 15), date(2021, 6, 14))


def test_calendar_years_cross_31_12_to_1_1_and_know_leap_years():
    assert annual(2024, CALENDAR) == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert six_month(2024, CALENDAR) == Period(date(2024, 1, 1), date(2024, 6, 30))
    p = annual(2025, CALENDAR)
    assert p.contains(date(2025, 12, 31)) and not p.contains(date(2026, 1, 1))
    # A cut-off at the end of February cannot be 29/2, so it is refused up front.
    with pytest.raises(PeriodError, match="29/2"):
        parse_cutoff("29/2")
    assert annual(2024, PeriodRule(2, 28)) == Period(date(2023, 2, 28), date(2024, 2, 27))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021", annual(2021)),
        ("6t/2021", six_month(2021)),
        ("2021-6T", six_month(2021)),
        ("6 tháng 2021", six_month(2021)),
        ("15/12/2020-14/12/2021", annual(2021)),
        ("1/1/2020 đến 11/11/2020", Period(date(2020, 1, 1), date(2020, 11, 11))),
        ("2020-12-15..2021-12-14", annual(2021)),
    ],
)
def test_parse_period_reads_what_letters_write(text, expected):
    assert parse_period(text) == expected
    assert parse_period(expected.key) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "Chưa nhập"),
        ("năm ngoái", "Không đọc được"),
        ("31/2/2021-1/3/2021", "không có thật"),
        ("14/12/2021-15/12/2020", "trước ngày bắt đầu"),
        ("1/1/1800-1/1/1801", "1900"),
        ("3000", "2100"),
    ],
)
def test_bad_periods_are_refused_in_vietnamese(text, words):
    with pytest.raises(PeriodError, match=words):
        parse_period(text)


def test_label_is_written_the_vietnamese_way():
    assert six_month(2021).label == "từ 15/12/2020 đến 14/6/2021"


def test_rules_file_sets_the_cut_off(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[reporting_periods]\ncutoff = "1/1"\n')
    assert iso.load_iso_rules(path).periods == CALENDAR
    assert iso.load_iso_rules().periods == PeriodRule(12, 15)
    path.write_text('[reporting_periods]\ncutoff = "32/12"\n')
    with pytest.raises(iso.IsoError, match="reporting_periods.cutoff"):
        iso.load_iso_rules(path)
