"""Tables of the history store (SQLAlchemy 2 typed ORM). Alembic migrations in `migrations/` build them.

Keys are what the outside world uses (claim id = CLM01 = CLP01, payer id, pseudonymous patient key);
integer primary keys are internal. Empty strings stand for "none" inside unique keys, because both
SQLite and PostgreSQL treat NULLs as distinct there and idempotent imports rely on those keys.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Money = Numeric(12, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PatientRow(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))


class ClaimRow(Base):
    """A claim as imported (837P, CSV) or checked; `document` is the full Claim as JSON.

    Keyed on payer, CLM01 and first date of service: patient control numbers get reused across dates.
    """

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("payer_id", "claim_id", "first_date_of_service", name="uq_claims_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(38), index=True)
    payer_id: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    frequency_code: Mapped[str] = mapped_column(String(1), default="1")
    prior_auth: Mapped[str | None] = mapped_column(String(50))
    first_date_of_service: Mapped[dt.date] = mapped_column(Date)
    charge: Mapped[Decimal | None] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lines: Mapped[list[ClaimLineRow]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimLineRow.number"
    )
    patient: Mapped[PatientRow] = relationship()


class ClaimLineRow(Base):
    __tablename__ = "claim_lines"
    __table_args__ = (UniqueConstraint("claim_pk", "number", "date_of_service"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(48))
    modifiers: Mapped[str] = mapped_column(String(16), default="")
    units: Mapped[float] = mapped_column(Float)
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    charge: Mapped[Decimal | None] = mapped_column(Money)
    prior_auth: Mapped[str | None] = mapped_column(String(50))
    claim: Mapped[ClaimRow] = relationship(back_populates="lines")


class AdministrationRow(Base):
    """An injection known from the chart (claim_id "" ) or from a claim line."""

    __tablename__ = "administrations"
    __table_args__ = (UniqueConstraint("patient_id", "date", "code", "claim_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(48))
    units: Mapped[float] = mapped_column(Float)
    dose_mcg: Mapped[float | None] = mapped_column(Float)  # the dose in mcg when a mass, for older readers
    dose_value: Mapped[float | None] = mapped_column(Float)  # the dose as given, with dose_unit (g, mg, mcg, mL)
    dose_unit: Mapped[str | None] = mapped_column(String(8))
    phase: Mapped[str | None] = mapped_column(String(16))
    claim_id: Mapped[str] = mapped_column(String(38), default="")
    payer_id: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(16))


class CheckRow(Base):
    """One run of `preclaim check` on a claim: the verdict and the full JSON report (the prediction)."""

    __tablename__ = "checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(38), index=True)
    payer_id: Mapped[str] = mapped_column(String(80))
    claim_pk: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_date_of_service: Mapped[dt.date | None] = mapped_column(Date)  # to match reused CLM01s
    verdict: Mapped[str] = mapped_column(String(8))
    carcs: Mapped[str] = mapped_column(String(200), default="")  # predicted, space separated: "CO-50 CO-16"
    report: Mapped[str] = mapped_column(Text)


class RemittanceRow(Base):
    """One claim payment (835 loop 2100, CLP) and what it answers (claims.claim_id = CLP01)."""

    __tablename__ = "remittances"
    __table_args__ = (UniqueConstraint("payer_id", "claim_id", "payer_claim_number", "status", "trace_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(38), index=True)
    payer_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(2))
    charge: Mapped[Decimal | None] = mapped_column(Money)
    paid: Mapped[Decimal | None] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal | None] = mapped_column(Money)
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    trace_number: Mapped[str] = mapped_column(String(50), default="")
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    first_date_of_service: Mapped[dt.date | None] = mapped_column(Date)  # to tell apart reused CLM01s
    claim_pk: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lines: Mapped[list[RemittanceLineRow]] = relationship(
        back_populates="remittance", cascade="all, delete-orphan", order_by="RemittanceLineRow.number"
    )
    adjustments: Mapped[list[AdjustmentRow]] = relationship(back_populates="remittance", cascade="all, delete-orphan")


class RemittanceLineRow(Base):
    __tablename__ = "remittance_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(48))
    modifiers: Mapped[str] = mapped_column(String(16), default="")
    charge: Mapped[Decimal | None] = mapped_column(Money)
    paid: Mapped[Decimal | None] = mapped_column(Money)
    units: Mapped[float | None] = mapped_column(Float)
    date_of_service: Mapped[dt.date | None] = mapped_column(Date)
    remarks: Mapped[str] = mapped_column(String(200), default="")  # RARCs (LQ*HE), space separated
    remittance: Mapped[RemittanceRow] = relationship(back_populates="lines")


class AdjustmentRow(Base):
    """One CAS triplet (group, CARC, amount, quantity), at claim level (line_id None) or line level."""

    __tablename__ = "adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_lines.id", ondelete="CASCADE"))
    group_code: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(5))
    amount: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[float | None] = mapped_column(Float)
    remittance: Mapped[RemittanceRow] = relationship(back_populates="adjustments")
    line: Mapped[RemittanceLineRow | None] = relationship()


class AuthorizationRow(Base):
    """A prior authorization on file: entered by hand, imported, or recorded from a PAS/278 response."""

    __tablename__ = "authorizations"
    __table_args__ = (UniqueConstraint("payer_id", "number", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(50), index=True)
    payer_id: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    code: Mapped[str] = mapped_column(String(48))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    approved_units: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    patient: Mapped[PatientRow | None] = relationship()


class ImportRow(Base):
    """One import of a file (history, authorizations, policies, code lists): what, when, how many."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    message: Mapped[str | None] = mapped_column(Text)


# The web pages' tables live in their own module; importing it here puts them in Base.metadata for Alembic.
from preclaim.store import models_web  # noqa: E402, F401
