"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from models import (
    tables,
    users,  # noqa: F401
)

__all__ = ["tables"]
