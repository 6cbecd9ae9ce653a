"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

import models.users  # noqa: F401
from models import tables

__all__ = ["tables"]
