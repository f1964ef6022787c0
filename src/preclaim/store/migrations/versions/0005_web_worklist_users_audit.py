"""Web pages: the claim worklist and upload batches, users and sessions, the audit trail, practice and payers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 23:49:15.150075

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("claims_done", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("keep", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_table(
        "payer_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("appeals_address", sa.String(length=500), nullable=False),
        sa.Column("pa_address", sa.String(length=500), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("fax", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_addresses")),
        sa.UniqueConstraint("payer_id", name=op.f("uq_payer_addresses_payer_id")),
    )
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("tax_id", sa.String(length=12), nullable=False),
        sa.Column("street", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("fax", sa.String(length=30), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("api_key_sha256", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_key_sha256", name=op.f("uq_users_api_key_sha256")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_sessions_token_sha256")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "worklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("claim_pk", sa.Integer(), nullable=True),
        sa.Column("segment_number", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.String(length=38), nullable=False),
        sa.Column("patient_key", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=80), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("payer_name", sa.String(length=120), nullable=False),
        sa.Column("provider_npi", sa.String(length=20), nullable=False),
        sa.Column("first_date_of_service", sa.Date(), nullable=True),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("top_carc", sa.String(length=12), nullable=False),
        sa.Column("top_message", sa.String(length=400), nullable=False),
        sa.Column("pa_status", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.String(length=500), nullable=False),
        sa.Column("status_by", sa.String(length=80), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_worklist_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["claim_pk"], ["claims.id"], name=op.f("fk_worklist_claim_pk_claims"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worklist")),
        sa.UniqueConstraint("claim_pk", name=op.f("uq_worklist_claim_pk")),
    )
    with op.batch_alter_table("worklist", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worklist_batch_day", ["batch_id", "first_date_of_service", "verdict", "charge"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_worklist_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index("ix_worklist_day", ["first_date_of_service"], unique=False)
        batch_op.create_index(batch_op.f("ix_worklist_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_worklist_patient_key"), ["patient_key"], unique=False)
        batch_op.create_index(
            "ix_worklist_payer_day", ["payer_id", "first_date_of_service", "verdict", "charge"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_worklist_provider_npi"), ["provider_npi"], unique=False)
        batch_op.create_index(
            "ix_worklist_status_day", ["status", "first_date_of_service", "verdict", "charge"], unique=False
        )
        batch_op.create_index("ix_worklist_verdict_day", ["verdict", "first_date_of_service", "charge"], unique=False)
        batch_op.create_index("ix_worklist_verdict_charge", ["verdict", "charge"], unique=False)

    op.create_table(
        "worklist_documents",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["worklist.id"], name=op.f("fk_worklist_documents_item_id_worklist"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_worklist_documents")),
    )

    op.create_table(
        "worklist_sync",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claims_upto", sa.Integer(), nullable=False),
        sa.Column("checks_upto", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worklist_sync")),
    )
    op.create_table(
        "worklist_codes",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["worklist.id"], name=op.f("fk_worklist_codes_item_id_worklist"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "code", name=op.f("pk_worklist_codes")),
    )
    with op.batch_alter_table("worklist_codes", schema=None) as batch_op:
        batch_op.create_index("ix_worklist_codes_code_item", ["code", "item_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("worklist_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_worklist_codes_code_item")

    op.drop_table("worklist_documents")
    op.drop_table("worklist_codes")
    op.drop_table("worklist_sync")
    with op.batch_alter_table("worklist", schema=None) as batch_op:
        batch_op.drop_index("ix_worklist_verdict_charge")
        batch_op.drop_index("ix_worklist_verdict_day")
        batch_op.drop_index("ix_worklist_status_day")
        batch_op.drop_index(batch_op.f("ix_worklist_provider_npi"))
        batch_op.drop_index("ix_worklist_payer_day")
        batch_op.drop_index(batch_op.f("ix_worklist_patient_key"))
        batch_op.drop_index(batch_op.f("ix_worklist_member_id"))
        batch_op.drop_index("ix_worklist_day")
        batch_op.drop_index(batch_op.f("ix_worklist_claim_id"))
        batch_op.drop_index("ix_worklist_batch_day")

    op.drop_table("worklist")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))

    op.drop_table("web_sessions")
    op.drop_table("users")
    op.drop_table("practice")
    op.drop_table("payer_addresses")
    op.drop_table("batches")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
