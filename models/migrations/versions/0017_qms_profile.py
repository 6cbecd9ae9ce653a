"""QMS profile of each agency, its ISO steering committee decisions and announcements

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.tables

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "iso_profile",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("edition", String(length=8), nullable=False),
        sa.Column("mode", String(length=16), nullable=False),
        sa.Column("first_applied_year", sa.Integer(), nullable=True),
        sa.Column("converted_year", sa.Integer(), nullable=True),
        sa.Column("system_ref", String(length=200), nullable=True),
        sa.Column("system_issued_on", sa.Date(), nullable=True),
        sa.Column("system_year", sa.Integer(), nullable=True),
        sa.Column("scope", String(length=4000), nullable=True),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "iso_steering_committee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("ref", String(length=200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("note", String(length=2000), nullable=True),
        sa.Column("created_by", String(length=200), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "ref", name="uq_iso_committee_agency_ref"),
    )
    with op.batch_alter_table("iso_steering_committee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iso_steering_committee_agency_id"), ["agency_id"], unique=False
        )
    op.create_table(
        "iso_committee_member",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("title", String(length=200), nullable=False),
        sa.Column("role", String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["committee_id"], ["iso_steering_committee.id"]),
        sa.PrimaryKeyConstraint("committee_id", "position"),
    )
    op.create_table(
        "iso_announcement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("kind", String(length=20), nullable=False),
        sa.Column("ref", String(length=200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("edition", String(length=8), nullable=False),
        sa.Column("basis", String(length=2000), nullable=True),
        sa.Column("notice_ref", String(length=200), nullable=True),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("notice_to_id", sa.Uuid(), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("created_by", String(length=200), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["notice_to_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "ref", name="uq_iso_announcement_agency_ref"),
    )
    with op.batch_alter_table("iso_announcement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_iso_announcement_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_iso_announcement_decided_on"), ["decided_on"], unique=False
        )


def downgrade() -> None:
    op.drop_table("iso_announcement")
    op.drop_table("iso_committee_member")
    op.drop_table("iso_steering_committee")
    op.drop_table("iso_profile")
