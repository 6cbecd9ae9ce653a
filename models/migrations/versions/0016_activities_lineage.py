"""training, budget, directing documents, own inspections per period; agency lineage links

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PERIOD_INDEX = {
    "training_course": "ix_training_agency_period",
    "iso_budget": "ix_iso_budget_agency_period",
    "directing_document": "ix_directing_agency_period",
    "own_inspection": "ix_own_inspection_agency_period",
}


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _period_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "training_course",
        *_period_columns(),
        sa.Column("title", _text(500), nullable=False),
        sa.Column("organiser", _text(300), nullable=False),
        sa.Column("mode", _text(16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("person_times", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "iso_budget",
        *_period_columns(),
        sa.Column("purpose", _text(64), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=True),
        sa.Column("note", _text(2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "agency_id", "period_start", "period_end", "purpose", name="uq_iso_budget_period"
        ),
    )
    op.create_table(
        "directing_document",
        *_period_columns(),
        sa.Column("number", _text(200), nullable=False),
        sa.Column("title", _text(1000), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "own_inspection",
        *_period_columns(),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("unit", _text(300), nullable=False),
        sa.Column("ref", _text(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for table, index in PERIOD_INDEX.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, ["agency_id", "period_start", "period_end"], unique=False)
    op.create_table(
        "agency_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("predecessor_id", sa.Uuid(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("successor_id", sa.Uuid(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("basis", _text(300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("predecessor_id", "successor_id", name="uq_agency_link_pair"),
    )
    with op.batch_alter_table("agency_link", schema=None) as batch_op:
        batch_op.create_index("ix_agency_link_successor", ["successor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agency_link_predecessor_id"), ["predecessor_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("agency_link")
    for table in reversed(list(PERIOD_INDEX)):
        op.drop_table(table)
