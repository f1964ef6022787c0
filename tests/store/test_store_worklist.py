"""The worklist tables on SQLite and PostgreSQL: rows from checks, filters, sort, pages, totals by verdict,
stored claims brought in by the sync, users and sessions, and the letterhead tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from preclaim.errors import InputError
from preclaim.io.claim_json import decode_claim
from preclaim.store import Store, record_check
from preclaim.store.ingest import import_claims
from preclaim.store.worklist import WorkFilter, add_items, item_values, query_page, rejected_values

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 3, 20)
NAMES = ["clean.json", "units-1500mcg.json", "fatigue-only.json", "jz-missing.json", "no-authorization.json"]


def _claims() -> list:  # type: ignore[type-arg]
    return [decode_claim((ROOT / "examples" / n).read_bytes(), n) for n in NAMES]


def _fill(store: Store, engine) -> list:  # type: ignore[no-untyped-def, type-arg]
    rows = []
    for n, claim in enumerate(_claims()):
        claim = msgspec.structs.replace(claim, charge=Decimal(f"{10 * (n + 1)}.00"))
        rows.append(item_values(claim, engine.check(claim, as_of=DAY), segment_number=n))
    rows.append((rejected_values("BAD-1", "segment 40 SV1: units 'x' is not a number"), []))
    with store.transaction() as session:
        return add_items(session, rows)


def test_filters_sort_pages_and_totals(store: Store, engine) -> None:  # type: ignore[no-untyped-def]
    ids = _fill(store, engine)
    assert len(ids) == 6
    with store.transaction(write=False) as session:
        everything = query_page(session, WorkFilter(per_page=25))
        assert everything.total == 6 and len(everything.rows) == 6
        assert everything.by_verdict["deny"].claims >= 1 and everything.by_verdict["rejected"].claims == 1
        assert everything.dollars == Decimal("150.00")
        units = query_page(session, WorkFilter(code="units.dose"))
        assert [r.claim_id for r in units.rows] == ["UNITS-003"]
        assert query_page(session, WorkFilter(code="CO-50")).rows[0].claim_id == "DX-005"
        assert [r.claim_id for r in query_page(session, WorkFilter(q="UNITS")).rows] == ["UNITS-003"]
        by_charge = query_page(session, WorkFilter(sort="charge", desc=True, verdict="fix"))
        charges = [r.charge for r in by_charge.rows]
        assert charges == sorted(charges, reverse=True) and all(r.verdict == "fix" for r in by_charge.rows)
        clean = query_page(session, WorkFilter(verdict="clean"))
        assert clean.total == 1 and clean.rows[0].status == "ready"
        late = query_page(session, WorkFilter(start=dt.date(2030, 1, 1)))
        assert late.total == 0 and late.rows == []
        paged = query_page(session, WorkFilter(per_page=25, page=99))  # past the end: the last page
        assert len(paged.rows) == 6


def test_stored_claims_and_their_checks_join_the_worklist(store: Store, engine) -> None:  # type: ignore[no-untyped-def]
    from preclaim.store.worklist_sync import sync_history

    claims = _claims()
    import_claims(store, claims[:2], source="test", kind="json")
    record_check(store, claims[0], engine.check(claims[0], as_of=DAY))
    assert sync_history(store) == 2
    assert sync_history(store) == 0  # nothing new: nothing read
    with store.transaction(write=False) as session:
        page = query_page(session, WorkFilter(batch="history"))
        verdicts = {r.claim_id: r.verdict for r in page.rows}
    assert verdicts == {"CLEAN-001": "clean", "UNITS-003": "unchecked"}
    record_check(store, claims[1], engine.check(claims[1], as_of=DAY))
    assert sync_history(store) == 1
    with store.transaction(write=False) as session:
        row = query_page(session, WorkFilter(q="UNITS-003")).rows[0]
    # 1500 mcg billed as 1 unit: under-billing is lost revenue (a warning with no denial code), not a CO-16 denial.
    assert row.verdict == "fix" and row.top_carc == "" and "not billed" in row.top_message


def test_users_sessions_and_audit(store: Store) -> None:
    from preclaim.store.models_web import UserRow
    from preclaim.store.people import (
        add_user,
        end_session,
        new_api_key,
        password_sign_in,
        recent_audit,
        record,
        session_identity,
        start_session,
        user_for_key,
    )

    with store.transaction() as session:
        user = add_user(session, "Dana.Biller", "biller", "correct horse battery")
        with pytest.raises(InputError, match="taken"):
            add_user(session, "dana.biller", "admin", "another long password")
        with pytest.raises(InputError, match="10 characters"):
            add_user(session, "short", "admin", "pw")
        key = new_api_key(session, user.id)
    with store.transaction(write=False) as session:
        who = password_sign_in(session, "dana.biller", "correct horse battery")
        assert who is not None and who.role == "biller"
        assert password_sign_in(session, "dana.biller", "wrong password!") is None
        assert password_sign_in(session, "nobody", "correct horse battery") is None
        assert user_for_key(session, key) == who
        stored = session.get_one(UserRow, user.id)
        assert stored.password_hash.startswith("$argon2") and key not in (stored.api_key_sha256 or "")
    token = start_session(store, who)
    assert session_identity(store, token) == who
    assert session_identity(store, token + "x") is None
    end_session(store, token)
    assert session_identity(store, token) is None
    record(store, "dana.biller", "export", "worklist", "csv, 6 rows")
    assert [(a.actor, a.action) for a in recent_audit(store)] == [("dana.biller", "export")]


def test_practice_and_payer_address_book(store: Store) -> None:
    from preclaim.store.letterhead import check_practice, load_practice, payer_address, save_payer, save_practice

    practice, errors = check_practice({"name": "Lakeside Internal Medicine", "npi": "12345", "state": "Florida"})
    assert set(errors) == {"npi", "state"}
    practice, errors = check_practice({"name": "Lakeside Internal Medicine", "npi": "1234567893", "state": "fl"})
    assert errors == {}
    save_practice(store, practice)
    assert load_practice(store).state == "FL"
    save_payer(store, {"payer_id": "09102", "name": "First Coast Service Options", "appeals_address": "PO Box 1"})
    save_payer(store, {"payer_id": "09102", "name": "First Coast Service Options", "appeals_address": "PO Box 2"})
    found = payer_address(store, "09102")
    assert found is not None and found.appeals_address == "PO Box 2"
    with pytest.raises(InputError, match="required"):
        save_payer(store, {"payer_id": "", "name": "x"})
