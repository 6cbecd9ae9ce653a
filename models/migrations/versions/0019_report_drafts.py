"""report drafts: the prose, number, date, signer and recipients of an agency's report

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.tables

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "report_draft",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("variant", text(length=16), nullable=False),
        sa.Column("advantages", text(length=8000), nullable=True),
        sa.Column("difficulties", text(length=8000), nullable=True),
        sa.Column("effectiveness", text(length=8000), nullable=True),
        sa.Column("causes", text(length=8000), nullable=True),
        sa.Column("directions", text(length=8000), nullable=True),
        sa.Column("recommendations", text(length=8000), nullable=True),
        sa.Column("number", text(length=100), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=True),
        sa.Column("signer", text(length=200), nullable=True),
        sa.Column("sign_for", text(length=100), nullable=True),
        sa.Column("sign_title", text(length=100), nullable=True),
        sa.Column("recipients", text(length=2000), nullable=True),
        sa.Column("updated_by", text(length=200), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", "variant", name="uq_report_draft_period"),
    )
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_draft_agency_id"), ["agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_draft_agency_id"))
    op.drop_table("report_draft")
