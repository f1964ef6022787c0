"""Gather the FHIR data a hook needs: prefetch first, then the EHR's FHIR server, else 412.

Prefetch semantics (CDS Hooks 2.0 §prefetch): a missing key means "not fulfilled" (so we query the server);
`null` means "there is no such data" (so we do not).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from preclaim.api.cds_models import HookRequest
from preclaim.api.fhir_codes import LOINC_SERUM_B12, Resource, dicts
from preclaim.api.fhir_urls import FhirBase, UnsafeUrl, allow_list_entry, check_fhir_id, parse_base
from preclaim.api.problems import ApiError
from preclaim.errors import InputError
from preclaim.io.json_guard import check_json_depth

_MISSING = object()


@dataclass
class FhirData:
    patient: Resource | None = None
    coverages: list[Resource] = field(default_factory=list)
    observations: list[Resource] = field(default_factory=list)
    related: dict[str, Resource] = field(default_factory=dict)  # "Type/id" -> resource

    def add(self, resource: Any) -> None:
        for item in resources_in(resource):
            if item.get("resourceType") and item.get("id"):
                self.related.setdefault(f"{item['resourceType']}/{item['id']}", item)


def resources_in(value: Any) -> list[Resource]:
    """A resource, or the resources of a Bundle's entries."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        return [e["resource"] for e in dicts(value.get("entry")) if isinstance(e.get("resource"), dict)]
    return [value]


def queries(patient_id: str) -> dict[str, tuple[str, bool]]:
    """prefetch key -> (relative FHIR query, required?)."""
    return {
        "patient": (f"Patient/{patient_id}", True),
        "coverage": (f"Coverage?patient={patient_id}&status=active", True),
        "b12Lab": (
            f"Observation?patient={patient_id}&code=http://loinc.org|{LOINC_SERUM_B12}&_sort=-date&_count=3",
            False,
        ),
    }


def precondition_failed(detail: str) -> ApiError:
    return ApiError(412, "precondition-failed", "Precondition Failed", detail)


class FhirGatherer:
    def __init__(self, client: httpx.AsyncClient, timeout_s: float, allowed: tuple[str, ...] = ()) -> None:
        """`allowed`: fhirServer base URLs this EHR may send us to, with what is below them (empty = any).
        The EHR's access token and the patient id go to no other server (see fhir_urls.py)."""
        self.client, self.timeout_s, self.allowed = client, timeout_s, allowed

    async def gather(self, request: HookRequest) -> FhirData:
        patient_id = str(request.context.get("patientId") or "")
        if not patient_id:
            raise ApiError(400, "invalid-context", "Invalid hook context", "context.patientId is required")
        try:  # it goes into FHIR query paths: `../..` or `?x=` must not change what is read, or from where
            check_fhir_id(patient_id, "context.patientId")
        except UnsafeUrl as exc:
            raise ApiError(400, "invalid-context", "Invalid hook context", str(exc)) from None
        prefetch = request.prefetch or {}
        data = FhirData()
        for key in ("draftOrders", "appointments"):
            data.add(request.context.get(key))
        wanted = {k: q for k, q in queries(patient_id).items() if prefetch.get(k, _MISSING) is _MISSING}
        fetched = await self._fetch_all(request, wanted) if wanted else {}
        found = {**{k: v for k, v in prefetch.items() if v is not None}, **fetched}
        for value in found.values():
            data.add(value)
        patients = [r for r in resources_in(found.get("patient")) if r.get("resourceType") == "Patient"]
        data.patient = patients[0] if patients else None
        data.coverages = [r for r in resources_in(found.get("coverage")) if r.get("resourceType") == "Coverage"]
        data.observations = [
            r for v in found.values() for r in resources_in(v) if r.get("resourceType") == "Observation"
        ]
        return data

    async def _fetch_all(self, request: HookRequest, wanted: dict[str, tuple[str, bool]]) -> dict[str, Any]:
        raw = request.fhirServer or ""
        required = [k for k, (_, req) in wanted.items() if req]
        if not raw.lower().startswith(("http://", "https://")):
            if required:
                raise precondition_failed(f"prefetch lacks {', '.join(required)} and no fhirServer was given")
            return {}
        base = self.server(raw)
        headers = {"accept": "application/fhir+json"}
        if request.fhirAuthorization is not None:
            headers["authorization"] = f"Bearer {request.fhirAuthorization.access_token}"
        try:
            urls = {k: base.url(query) for k, (query, _) in wanted.items()}
        except UnsafeUrl as exc:
            raise _refused(str(exc)) from None
        keys = list(wanted)
        results = await asyncio.gather(*(self._get(urls[k], headers) for k in keys))
        out: dict[str, Any] = {}
        failed: list[str] = []
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, str):
                if wanted[key][1]:
                    failed.append(f"{key} ({result})")
                continue
            out[key] = result
        if failed:
            raise precondition_failed(f"could not read from the FHIR server: {', '.join(failed)}")
        return out

    def server(self, raw: str) -> FhirBase:
        """The parsed fhirServer, when it is a clean base URL within an allow-list entry (no list: any)."""
        try:
            base = parse_base(raw)
        except UnsafeUrl as exc:
            raise _refused(f"fhirServer is refused: {exc}") from None
        if self.allowed and not any(base.within(allow_list_entry(entry)) for entry in self.allowed):
            raise _refused("fhirServer is not on this EHR's fhir_servers allow-list")
        return base

    async def _get(self, url: str, headers: dict[str, str]) -> Any:
        """The decoded JSON, or a short reason string when the server cannot give it."""
        try:
            response = await self.client.get(url, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        try:
            check_json_depth(response.content, where="FHIR response")
            return msgspec.json.decode(response.content)
        except InputError:
            return "JSON nested too deep"
        except msgspec.DecodeError:
            return "not JSON"


def _refused(detail: str) -> ApiError:
    return ApiError(400, "invalid-request", "fhirServer not allowed", detail)
