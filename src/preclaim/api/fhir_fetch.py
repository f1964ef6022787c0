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
from preclaim.api.problems import ApiError

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
        """`allowed`: fhirServer URL prefixes this EHR may send us to (empty = any): no SSRF via fhirServer."""
        self.client, self.timeout_s, self.allowed = client, timeout_s, allowed

    async def gather(self, request: HookRequest) -> FhirData:
        patient_id = str(request.context.get("patientId") or "")
        if not patient_id:
            raise ApiError(400, "invalid-context", "Invalid hook context", "context.patientId is required")
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
        base = (request.fhirServer or "").rstrip("/")
        required = [k for k, (_, req) in wanted.items() if req]
        if not base.startswith(("http://", "https://")):
            if required:
                raise precondition_failed(f"prefetch lacks {', '.join(required)} and no fhirServer was given")
            return {}
        if self.allowed and not any(base + "/" == p.rstrip("/") + "/" or base.startswith(p) for p in self.allowed):
            raise ApiError(
                400,
                "invalid-request",
                "fhirServer not allowed",
                "fhirServer is not on this EHR's fhir_servers allow-list",
            )
        headers = {"accept": "application/fhir+json"}
        if request.fhirAuthorization is not None:
            headers["authorization"] = f"Bearer {request.fhirAuthorization.access_token}"
        keys = list(wanted)
        results = await asyncio.gather(*(self._get(f"{base}/{wanted[k][0]}", headers) for k in keys))
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

    async def _get(self, url: str, headers: dict[str, str]) -> Any:
        """The decoded JSON, or a short reason string when the server cannot give it."""
        try:
            response = await self.client.get(url, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            return "not JSON"
