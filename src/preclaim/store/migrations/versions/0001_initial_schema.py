"""Initial schema: patients, claims and lines, administrations, checks, remittances, authorizations, imports.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 14:24:34.120614

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("key", name=op.f("uq_patients_key")),
    )
    op.create_table(
        "administrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("dose_mcg", sa.Float(), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("claim_id", sa.String(length=38), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_administrations_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administrations")),
        sa.UniqueConstraint("patient_id", "date", "code", "claim_id", name=op.f("uq_administrations_patient_id")),
    )
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_administrations_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("approved_units", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_authorizations_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
        sa.UniqueConstraint("payer_id", "number", "code", name=op.f("uq_authorizations_payer_id")),
    )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorizations_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorizations_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=38), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("frequency_code", sa.String(length=1), nullable=False),
        sa.Column("prior_auth", sa.String(length=50), nullable=True),
        sa.Column("first_date_of_service", sa.Date(), nullable=True),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_claims_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("payer_id", "claim_id", name=op.f("uq_claims_payer_id")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=38), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("claim_pk", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("carcs", sa.String(length=200), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_pk"], ["claims.id"], name=op.f("fk_checks_claim_pk_claims"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checks_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("modifiers", sa.String(length=16), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("prior_auth", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_pk"], ["claims.id"], name=op.f("fk_claim_lines_claim_pk_claims"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
        sa.UniqueConstraint("claim_pk", "number", "date_of_service", name=op.f("uq_claim_lines_claim_pk")),
    )
    op.create_table(
        "remittances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=38), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("patient_responsibility", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=False),
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("claim_pk", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_pk"], ["claims.id"], name=op.f("fk_remittances_claim_pk_claims"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittances")),
        sa.UniqueConstraint(
            "payer_id",
            "claim_id",
            "payer_claim_number",
            "status",
            "trace_number",
            name=op.f("uq_remittances_payer_id"),
        ),
    )
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remittances_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_remittances_claim_pk"), ["claim_pk"], unique=False)

    op.create_table(
        "remittance_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("modifiers", sa.String(length=16), nullable=False),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("units", sa.Float(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=True),
        sa.Column("remarks", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_remittance_lines_remittance_id_remittances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_lines")),
    )
    with op.batch_alter_table("remittance_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remittance_lines_remittance_id"), ["remittance_id"], unique=False)

    op.create_table(
        "adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remittance_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("group_code", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["remittance_lines.id"],
            name=op.f("fk_adjustments_line_id_remittance_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_adjustments_remittance_id_remittances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustments")),
    )
    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adjustments_remittance_id"), ["remittance_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustments_remittance_id"))

    op.drop_table("adjustments")
    with op.batch_alter_table("remittance_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittance_lines_remittance_id"))

    op.drop_table("remittance_lines")
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittances_claim_pk"))
        batch_op.drop_index(batch_op.f("ix_remittances_claim_id"))

    op.drop_table("remittances")
    op.drop_table("claim_lines")
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checks_claim_id"))

    op.drop_table("checks")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_patient_id"))
        batch_op.drop_index(batch_op.f("ix_claims_claim_id"))

    op.drop_table("claims")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorizations_patient_id"))
        batch_op.drop_index(batch_op.f("ix_authorizations_number"))

    op.drop_table("authorizations")
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administrations_patient_id"))

    op.drop_table("administrations")
    op.drop_table("patients")
    op.drop_table("imports")
