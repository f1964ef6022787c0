"""The practice profile and the payer address book: what letters are prefilled with (nothing else reads them)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select

from preclaim.errors import InputError
from preclaim.store.db import Store
from preclaim.store.models_web import PayerAddressRow, PracticeRow


@dataclass(frozen=True)
class Practice:
    name: str = ""
    npi: str = ""
    tax_id: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    phone: str = ""
    fax: str = ""
    contact: str = ""

    @property
    def city_line(self) -> str:
        place = ", ".join(p for p in (self.city, f"{self.state} {self.zip}".strip()) if p)
        return place


@dataclass(frozen=True)
class PayerAddress:
    payer_id: str
    name: str = ""
    appeals_address: str = ""
    pa_address: str = ""
    phone: str = ""
    fax: str = ""


PRACTICE_FIELDS = tuple(f.name for f in fields(Practice))
PAYER_FIELDS = tuple(f.name for f in fields(PayerAddress))
_LIMITS = {c.name: getattr(c.type, "length", None) for c in PracticeRow.__table__.columns}


def check_practice(values: dict[str, str]) -> tuple[Practice, dict[str, str]]:
    """The profile from a form, with an error per field a payer would reject (NPI, state, ZIP)."""
    clean = {k: (values.get(k) or "").strip() for k in PRACTICE_FIELDS}
    errors: dict[str, str] = {}
    if not clean["name"]:
        errors["name"] = "required"
    if clean["npi"] and not (len(clean["npi"]) == 10 and clean["npi"].isdigit()):
        errors["npi"] = "10 digits"
    clean["state"] = clean["state"].upper()
    if clean["state"] and not (len(clean["state"]) == 2 and clean["state"].isalpha()):
        errors["state"] = "two letters, e.g. FL"
    if clean["zip"] and not (clean["zip"].replace("-", "").isdigit() and len(clean["zip"]) in (5, 9, 10)):
        errors["zip"] = "5 or 9 digits"
    for name, value in clean.items():
        limit = _LIMITS.get(name)
        if limit and len(value) > limit and name not in errors:
            errors[name] = f"at most {limit} characters"
    return Practice(**clean), errors


def load_practice(store: Store) -> Practice:
    with store.transaction(write=False) as session:
        row = session.get(PracticeRow, 1)
        return Practice(**{k: getattr(row, k) or "" for k in PRACTICE_FIELDS}) if row else Practice()


def save_practice(store: Store, practice: Practice) -> None:
    with store.transaction() as session:
        row = session.get(PracticeRow, 1) or PracticeRow(id=1)
        for name in PRACTICE_FIELDS:
            setattr(row, name, getattr(practice, name))
        session.add(row)


def list_payers(store: Store) -> list[PayerAddress]:
    with store.transaction(write=False) as session:
        rows = session.scalars(select(PayerAddressRow).order_by(PayerAddressRow.name, PayerAddressRow.payer_id))
        return [PayerAddress(**{k: getattr(r, k) or "" for k in PAYER_FIELDS}) for r in rows]


def payer_address(store: Store, payer_id: str) -> PayerAddress | None:
    with store.transaction(write=False) as session:
        row = session.scalars(select(PayerAddressRow).where(PayerAddressRow.payer_id == payer_id)).one_or_none()
        return PayerAddress(**{k: getattr(row, k) or "" for k in PAYER_FIELDS}) if row else None


def save_payer(store: Store, values: dict[str, str]) -> PayerAddress:
    clean = {k: (values.get(k) or "").strip() for k in PAYER_FIELDS}
    if not clean["payer_id"]:
        raise InputError("required", where="payer_id")
    if not clean["name"]:
        raise InputError("required", where="name")
    for name, limit in (("payer_id", 80), ("name", 120), ("appeals_address", 500), ("pa_address", 500)):
        if len(clean[name]) > limit:
            raise InputError(f"at most {limit} characters", where=name)
    with store.transaction() as session:
        row = session.scalars(
            select(PayerAddressRow).where(PayerAddressRow.payer_id == clean["payer_id"])
        ).one_or_none() or PayerAddressRow(payer_id=clean["payer_id"])
        for name in PAYER_FIELDS:
            setattr(row, name, clean[name][:500])
        session.add(row)
    return PayerAddress(**clean)
