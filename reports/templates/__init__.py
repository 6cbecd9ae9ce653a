"""The default Word templates (<name>.docx) and the modules that build them (<name>.py).

`python -m reports.templates` rebuilds every template listed in `TEMPLATES` from its module's
`build()`; the .docx files are committed, and they are what a province copies to make its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from reports.templates.build import save

# Each name is a module reports/templates/<name>.py with `build() -> docx.Document`.
TEMPLATES: list[str] = [
    "agency_report",
    # Sở KH&CN's documents (reports/province.py)
    "skhcn_request_letter",
    "skhcn_chasing_letter",
    "skhcn_summary",
    "phu_luc_ii",
]


def build_all(folder: Path | None = None) -> list[Path]:
    """Write every default template again; returns the files written."""
    written = []
    for name in TEMPLATES:
        module = importlib.import_module(f"reports.templates.{name}")
        doc = module.build()
        written.append(save(doc, name) if folder is None else save(doc, name, folder))
    return written
