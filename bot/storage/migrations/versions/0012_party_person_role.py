"""A person's parties by role: the index ix_party_person_role in place of ix_party_person_id

Revision ID: 0012_party_person_role
Revises: 0011_overview_entries
Create Date: 2026-12-02
"""

from alembic import op

revision = "0012_party_person_role"
down_revision = "0011_overview_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (person_id, role) serves what (person_id) did, and finds a person's clinical parts among
    # a leader's thousands of e-learning ones without reading those (bench/overview.py).
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index("ix_party_person_role", ["person_id", "role"], unique=False)
        batch_op.drop_index("ix_party_person_id")


def downgrade() -> None:
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index("ix_party_person_id", ["person_id"], unique=False)
        batch_op.drop_index("ix_party_person_role")
