"""Alembic environment: runs migrations on the engine that `models.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.all_tables  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
