"""job runs, and since when a lease is held

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("runner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("retry_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_run_job_started", "job_run", ["job", "started_at"], unique=False)
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("since", models.tables.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.drop_column("since")
    op.drop_index("ix_job_run_job_started", table_name="job_run")
    op.drop_table("job_run")
