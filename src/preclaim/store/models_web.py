"""Tables behind the web pages: the claim worklist and its upload batches, users and their sessions, the audit
trail, and the practice profile and payer address book that prefill letters (migration 0005).

The worklist is one row per checked claim, with the columns billing staff filter and sort on copied out of
the claim and its report, so a filter over 100,000 claims is one indexed query, not 100,000 JSON decodes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from preclaim.store.models import Base, Money, utcnow

ROLES = ("front-desk", "biller", "admin")
STATUSES = ("to-fix", "ready", "sent", "denied", "appealed", "resolved")


class UserRow(Base):
    """Someone who signs in to the pages. Passwords are argon2 hashes; an API key is kept as its SHA-256."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    api_key_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSessionRow(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(80))  # the username, or the API key's client name
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditRow(Base):
    """Who checked, changed, exported or signed in, when, and on what (claim ids, batch ids: never PHI values)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class BatchRow(Base):
    """An uploaded 837P checked in the background: where the file is, how far the check got."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    claims_done: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    as_of: Mapped[dt.date] = mapped_column(Date)
    uploaded_by: Mapped[str] = mapped_column(String(80), default="")
    keep: Mapped[bool] = mapped_column(Boolean, default=False)  # claims and checks go to history too
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text, default="")


class WorkItemRow(Base):
    """One claim on the worklist: from an uploaded batch (batch_id) or the history store (claim_pk)."""

    __tablename__ = "worklist"
    # Each filter's index also holds verdict and charge, so the counts and dollars by verdict (and a page sorted
    # by charge) are read from the index alone; the page's rows are then fetched by id.
    __table_args__ = (
        Index("ix_worklist_batch_day", "batch_id", "first_date_of_service", "verdict", "charge"),
        Index("ix_worklist_day", "first_date_of_service"),
        Index("ix_worklist_verdict_day", "verdict", "first_date_of_service", "charge"),
        Index("ix_worklist_payer_day", "payer_id", "first_date_of_service", "verdict", "charge"),
        Index("ix_worklist_status_day", "status", "first_date_of_service", "verdict", "charge"),
        Index("ix_worklist_verdict_charge", "verdict", "charge"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    claim_pk: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), unique=True)
    segment_number: Mapped[int | None] = mapped_column(Integer)  # the CLM's segment number in the batch file
    claim_id: Mapped[str] = mapped_column(String(38), index=True)
    patient_key: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[str] = mapped_column(String(80), default="", index=True)
    payer_id: Mapped[str] = mapped_column(String(80))
    payer_name: Mapped[str] = mapped_column(String(120), default="")
    provider_npi: Mapped[str] = mapped_column(String(20), default="", index=True)
    first_date_of_service: Mapped[dt.date | None] = mapped_column(Date)
    charge: Mapped[Decimal | None] = mapped_column(Money)
    verdict: Mapped[str] = mapped_column(String(10))  # clean, fix, deny; rejected (unreadable); unchecked
    top_carc: Mapped[str] = mapped_column(String(12), default="")
    top_message: Mapped[str] = mapped_column(String(400), default="")
    pa_status: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16))
    status_note: Mapped[str] = mapped_column(String(500), default="")
    status_by: Mapped[str] = mapped_column(String(80), default="")
    status_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    check_id: Mapped[int | None] = mapped_column(Integer)  # the stored check shown, for history rows
    doc: Mapped[WorkDocRow | None] = relationship(lazy="joined", cascade="all, delete-orphan")

    @property
    def document(self) -> str:
        return self.doc.document if self.doc else ""

    @property
    def report(self) -> str:
        return self.doc.report if self.doc else ""


class WorkDocRow(Base):
    """A worklist claim's JSON (the Claim, and its Report or the reason it was unreadable), kept apart so the
    worklist table stays narrow: a filter over 100,000 rows then scans megabytes, not the claims' JSON."""

    __tablename__ = "worklist_documents"
    item_id: Mapped[int] = mapped_column(ForeignKey("worklist.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text, default="")  # the Claim as JSON ("" when rejected)
    report: Mapped[str] = mapped_column(Text, default="")  # the Report as JSON, or the rejection reason


class WorklistSyncRow(Base):
    """How far the worklist has taken in the history store (one row): claims and checks up to these ids."""

    __tablename__ = "worklist_sync"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claims_upto: Mapped[int] = mapped_column(Integer, default=0)
    checks_upto: Mapped[int] = mapped_column(Integer, default=0)


class WorkCodeRow(Base):
    """The rules and CARCs of a worklist claim's findings, one row each: the 'rule or CARC' filter's index."""

    __tablename__ = "worklist_codes"
    __table_args__ = (Index("ix_worklist_codes_code_item", "code", "item_id"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("worklist.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)


class PracticeRow(Base):
    """The practice's own letterhead (one row): name, NPI, tax id, address, contact."""

    __tablename__ = "practice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")
    tax_id: Mapped[str] = mapped_column(String(12), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(10), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    fax: Mapped[str] = mapped_column(String(30), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")


class PayerAddressRow(Base):
    """Where letters to a payer go: the appeals (redetermination) address and the prior-authorization one."""

    __tablename__ = "payer_addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payer_id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    appeals_address: Mapped[str] = mapped_column(String(500), default="")
    pa_address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    fax: Mapped[str] = mapped_column(String(30), default="")
