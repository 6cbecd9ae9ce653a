"""`isocycle backup FILE` and `isocycle restore FILE`: the whole database to one file and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, settings


def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The backup file to write.")],
) -> None:
    """Back up the whole database to FILE while the service runs (replaces FILE atomically).

    SQLite: the online backup API (a consistent snapshot, committed WAL writes included).
    PostgreSQL: pg_dump in the custom format (needs pg_dump of the server's major version).
    """
    from models.backup import BackupError, backup as do_backup

    try:
        made = do_backup(settings().database_url, file)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(
        f"Backed up to {made.path} ({made.kind}, schema {made.revision}, {made.size:,} bytes)"
    )


def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A file made by `isocycle backup`.")
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that already holds data."),
    ] = False,
) -> None:
    """Restore FILE into the database, all or nothing; stop the service first.

    Refuses a database that holds data unless --force, and a backup of a schema newer than
    this version of isocycle.
    """
    from models.backup import (
        BackupError,
        inspect_backup,
        read_revision,
        restore as do_restore,
        tables_with_rows,
    )
    from models.db import HEAD, known_revisions

    url = settings().database_url
    try:
        found = inspect_backup(file)
        if found.revision is None:
            fail(f"{file.name}: tệp không có dấu phiên bản lược đồ isocycle; không khôi phục")
        if found.revision not in known_revisions():
            fail(
                f"{file.name} ở lược đồ bản {found.revision}, mới hơn bản {HEAD} mà isocycle "
                "này biết; hãy khôi phục bằng phiên bản isocycle đã tạo ra nó (hoặc mới hơn)"
            )
        holding = tables_with_rows(url)
        if holding and not force:
            fail(
                f"cơ sở dữ liệu đích đã có dữ liệu (bảng {', '.join(holding[:6])}"
                f"{', …' if len(holding) > 6 else ''}); không ghi đè. Hãy khôi phục vào một cơ sở "
                "dữ liệu mới (--db), hoặc thêm --force nếu chắc chắn muốn thay toàn bộ"
            )
        do_restore(url, file)
        revision = read_revision(url)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"Restored {file} ({found.kind}, schema {revision})")
    if revision != HEAD:
        typer.echo(
            f"Cơ sở dữ liệu ở lược đồ bản {revision}, cũ hơn bản {HEAD}: chạy `isocycle init` "
            "để nâng cấp."
        )


def register(app: typer.Typer) -> None:
    """Add `backup` and `restore` to the main CLI."""
    app.command("backup")(backup)
    app.command("restore")(restore)
