"""The web pages as one FastAPI router: `preclaim.web.router:router`, included by preclaim.api.create_app.

Pages: / (claim form), /upload, /checklist (+ .pdf), /policies, /codes/{code}, /authorizations, /dashboard,
/letters/necessity.pdf and /letters/appeal.pdf (form posts), /login. JSON for the form: /web-api/icd10.
"""

from __future__ import annotations

from fastapi import APIRouter

from preclaim.web import (
    routes_admin,
    routes_auth,
    routes_claim,
    routes_export,
    routes_files,
    routes_item,
    routes_library,
    routes_records,
    routes_upload,
    routes_worklist,
)

router = APIRouter(include_in_schema=False)
router.include_router(routes_claim.router)
router.include_router(routes_library.router)
router.include_router(routes_files.router)
router.include_router(routes_upload.router)
router.include_router(routes_export.router)
router.include_router(routes_worklist.router)
router.include_router(routes_item.router)
router.include_router(routes_admin.router)
router.include_router(routes_records.router)
router.include_router(routes_auth.router)
