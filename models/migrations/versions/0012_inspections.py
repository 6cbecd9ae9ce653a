"""inspections by the province's inspecting unit: the year's plan and its planned inspections

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("decision_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inspector_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inspector_id", "year", name="uq_inspection_plan_inspector_year"),
    )
    with op.batch_alter_table("inspection_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_plan_year"), ["year"], unique=False)

    op.create_table(
        "planned_inspection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("form", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("planned_month", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("audit_id", sa.Uuid(), nullable=True),
        sa.Column("step_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("report_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("report_on", sa.Date(), nullable=True),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["audit_id"], ["internal_audit.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["inspection_plan.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "agency_id", name="uq_planned_inspection_plan_agency"),
    )
    with op.batch_alter_table("planned_inspection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_planned_inspection_agency_year", ["agency_id", "year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_inspection_plan_id"), ["plan_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("planned_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_inspection_plan_id"))
        batch_op.drop_index("ix_planned_inspection_agency_year")
    op.drop_table("planned_inspection")
    with op.batch_alter_table("inspection_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_plan_year"))
    op.drop_table("inspection_plan")
