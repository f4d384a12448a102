"""Join the meetings and peer-contract branches, built side by side.

Revision ID: 0004
Revises: 0003_meetings, 0003_peer
Create Date: 2026-11-22
"""

revision = "0004"
down_revision = ("0003_meetings", "0003_peer")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
