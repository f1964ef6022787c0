"""An administration's dose keeps its unit (30 mg, 1 mL), not only a number of mcg.

The dose_mcg column could not hold a volume, so a chart dose given in mL was stored empty. The new columns
hold the amount as given; existing rows are copied over as mcg, and dose_mcg is still written (in mcg, for a
mass) so an older preclaim reading the same database sees what it saw before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dose_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("dose_unit", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE administrations SET dose_value = dose_mcg, dose_unit = 'mcg' "
        "WHERE dose_mcg IS NOT NULL AND dose_value IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.drop_column("dose_unit")
        batch_op.drop_column("dose_value")
