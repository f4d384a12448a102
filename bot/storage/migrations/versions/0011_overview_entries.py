"""The overview's stored entries: the table overviewentry

Revision ID: 0011_overview_entries
Revises: 0010_meeting_cases
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011_overview_entries"
down_revision = "0010_meeting_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty here: the bot fills it at its first start after the upgrade, from the flows' own
    # reading of each contract (bot/flows/overview_store.py, `rebuild`), which a migration
    # should not import.
    op.create_table(
        "overviewentry",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("flow", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("grp", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("undated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id", "contract_id"),
    )
    with op.batch_alter_table("overviewentry", schema=None) as batch_op:
        batch_op.create_index("ix_overviewentry_contract_id", ["contract_id"], unique=False)
        batch_op.create_index(
            "ix_overviewentry_page", ["person_id", "grp", "undated", "at", "flow", "contract_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("overviewentry", schema=None) as batch_op:
        batch_op.drop_index("ix_overviewentry_page")
        batch_op.drop_index("ix_overviewentry_contract_id")
    op.drop_table("overviewentry")
    op.execute("DELETE FROM maintenancerun WHERE name = 'overview-entries'")
