"""the 7.2 self-score: each agency's points per criterion and year, and Sở KH&CN's review

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.tables

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "iso_score",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("criterion", String(length=20), nullable=False),
        sa.Column("scheme", String(length=100), nullable=False),
        sa.Column("self_quarters", sa.Integer(), nullable=True),
        sa.Column("self_reason", String(length=2000), nullable=True),
        sa.Column("self_note", String(length=300), nullable=True),
        sa.Column("self_by", String(length=200), nullable=True),
        sa.Column("self_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_quarters", sa.Integer(), nullable=True),
        sa.Column("review_reason", String(length=2000), nullable=True),
        sa.Column("reviewed_by", String(length=200), nullable=True),
        sa.Column("reviewed_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", "criterion", name="uq_iso_score_criterion"),
    )
    with op.batch_alter_table("iso_score", schema=None) as batch_op:
        batch_op.create_index("ix_iso_score_year_agency", ["year", "agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("iso_score", schema=None) as batch_op:
        batch_op.drop_index("ix_iso_score_year_agency")
    op.drop_table("iso_score")
