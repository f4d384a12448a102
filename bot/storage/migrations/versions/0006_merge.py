"""Join the branches built side by side on 0004: the meeting actions, the clinical
contract, the learning visit, files, the overview's indexes and personal data.

Revision ID: 0006
Revises: 0005_meeting_done, 0005_clinical, 0005_visit, 0005_files, 0005_overview, 0005_personal
Create Date: 2026-11-22
"""

revision = "0006"
down_revision = ("0005_meeting_done", "0005_clinical", "0005_visit", "0005_files", "0005_overview", "0005_personal")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
