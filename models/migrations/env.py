"""Alembic environment: runs migrations on the engine that `models.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.all_tables  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table (copy, DROP, rename): with foreign keys enforced, the
        # DROP of a table others refer to (app_user, from api_token) fails. The pragma only
        # takes effect outside a transaction; the check below proves nothing was left dangling.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # ends SQLAlchemy's autobegun transaction; pysqlite sent no BEGIN
    try:
        with connection.begin():
            context.configure(
                connection=connection, target_metadata=SQLModel.metadata, render_as_batch=sqlite
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    raise RuntimeError(f"migration left rows without their parent: {dangling[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
