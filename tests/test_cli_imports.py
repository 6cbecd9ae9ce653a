"""A fast CLI: the help and the command tree load no heavy library; the schema check needs none."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from cli.main import app
from models.db import HEAD, alembic_config

# Each costs from tens to hundreds of milliseconds to import; only the commands that use them may.
HEAVY = {
    "prefect",
    "fastapi",
    "starlette",
    "uvicorn",
    "openpyxl",
    "alembic",
    "argon2",
    "jinja2",
    "icalendar",
    "aiosmtpd",
    "apscheduler",
    "yagmail",
    "rich",
}
# What the database commands need but `--help` does not.
DATABASE = {"sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "holidays"}

PROBE = """
import json, sys
from cli.main import app
imported = {m.split(".")[0] for m in sys.modules}
try:
    app(["--help"], prog_name="isocycle")
except SystemExit:
    pass
after_help = {m.split(".")[0] for m in sys.modules}
sys.stdout.write("\\n" + json.dumps({"import": sorted(imported), "help": sorted(after_help)}))
"""


def _modules_loaded() -> dict[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return {k: set(v) for k, v in found.items()}


def test_the_cli_and_its_help_import_no_heavy_library() -> None:
    loaded = _modules_loaded()
    assert loaded["import"] & HEAVY == set()
    assert loaded["help"] & HEAVY == set()
    assert loaded["help"] & DATABASE == set()  # --help lists every command without a database


def test_the_head_revision_constant_is_alembics_head(engine) -> None:
    assert HEAD == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_the_role_list_in_the_help_is_the_models(engine) -> None:
    from cli.web import ROLE_NAMES
    from models.users import ROLES

    assert ROLE_NAMES == ROLES


def test_commands_refuse_a_database_one_migration_behind(engine, database_url) -> None:
    set_version = sa.text("UPDATE alembic_version SET version_num = :v")
    with engine.begin() as conn:
        conn.execute(set_version, {"v": "0005"})
    try:
        result = CliRunner().invoke(app, ["--db", database_url, "status", "2026"])
    finally:  # on PostgreSQL the next tests share this database
        with engine.begin() as conn:
            conn.execute(set_version, {"v": HEAD})
    assert result.exit_code == 1
    assert f"ở lược đồ bản 0005, cũ hơn bản {HEAD}" in result.stderr
    assert "`isocycle init`" in result.stderr


def test_commands_run_on_a_database_at_the_head(database_url) -> None:
    result = CliRunner().invoke(app, ["--db", database_url, "status", "2026"])
    assert result.exit_code == 0, result.stderr
