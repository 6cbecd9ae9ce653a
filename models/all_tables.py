"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

import models.iso  # noqa: F401  (issue 4: audits, findings, actions, reviews, objectives, events)
import models.users  # noqa: F401
from models import tables

__all__ = ["tables"]
