"""Checks keep the claim's first date of service, so `preclaim report` matches reused claim numbers right.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 15:08:07.063097

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_date_of_service", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_column("first_date_of_service")
