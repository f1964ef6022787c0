"""The history store: claims, administrations, payments, authorizations and checks (SQLite or PostgreSQL).

from preclaim.store import Store, load_history, record_check
with Store.open() as store:                        # $PRECLAIM_DB, else SQLite in the data directory
    history = load_history(store, "PAT-1", claim.first_date_of_service)
    report = engine.check(claim, history, as_of=today)
    record_check(store, claim, report)
"""

from preclaim.store.db import Store, default_url
from preclaim.store.history import StoreHistory, load_history, predicted_carcs, record_check
from preclaim.store.ingest import ImportResult, import_history_file, list_imports, record_import

__all__ = [
    "ImportResult",
    "Store",
    "StoreHistory",
    "default_url",
    "import_history_file",
    "list_imports",
    "load_history",
    "predicted_carcs",
    "record_check",
    "record_import",
]
