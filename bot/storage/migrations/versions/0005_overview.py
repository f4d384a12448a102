"""The overview (`/laering mine`, the Slack App Home): indexes for reading a person's things

Revision ID: 0005_overview
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005_overview"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_person_kind", ["person_id", "kind", "id"], unique=False)
    with op.batch_alter_table("meetingoccurrence", schema=None) as batch_op:
        batch_op.create_index("ix_meetingoccurrence_facilitator", ["facilitator_id", "starts_at"], unique=False)
        batch_op.create_index("ix_meetingoccurrence_case_person", ["case_person_id", "starts_at"], unique=False)
    with op.batch_alter_table("meetingaction", schema=None) as batch_op:
        batch_op.create_index("ix_meetingaction_owner", ["owner_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meetingaction", schema=None) as batch_op:
        batch_op.drop_index("ix_meetingaction_owner")
    with op.batch_alter_table("meetingoccurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_meetingoccurrence_case_person")
        batch_op.drop_index("ix_meetingoccurrence_facilitator")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_person_kind")
