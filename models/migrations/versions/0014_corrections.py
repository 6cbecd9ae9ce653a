"""domain corrections: several management reviews a year; effectiveness is "hiệu lực"

- management_review: the unique (agency_id, year) goes (QĐ 19/2014/QĐ-TTg Art. 4.4b asks for a
  review "at least once a year"); each review gets a number within its agency's year, existing
  rows number 1.
- The steps and step references written for an effectiveness check said "hiệu quả"
  (efficiency); TCVN ISO 9000 calls effectiveness "hiệu lực".

A downgrade keeps review 1 of each agency and year and deletes the others (the old schema holds
one a year).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (old, new) pieces of the texts models/iso/actions.py wrote on steps.
WORDING = (
    ("Xác nhận hiệu quả", "Xác nhận hiệu lực"),
    ("HĐKH đã xác nhận hiệu quả", "HĐKH đã xác nhận hiệu lực"),
    (": hiệu quả", ": có hiệu lực"),
)


def _reword(pairs: tuple[tuple[str, str], ...]) -> None:
    step = sa.table(
        "step",
        sa.column("step_type", sa.String),
        sa.column("title", sa.String),
        sa.column("ref", sa.String),
        sa.column("note", sa.String),
    )
    types = ("action_verification", "corrective_actions")
    for old, new in pairs:
        for column in (step.c.title, step.c.ref, step.c.note):
            op.execute(
                step.update()
                .where(step.c.step_type.in_(types), column.contains(old))
                .values({column.name: sa.func.replace(column, old, new)})
            )


def upgrade() -> None:
    with op.batch_alter_table("management_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("management_review", schema=None) as batch_op:
        batch_op.drop_constraint("uq_management_review_agency_year", type_="unique")
        batch_op.alter_column("number", server_default=None)
        batch_op.create_unique_constraint(
            "uq_management_review_agency_year_number", ["agency_id", "year", "number"]
        )
    _reword(WORDING)


def downgrade() -> None:
    _reword(tuple((new, old) for old, new in WORDING))
    op.execute("DELETE FROM management_review WHERE number > 1")
    with op.batch_alter_table("management_review", schema=None) as batch_op:
        batch_op.drop_constraint("uq_management_review_agency_year_number", type_="unique")
        batch_op.drop_column("number")
        batch_op.create_unique_constraint("uq_management_review_agency_year", ["agency_id", "year"])
