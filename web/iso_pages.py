"""Moved to the package web/iso (one module per record family); these names stay importable
from here so that code written against the old module keeps working. New code imports from
web.iso.<family>_pages or web.iso.pages_common."""

from __future__ import annotations

from web.iso import pages_router as router
from web.iso.audits_pages import ACTION_STATUS, FINDING_ROWS
from web.iso.objectives_pages import COMPARISON_LABELS, OBJECTIVE_ROWS
from web.iso.pages_common import FormError, _back, _clean, _date, _number, _write

__all__ = [
    "ACTION_STATUS",
    "COMPARISON_LABELS",
    "FINDING_ROWS",
    "OBJECTIVE_ROWS",
    "FormError",
    "_back",
    "_clean",
    "_date",
    "_number",
    "_write",
    "router",
]
