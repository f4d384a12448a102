"""When a person first opened their Slack App Home: the column person.home_opened_at

Revision ID: 0014_person_home_opened
Revises: 0013_session_person_flow_phase
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014_person_home_opened"
down_revision = "0013_session_person_flow_phase"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Whose App Home follows what changes for them. It was read from the outbox's home rows
    # after every event (one statement an answer, bench/e2e.py); the person row, which every
    # event reads anyway, now says it. Those who opened it before keep their home.
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE person SET home_opened_at = (SELECT min(o.created_at) FROM outboxmessage o"
        " WHERE o.kind = 'home' AND o.person_id = person.id)"
        " WHERE EXISTS (SELECT 1 FROM outboxmessage o WHERE o.kind = 'home' AND o.person_id = person.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("home_opened_at")
