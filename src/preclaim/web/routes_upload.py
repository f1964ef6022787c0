"""Upload an 837P (checked in the background onto the worklist, with a progress page) or an 835 (denials with
their causes and an appeal letter per denied claim). Files of any size: the body streams to disk.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from preclaim.errors import PreclaimError
from preclaim.store.models import utcnow
from preclaim.store.models_web import BatchRow
from preclaim.web.deps import WebDeps, who
from preclaim.web.guard import guarded
from preclaim.web.render import HEADERS, page
from preclaim.web.routes_files import keep, read_payments, x12_kind

router = APIRouter(include_in_schema=False)
RESERVE = 200 * 1024 * 1024  # never fill the disk: keep this much free


def _save(source: BinaryIO, target: Path) -> int:
    """Copy the uploaded file to the uploads folder in 1 MB blocks; returns its size."""
    size = 0
    with target.open("wb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            out.write(block)
            size += len(block)
    return size


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)


def _context(web: WebDeps, **extra: Any) -> dict[str, Any]:
    return {"has_store": web.store is not None, "result": None, **extra}


@router.get("/upload")
@guarded(role="biller")
async def upload_page(request: Request, web: WebDeps) -> Response:
    return page(request, "upload.html", **_context(web, batches=await run_in_threadpool(_recent, web)))


def _recent(web: WebDeps) -> list[BatchRow]:
    from sqlalchemy import select

    with web.desk.transaction(write=False) as session:
        return list(session.scalars(select(BatchRow).order_by(BatchRow.id.desc()).limit(10)))


def _refuse(request: Request, web: WebDeps, status: int, error: str) -> Response:
    return page(request, "upload.html", status, error=error, **_context(web, batches=[]))


@router.post("/upload")
@guarded(role="biller")
async def upload(request: Request, web: WebDeps) -> Response:
    folder = web.folder() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    length = request.headers.get("content-length", "")
    free = shutil.disk_usage(folder).free - RESERVE
    if length.isdigit() and int(length) > free:
        mb = max(0, free) // 1_000_000
        return _refuse(request, web, 507, f"Not enough disk space for this file here ({mb} MB free).")
    form = await request.form(max_files=1, max_fields=5)
    item = form.get("file")
    if not isinstance(item, UploadFile) or not item.filename:
        return _refuse(request, web, 422, "Choose an 837P or 835 file to upload.")
    name = Path(item.filename).name[:200]
    target = folder / f"{secrets.token_hex(8)}.x12"
    size = await run_in_threadpool(_save, item.file, target)
    kind = x12_kind(await run_in_threadpool(_head, target))
    wants_keep = bool(form.get("keep")) and web.store is not None
    if kind == "837":
        batch_id = await run_in_threadpool(_new_batch, web, who(request).actor, name, target, size, wants_keep)
        web.jobs.submit(batch_id)
        return RedirectResponse(f"/batches/{batch_id}", status_code=303)
    try:
        if kind != "835":
            return _refuse(request, web, 422, f"{name}: not an X12 837P or 835 (the file must start with ISA).")
        return await _remittance(request, web, name, target, wants_keep)
    finally:
        target.unlink(missing_ok=True)


def _new_batch(web: WebDeps, actor: str, name: str, path: Path, size: int, keep_it: bool) -> int:
    with web.desk.transaction() as session:
        batch = BatchRow(
            filename=name, path=str(path), size=size, as_of=web.today(), uploaded_by=actor, keep=keep_it, message=""
        )
        session.add(batch)
        session.flush()
        batch_id = batch.id
    web.audit(actor, "upload", f"batch {batch_id}", f"{name}, {size} bytes")
    return batch_id


async def _remittance(request: Request, web: WebDeps, name: str, path: Path, wants_keep: bool) -> Response:
    context = _context(web, batches=[])
    try:
        data = await run_in_threadpool(path.read_bytes)
        context["payments"] = await run_in_threadpool(read_payments, data)
        if wants_keep:
            context["kept"] = await run_in_threadpool(keep, web, data, "835")
    except PreclaimError as exc:
        return page(request, "upload.html", 422, error=f"{name}: {exc}", **context)
    await run_in_threadpool(web.audit, who(request).actor, "upload", "835", f"{name}, {len(data)} bytes")
    context["result"] = "835"
    return page(request, "upload.html", filename=name, **context)


def progress(batch: BatchRow, now: dt.datetime) -> dict[str, Any]:
    """Claims done, share of the file read, and the time left at the pace so far."""
    started = batch.started_at if batch.started_at.tzinfo else batch.started_at.replace(tzinfo=dt.UTC)
    elapsed = max(0.0, (now - started).total_seconds())
    share = min(1.0, batch.bytes_done / batch.size) if batch.size else 0.0
    if batch.status == "done":
        share = 1.0
    eta = round(elapsed * (1 - share) / share) if 0 < share < 1 else None
    return {
        "id": batch.id,
        "status": batch.status,
        "filename": batch.filename,
        "claims_done": batch.claims_done,
        "unreadable": batch.rejected,
        "percent": round(share * 100),
        "eta_seconds": eta,
        "message": batch.message,
        "worklist": f"/worklist?batch={batch.id}",
    }


def _batch(web: WebDeps, batch_id: int) -> BatchRow | None:
    with web.desk.transaction(write=False) as session:
        found: BatchRow | None = session.get(BatchRow, batch_id)
        return found


@router.get("/batches/{batch_id}")
@guarded(role="biller")
async def batch_page(request: Request, web: WebDeps, batch_id: int) -> Response:
    batch = await run_in_threadpool(_batch, web, batch_id)
    if batch is None:
        return page(request, "message.html", 404, title="No such upload", message=f"There is no upload {batch_id}.")
    return page(request, "batch.html", batch=batch, p=progress(batch, utcnow()))


@router.get("/batches/{batch_id}/progress")
@guarded(role="biller")
async def batch_progress(request: Request, web: WebDeps, batch_id: int) -> Response:
    batch = await run_in_threadpool(_batch, web, batch_id)
    if batch is None:
        return JSONResponse({"status": "missing"}, status_code=404, headers=HEADERS)
    return JSONResponse(progress(batch, utcnow()), headers=HEADERS)
