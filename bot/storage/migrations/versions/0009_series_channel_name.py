"""A meeting series' channel name, and a visit's learning points kept for a staff meeting

Revision ID: 0009_series_channel_name
Revises: 0008_workspaces
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009_series_channel_name"
down_revision = "0008_workspaces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The channel's name as its platform last told it ("sygeplejen"). A series made before
    # has none until a command or post in its channel gives it.
    with op.batch_alter_table("meetingseries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    # When the agent chose to bring the learning points to a staff meeting (personalemøde).
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_meeting_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("staff_meeting_at")
    with op.batch_alter_table("meetingseries", schema=None) as batch_op:
        batch_op.drop_column("channel_name")
