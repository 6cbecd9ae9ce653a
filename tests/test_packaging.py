"""The package's own metadata: built by a setuptools that reads it without deprecation warnings."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_the_license_is_an_spdx_expression():
    # A `project.license` table stops working in setuptools releases after 2027-02-18.
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    # setuptools reads an SPDX string from 77 on and refuses it before.
    [setuptools] = [r for r in data["build-system"]["requires"] if r.startswith("setuptools")]
    found = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools)
    assert found and int(found.group(1)) >= 77, setuptools


def test_the_installed_metadata_carries_the_license_expression():
    # As `make` built it from pyproject.toml (the venv is rebuilt when that file changes).
    assert metadata("isocycle")["License-Expression"] == "MIT"
