"""Import every table module so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

import models.instance  # noqa: F401  (facts about the database: the demo's mark)
import models.iso  # noqa: F401  (issue 4: audits, findings, actions, reviews, objectives, events)
import models.iso.report_drafts  # noqa: F401  (issue 12: what a person writes in a report)
import models.iso.reporting  # noqa: F401  (issue 11: report requests, reports and receipts)
import models.jobs  # noqa: F401  (scheduled job runs, for /healthz)
import models.lease  # noqa: F401  (one scheduler per database)
import models.lineage  # noqa: F401  (issue 11: predecessor and successor agencies)
import models.logins  # noqa: F401  (login attempts, for the throttle)
import models.reminders  # noqa: F401  (issue 3: the reminder ledger and the outbox)
import models.users  # noqa: F401  (issue 5: accounts and API tokens)
from models import tables

__all__ = ["tables"]
