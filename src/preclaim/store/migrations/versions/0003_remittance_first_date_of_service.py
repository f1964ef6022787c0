"""Remittances keep their first date of service, to link them to the right claim when a CLM01 is reused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:39:23.917894

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_date_of_service", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.drop_column("first_date_of_service")
