"""835 payments in the store: linked to the claims they answer, idempotent, and feeding units consumed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from store_helpers import DENIED_K2, PAID_K1, make_claim, x12_835

from preclaim.domain import Authorization
from preclaim.store import Store, import_history_file, load_history
from preclaim.store.auth import upsert_authorization
from preclaim.store.claims import upsert_claim
from preclaim.store.models import AdjustmentRow, RemittanceLineRow, RemittanceRow


def _file(tmp_path: Path, text: str, name: str = "era.835") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_835_payments_link_to_their_claims_and_a_second_import_adds_nothing(store: Store, tmp_path: Path) -> None:
    with store.transaction() as s:
        upsert_claim(s, make_claim("CLM-1", day=dt.date(2026, 3, 2), lines=2), "837")
        upsert_claim(s, make_claim("CLM-1", day=dt.date(2025, 1, 9)), "837")  # CLM01 reused on another date
    path = _file(tmp_path, x12_835([PAID_K1, DENIED_K2]))
    (first,) = import_history_file(store, path)
    assert (first.added, first.counts["linked"]) == (2, 1)
    (again,) = import_history_file(store, path)
    assert (again.added, again.unchanged) == (0, 2)
    with store.transaction(write=False) as s:
        rows = {r.claim_id: r for r in s.scalars(select(RemittanceRow))}
        assert rows["CLM-1"].claim_pk is not None and rows["CLM-2"].claim_pk is None
        assert (rows["CLM-2"].status, rows["CLM-2"].payer_id, rows["CLM-2"].trace_number) == (
            "4",
            "PAYER-A",
            "EFT-7788",
        )
        adjustments = s.execute(
            select(RemittanceRow.claim_id, AdjustmentRow.group_code, AdjustmentRow.reason, RemittanceLineRow.code)
            .join(AdjustmentRow.remittance)
            .outerjoin(AdjustmentRow.line)
        ).all()
        remarks = s.scalars(select(RemittanceLineRow.remarks).where(RemittanceLineRow.code == "J3420")).all()
    assert sorted(adjustments) == [("CLM-1", "CO", "97", "96372"), ("CLM-2", "CO", "50", "J3420")]
    assert sorted(remarks) == ["", "N115"]


def test_a_claim_imported_after_its_payment_picks_it_up_and_denials_free_authorized_units(
    store: Store, tmp_path: Path
) -> None:
    import_history_file(store, _file(tmp_path, x12_835([DENIED_K2])))
    auth = Authorization("AUTH-5", "PAYER-A", "J3420", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 6, "PAT-1")
    with store.transaction() as s:
        upsert_authorization(s, auth, source="manual")
        upsert_claim(s, make_claim("CLM-2", day=dt.date(2026, 3, 3), units=2, prior_auth="AUTH-5"), "837")
        upsert_claim(s, make_claim("CLM-3", day=dt.date(2026, 3, 9), units=1, prior_auth="AUTH-5"), "837")
        assert s.scalar(select(RemittanceRow.claim_pk).where(RemittanceRow.claim_id == "CLM-2")) is not None
    (on_file,) = load_history(store, "PAT-1", dt.date(2026, 4, 1)).authorizations
    assert on_file.used_units == 1  # CLM-2 was denied (CLP02 4): its 2 units were not consumed
