"""Who marked a meeting's action as done

Revision ID: 0005_meeting_done
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_meeting_done"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetingaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_meetingaction_done_by_id_person", "person", ["done_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("meetingaction", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meetingaction_done_by_id_person", type_="foreignkey")
        batch_op.drop_column("done_by_id")
