"""One or more case people a meeting: the table meetingcase, in place of the occurrence's one

Revision ID: 0010_meeting_cases
Revises: 0009_series_channel_name
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010_meeting_cases"
down_revision = "0009_series_channel_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "En eller flere medarbejdere præsenterer en case" (seed 004): each who presses Jeg har en
    # case has a row, with the title they give it.
    op.create_table(
        "meetingcase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["meetingoccurrence.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("occurrence_id", "person_id"),
    )
    with op.batch_alter_table("meetingcase", schema=None) as batch_op:
        batch_op.create_index("ix_meetingcase_person", ["person_id"], unique=False)
    # A meeting's one case person from before keeps the case, and its title. When they pressed
    # was not kept: the reminder's time (or the start, or the date) stands in for it.
    op.execute(
        "INSERT INTO meetingcase (occurrence_id, person_id, title, added_at)"
        " SELECT id, case_person_id, case_title, COALESCE(reminded_at, started_at, starts_at)"
        " FROM meetingoccurrence WHERE case_person_id IS NOT NULL ORDER BY id"
    )
    # SQLite cannot drop a column in place: batch mode copies the table without them (and
    # without the foreign key on case_person_id).
    with op.batch_alter_table("meetingoccurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_meetingoccurrence_case_person")
        batch_op.drop_column("case_title")
        batch_op.drop_column("case_person_id")


def downgrade() -> None:
    # Back to one case person a meeting: the first who pressed keeps it; the others' rows go.
    with op.batch_alter_table("meetingoccurrence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("case_title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.create_foreign_key("meetingoccurrence_case_person_id_fkey", "person", ["case_person_id"], ["id"])
        batch_op.create_index("ix_meetingoccurrence_case_person", ["case_person_id", "starts_at"], unique=False)
    first = (
        "SELECT {column} FROM meetingcase WHERE meetingcase.occurrence_id = meetingoccurrence.id"
        " ORDER BY meetingcase.added_at, meetingcase.id LIMIT 1"
    )
    op.execute(
        f"UPDATE meetingoccurrence SET case_person_id = ({first.format(column='person_id')}),"
        f" case_title = ({first.format(column='title')})"
    )
    with op.batch_alter_table("meetingcase", schema=None) as batch_op:
        batch_op.drop_index("ix_meetingcase_person")
    op.drop_table("meetingcase")
