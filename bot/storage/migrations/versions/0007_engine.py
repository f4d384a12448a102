"""The delivery engine: lanes of inbox and outbox rows, and leases on them

Revision ID: 0007_engine
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007_engine"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inboxevent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_inbox_lane_status_id", ["lane", "status", "id"])
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.create_index("ix_outbox_lane_status_id", ["lane", "status", "id"])
    # Rows a previous version left waiting: the inbox's in one lane per platform (the old
    # order, one at a time), the outbox's in their person's or channel's lane.
    op.execute("UPDATE inboxevent SET lane = 'earlier:' || platform")
    op.execute("""UPDATE outboxmessage SET lane = CASE
        WHEN person_id IS NOT NULL THEN 'person:' || CAST(person_id AS VARCHAR(20))
        WHEN channel IS NOT NULL THEN 'channel:' || channel
        WHEN response_url IS NOT NULL THEN 'channel:' || substr(response_url, 1, 290)
        ELSE 'ref:' || coalesce(update_ref, '') END""")
    op.create_table(
        "lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=320), primary_key=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_lease_owner", "lease", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_lease_owner", table_name="lease")
    op.drop_table("lease")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_lane_status_id")
        batch_op.drop_column("lane")
    with op.batch_alter_table("inboxevent", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_lane_status_id")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("lane")
