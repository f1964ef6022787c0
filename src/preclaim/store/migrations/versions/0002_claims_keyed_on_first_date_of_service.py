"""Claims keyed on payer, claim id and first date of service (patient control numbers get reused).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:33:14.373793

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("first_date_of_service", existing_type=sa.DATE(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_claims_payer_id"), type_="unique")
        batch_op.create_unique_constraint("uq_claims_key", ["payer_id", "claim_id", "first_date_of_service"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint("uq_claims_key", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_claims_payer_id"), ["payer_id", "claim_id"])
        batch_op.alter_column("first_date_of_service", existing_type=sa.DATE(), nullable=True)
