"""Fixtures: a fresh, migrated database per test on SQLite (always) or PostgreSQL (when asked).

`make test` runs the suite on SQLite; with ISOCYCLE_TEST_DATABASE_URL pointing at PostgreSQL it
runs it a second time with ISOCYCLE_TEST_BACKEND=postgres, and these fixtures switch over.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner, Result

import models.all_tables  # noqa: F401
from cli.main import app
from config.settings import Settings
from models.calendar import RuleSet, load_rule_set
from models.db import make_engine, migrate

BACKEND = os.environ.get("ISOCYCLE_TEST_BACKEND", "sqlite")
pytest_plugins = ["tests.smtp_sink", "tests.web_support", "tests.prefect_server"]


def _postgres_admin_url() -> str:
    url = os.environ.get("ISOCYCLE_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.exit(
            "ISOCYCLE_TEST_BACKEND=postgres needs ISOCYCLE_TEST_DATABASE_URL=postgresql://...", 2
        )
    return url


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that every test starts from: a SQLite file, or a PostgreSQL database."""
    if BACKEND == "postgres":
        admin = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
        name = f"isocycle_test_{uuid.uuid4().hex[:10]}"
        admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture
def database_url(template_url: str, tmp_path: Path) -> str:
    """A fresh database for this test, already at the newest schema."""
    return fresh_database_url(template_url, tmp_path)


def fresh_database_url(template_url: str, directory: Path) -> str:
    """An empty database at the newest schema: a copy of the template in `directory` (SQLite), or
    the template database emptied (PostgreSQL)."""
    if BACKEND == "postgres":
        engine = make_engine(template_url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
        engine.dispose()
        return template_url
    path = directory / "isocycle.db"
    shutil.copyfile(template_url, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def rules() -> RuleSet:
    return load_rule_set()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, mail_outbox_dir=tmp_path / "outbox", _env_file=None)  # type: ignore[call-arg]


Invoke = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """Run `isocycle --db <this test's database> ARGS...` in-process and return its result."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            app, ["--db", database_url, *args], input=input, catch_exceptions=False
        )

    return invoke


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = [
    "code",
    "name",
    "kind",
    "parent_code",
    "secretary_name",
    "secretary_email",
    "head_name",
    "head_email",
]
SMALL_PROVINCE = [
    [
        "HATINH",
        "UBND tỉnh Hà Tĩnh",
        "ubnd_tinh",
        "",
        "",
        "",
        "Võ Trọng Hải",
        "chutich@hatinh.example",
    ],
    [
        "SKHCN",
        "Sở Khoa học và Công nghệ",
        "so",
        "HATINH",
        "Lê Thị Thu",
        "thuky.skhcn@hatinh.example",
        "Trần Văn Minh",
        "giamdoc.skhcn@hatinh.example",
    ],
    [
        "SNGV",
        "Sở Ngoại vụ",
        "so",
        "HATINH",
        "Nguyễn Thị Hà",
        "thuky.sngv@hatinh.example",
        "Phạm Quốc Huy",
        "giamdoc.sngv@hatinh.example",
    ],
    [
        "TTDVDN",
        "Trung tâm Dịch thuật và Dịch vụ đối ngoại",
        "trung_tam",
        "SNGV",
        "Hồ Sỹ Tùng",
        "thuky.ttdvdn@hatinh.example",
        "Đỗ Thị Hương",
        "giamdoc.ttdvdn@hatinh.example",
    ],
    [
        "SCT",
        "Sở Công Thương",
        "so",
        "HATINH",
        "Hoàng Thị Lan",
        "thuky.sct@hatinh.example",
        "Võ Văn Đức",
        "giamdoc.sct@hatinh.example",
    ],
    [
        "UB18073",
        "UBND Phường Thành Sen",
        "ubnd_xa",
        "HATINH",
        "Đặng Thị Nga",
        "thuky.thanhsen@hatinh.example",
        "Bùi Xuân Trường",
        "chutich.thanhsen@hatinh.example",
    ],
]


@pytest.fixture
def province(tmp_path: Path, session: Session) -> Path:
    """A small Hà Tĩnh province imported through the real import path; returns its CSV."""
    from models.agencies import import_agencies

    path = write_csv(tmp_path / "agencies.csv", HEADER, SMALL_PROVINCE)
    import_agencies(session=session, path=path)
    return path


@pytest.fixture
def opened_2026(province: Path, session: Session, rules: RuleSet) -> None:
    from models.cycles import open_cycle

    open_cycle(session=session, year=2026, rules=rules)


TODAY = date(2026, 11, 24)
