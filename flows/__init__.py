"""Prefect flows: thin entry points that resolve the clock, open a session and call the rules."""

from __future__ import annotations

import os

# A provincial service has no business phoning home, and this network has no route out: the
# temporary Prefect API would log a failed telemetry call on every start.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
