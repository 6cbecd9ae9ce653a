"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from models import (
    reminders,  # noqa: F401
    tables,
)

__all__ = ["tables"]
