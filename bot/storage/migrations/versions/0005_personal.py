"""Personal data: tombstones of deleted people, the retention job's last run, and the
indexes that erasure and retention query by

Revision ID: 0005_personal
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005_personal"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenancerun",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # The row exists before any instance looks for it, so two instances never race to insert it.
    op.bulk_insert(sa.table("maintenancerun", sa.column("name", sa.String())), [{"name": "retention"}])
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index("ix_contract_status_updated", ["status", "updated_at"], unique=False)
    with op.batch_alter_table("dialogsession", schema=None) as batch_op:
        batch_op.create_index("ix_session_status_activity", ["status", "last_activity_at"], unique=False)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_approver_id"), ["approver_id"], unique=False)
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditevent_actor_id"), ["actor_id"], unique=False)
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxmessage_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_person_id"))
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditevent_actor_id"))
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_approver_id"))
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_person_id"))
    with op.batch_alter_table("dialogsession", schema=None) as batch_op:
        batch_op.drop_index("ix_session_status_activity")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_status_updated")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    op.drop_table("maintenancerun")
