"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from models import iso, tables

__all__ = ["iso", "tables"]
