"""Exports of the worklist's current view (CSV, Excel) and a zip of letters for the selected claims.

Exports read the view in chunks (a 100,000-row CSV never sits in memory); each export is in the audit trail.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from preclaim.store.worklist import iter_view
from preclaim.web.deps import WebDeps, who
from preclaim.web.guard import guarded
from preclaim.web.render import HEADERS, page
from preclaim.web.routes_worklist import selected_ids
from preclaim.web.words import PRIOR_AUTH, STATUS, VERDICT, day, when
from preclaim.web.worklist_view import parse_filter

router = APIRouter(include_in_schema=False)
COLUMNS = (
    "Claim number", "Patient reference", "Member ID", "Date of service", "Payer ID", "Payer", "Billing NPI",
    "Charge", "Verdict", "Top problem code", "Top problem", "Prior authorization", "Status", "Status note",
    "Status changed by", "Status changed", "Upload",
)  # fmt: skip


def _cells(row: Any) -> list[Any]:
    return [
        row.claim_id,
        row.patient_key,
        row.member_id,
        day(row.first_date_of_service),
        row.payer_id,
        row.payer_name,
        row.provider_npi,
        float(row.charge) if row.charge is not None else None,
        VERDICT.get(row.verdict, row.verdict),
        row.top_carc,
        row.top_message,
        PRIOR_AUTH.get(row.pa_status, row.pa_status),
        STATUS.get(row.status, row.status),
        row.status_note,
        row.status_by,
        when(row.status_at),
        row.batch_id or "",
    ]


def _safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (=, +, -, @ first) is quoted: CSV injection."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_chunks(web: WebDeps, request: Request) -> Iterator[bytes]:
    chosen, _ = parse_filter(request.query_params)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    with web.desk.transaction(write=False) as session:
        for n, row in enumerate(iter_view(session, chosen), start=1):
            writer.writerow([_safe(c) if c is not None else "" for c in _cells(row)])
            if n % 1000 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


@router.get("/worklist/export.csv")
@guarded(role="biller")
async def export_csv(request: Request, web: WebDeps) -> Response:
    await run_in_threadpool(web.audit, who(request).actor, "export", "worklist", f"csv: {request.url.query[:150]}")
    headers = {**HEADERS, "content-disposition": f'attachment; filename="worklist-{web.today().isoformat()}.csv"'}
    return StreamingResponse(_csv_chunks(web, request), media_type="text/csv; charset=utf-8", headers=headers)


def _xlsx(web: WebDeps, request: Request, path: str) -> int:
    import xlsxwriter

    chosen, _ = parse_filter(request.query_params)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Worklist")
    bold, dollars = book.add_format({"bold": True}), book.add_format({"num_format": "$#,##0.00"})
    sheet.write_row(0, 0, COLUMNS, bold)
    sheet.set_column(0, 2, 16)
    sheet.set_column(10, 10, 60)
    rows = 0
    with web.desk.transaction(write=False) as session:
        for rows, row in enumerate(iter_view(session, chosen), start=1):
            for col, value in enumerate(_cells(row)):
                if value is None or value == "":
                    continue
                if col == 7:
                    sheet.write_number(rows, col, value, dollars)
                else:
                    sheet.write_string(rows, col, str(value))
    sheet.autofilter(0, 0, max(rows, 1), len(COLUMNS) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return rows


@router.get("/worklist/export.xlsx")
@guarded(role="biller")
async def export_xlsx(request: Request, web: WebDeps) -> Response:
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        message = "Excel export needs the web extra: pip install 'preclaim[web]'. CSV export works without it."
        return page(request, "message.html", 501, title="Excel export is not installed", message=message)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - removed after sending
    handle.close()
    rows = await run_in_threadpool(_xlsx, web, request, handle.name)
    await run_in_threadpool(web.audit, who(request).actor, "export", "worklist", f"xlsx, {rows} rows")
    import os

    return FileResponse(
        handle.name,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"worklist-{web.today().isoformat()}.xlsx",
        headers={k: v for k, v in HEADERS.items() if k != "content-security-policy"},
        background=BackgroundTask(os.unlink, handle.name),
    )


@router.post("/worklist/letters.zip")
@guarded(role="biller")
async def letters_zip(request: Request, web: WebDeps) -> Response:
    from preclaim.web.letter_pack import letters_for_items

    form = await request.form(max_files=0, max_fields=600)
    ids = selected_ids(form)
    if not ids:
        return page(request, "message.html", 422, title="No letters", message="Select at least one claim.")
    data, made = await run_in_threadpool(letters_for_items, web, ids)
    await run_in_threadpool(
        web.audit, who(request).actor, "letters", "worklist", f"{made} letters for {len(ids)} claims"
    )
    headers = {**HEADERS, "content-disposition": f'attachment; filename="letters-{web.today().isoformat()}.zip"'}
    return Response(data, media_type="application/zip", headers=headers)
