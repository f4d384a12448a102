"""Learning visits: the visit's day and clock, and topics other flows bring to a learning meeting

Revision ID: 0005_visit
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005_visit"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetingtopic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["meetingoccurrence.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "source_id"),
    )
    with op.batch_alter_table("meetingtopic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetingtopic_occurrence_id"), ["occurrence_id"], unique=False)

    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("colleague_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("length", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("checkin_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("morning_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("checkin_done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("morning_done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("end_done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("points_edited", sa.Boolean(), nullable=False),
        sa.Column("shared_occurrence_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["colleague_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shared_occurrence_id"],
            ["meetingoccurrence.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_colleague_id"), ["colleague_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_colleague_id"))
        batch_op.drop_index(batch_op.f("ix_visit_agent_id"))

    op.drop_table("visit")
    with op.batch_alter_table("meetingtopic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetingtopic_occurrence_id"))

    op.drop_table("meetingtopic")
