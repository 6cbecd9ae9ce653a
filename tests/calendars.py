"""Calendars for the tests that run on the real clock (the scheduler and `isocycle serve`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from config.settings import DEFAULT_CALENDAR


def working_today(tmp_path: Path) -> Path:
    """The default calendar with today (and the days either side) made working days, so the
    scheduled passes, which skip days off, run whatever day the suite runs on (a Saturday in
    Hà Nội is still Friday in UTC until 17:00)."""
    today = datetime.now().date()
    days = ", ".join(f'"{date.fromordinal(today.toordinal() + n)}"' for n in (-1, 0, 1))
    text = DEFAULT_CALENDAR.read_text(encoding="utf-8")
    # Fail here, not in a test that waits for a pass, if the default calendar changes shape.
    assert "extra_working_days = []" in text, DEFAULT_CALENDAR
    path = tmp_path / "calendar.toml"
    path.write_text(
        text.replace("extra_working_days = []", f"extra_working_days = [{days}]"), "utf-8"
    )
    return path
