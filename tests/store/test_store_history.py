"""Claims, administrations and authorizations in; a patient's History out, with units consumed."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from store_helpers import make_claim

from preclaim.domain import (
    Administration,
    Authorization,
    Finding,
    PriorAuthDecision,
    Report,
    Source,
)
from preclaim.domain.quantity import Quantity
from preclaim.store import Store, load_history, record_check
from preclaim.store.auth import expiring, list_authorizations, upsert_authorization
from preclaim.store.claims import upsert_administration, upsert_claim
from preclaim.store.models import CheckRow, ClaimLineRow, ClaimRow, RemittanceRow

D = dt.date


def test_same_claim_twice_is_stored_once_and_a_changed_claim_replaces_it(store: Store) -> None:
    claim = make_claim(lines=2)
    with store.transaction() as s:
        assert upsert_claim(s, claim, "csv")[1] == "added"
    with store.transaction() as s:
        assert upsert_claim(s, claim, "csv")[1] == "unchanged"
    with store.transaction() as s:
        assert upsert_claim(s, make_claim(lines=2, units=2), "837")[1] == "updated"
    with store.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ClaimRow)) == 1
        units = s.scalars(select(ClaimLineRow.units).order_by(ClaimLineRow.number)).all()
    assert units == [2, 2]


def test_history_holds_this_patients_claims_and_chart_up_to_the_date(store: Store) -> None:
    with store.transaction() as s:
        upsert_claim(s, make_claim("C-OLD", day=D(2026, 1, 5)), "csv")
        upsert_claim(s, make_claim("C-SAME-DAY", day=D(2026, 3, 2)), "csv")
        upsert_claim(s, make_claim("C-LATER", day=D(2026, 4, 1)), "csv")
        upsert_claim(s, make_claim("C-OTHER", patient="PAT-2", day=D(2026, 1, 5)), "csv")
        upsert_administration(
            s, Administration("PAT-1", D(2025, 12, 1), "J3420", dose=Quantity(1000, "mcg"), phase="loading"), "csv"
        )
    history = load_history(store, "PAT-1", D(2026, 3, 2))
    assert [c.id for c in history.claims] == ["C-OLD", "C-SAME-DAY"]
    assert history.claims[0] == make_claim("C-OLD", day=D(2026, 1, 5))  # round trip, Decimal charges included
    assert [(a.date, a.dose and a.dose.value, a.phase, a.claim_id) for a in history.administrations] == [
        (D(2025, 12, 1), 1000, "loading", None)
    ]
    assert [c.id for c in load_history(store, "PAT-1", D(2026, 3, 2), exclude_claim="C-SAME-DAY").claims] == ["C-OLD"]
    assert load_history(store, "PAT-NEW", D(2026, 3, 2)).claims == ()


def _auth(number: str = "AUTH-1", units: float | None = 4, **kw: object) -> Authorization:
    values: dict[str, object] = {
        "number": number, "payer_id": "PAYER-A", "code": "J3420", "start": D(2026, 1, 1),
        "end": D(2026, 6, 30), "approved_units": units, "patient_key": "PAT-1",
    }  # fmt: skip
    values.update(kw)
    return Authorization(**values)  # type: ignore[arg-type]


def test_units_consumed_count_claims_carrying_the_number_inside_the_range(store: Store) -> None:
    with store.transaction() as s:
        upsert_authorization(s, _auth(), source="manual")
        upsert_claim(s, make_claim("C1", day=D(2026, 2, 1), units=1, prior_auth="AUTH-1"), "csv")
        upsert_claim(s, make_claim("C2", day=D(2026, 3, 1), units=2, prior_auth="AUTH-1", lines=2), "csv")
        upsert_claim(s, make_claim("C-NO-REF", day=D(2026, 3, 5), units=1), "csv")
        upsert_claim(s, make_claim("C-VOID", day=D(2026, 3, 9), prior_auth="AUTH-1", frequency="8"), "csv")
        upsert_claim(s, make_claim("C-AFTER", day=D(2026, 8, 1), prior_auth="AUTH-1"), "csv")
        denied, _ = upsert_claim(s, make_claim("C-DENIED", day=D(2026, 4, 1), prior_auth="AUTH-1"), "csv")
        s.add(RemittanceRow(claim_id="C-DENIED", payer_id="PAYER-A", status="4", claim_pk=denied, source="835"))
    (auth,) = load_history(store, "PAT-1", D(2026, 5, 1)).authorizations
    assert auth.used_units == 3  # C1 (1) + C2's J3420 line (2); the 96372 line is another code
    assert auth.units_left == 1
    (again,) = load_history(store, "PAT-1", D(2026, 5, 1), exclude_claim="C2").authorizations
    assert again.used_units == 1


def test_authorizations_of_other_patients_stay_out_and_updates_replace(store: Store) -> None:
    with store.transaction() as s:
        upsert_authorization(s, _auth("A-OTHER", patient_key="PAT-2"), source="manual")
        upsert_authorization(s, _auth("A-MINE"), source="manual")
        assert upsert_authorization(s, _auth("A-MINE"), source="manual")[1] == "unchanged"
        assert upsert_authorization(s, _auth("A-MINE", units=8), source="pas")[1] == "updated"
    auths = load_history(store, "PAT-1", D(2026, 5, 1)).authorizations
    assert [(a.number, a.approved_units) for a in auths] == [("A-MINE", 8)]


def test_expiry_warning_lists_approved_authorizations_ending_within_30_days(store: Store) -> None:
    with store.transaction() as s:
        upsert_authorization(s, _auth("SOON", end=D(2026, 3, 20)), source="manual")
        upsert_authorization(s, _auth("LATER", end=D(2026, 9, 1)), source="manual")
        upsert_authorization(s, _auth("GONE", end=D(2026, 2, 1)), source="manual")
        upsert_authorization(s, _auth("DENIED", end=D(2026, 3, 10), status="denied"), source="manual")
        auths = list_authorizations(s)
    assert [a.number for a in expiring(auths, D(2026, 3, 1))] == ["SOON"]


def test_record_check_keeps_the_report_and_predicted_carcs(store: Store) -> None:
    claim = make_claim("C-CHK")
    source = Source("L33967", "Vitamin B12 Injections")
    finding = Finding("dx.not-covered", "error", 1, "No covered diagnosis", "CO-50", ("N115",), None, source)
    report = Report("C-CHK", "deny", PriorAuthDecision("not-required", ()), (finding, finding), ())
    check_id = record_check(store, claim, report)
    with store.transaction(write=False) as s:
        row = s.get_one(CheckRow, check_id)
        assert (row.verdict, row.carcs, row.claim_pk) == ("deny", "CO-50", None)
        assert json.loads(row.report)["findings"][0]["rarc"] == ["N115"]
        assert s.scalar(select(func.count()).select_from(ClaimRow)) == 0
    record_check(store, claim, report, as_history=True)
    assert [c.id for c in load_history(store, "PAT-1", D(2026, 3, 2)).claims] == ["C-CHK"]


def test_policy_and_code_list_imports_are_recorded(store: Store) -> None:
    from preclaim.store import list_imports, record_import

    record_import(store, "code-list", "lists/A57755.csv", sha256="ab" * 32, added=120)
    record_import(store, "policy", "my-policies/", added=2, updated=1)
    assert [(r.kind, r.source, r.added, r.status) for r in list_imports(store)] == [
        ("policy", "my-policies/", 2, "done"),
        ("code-list", "lists/A57755.csv", 120, "done"),
    ]
