"""`isocycle report` commands for the province documents."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `report` group."""
