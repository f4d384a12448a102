"""A person's open sessions of a flow and phase: the index ix_session_person_flow_phase

Revision ID: 0013_session_person_flow_phase
Revises: 0012_party_person_role
Create Date: 2026-12-03
"""

from alembic import op

revision = "0013_session_person_flow_phase"
down_revision = "0012_party_person_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The overview looks for a leader's open sessions of one flow and phase (writing the changes
    # to ask for) among thousands of queued questions: by (person_id, status) it read them all
    # (bench/overview.py: 1.2 ms on PostgreSQL for 3,000, 0.5 ms by this index).
    with op.batch_alter_table("dialogsession", schema=None) as batch_op:
        batch_op.create_index("ix_session_person_flow_phase", ["person_id", "flow", "phase", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dialogsession", schema=None) as batch_op:
        batch_op.drop_index("ix_session_person_flow_phase")
