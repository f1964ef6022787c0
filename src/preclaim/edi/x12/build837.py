"""Turn the raw segments of an 837P claim (loops 2300/2400/2410) into a domain Claim.

Hot path: one pass over the claim's segments, values parsed with small caches (dates, amounts, dx
pointers and diagnoses repeat across a batch), parent-loop facts parsed once per HL loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, Payer, Provider, ServiceLine
from preclaim.domain.limits import ICD_CODE, IDENTIFIER, SHORT_CODE, TEXT, Bound, amount_problem, out_of_bounds, preview
from preclaim.edi.x12.loops import Loop
from preclaim.edi.x12.tokenizer import Segment

_DX_SYSTEMS: Final[dict[str, Literal["icd10", "icd9"]]] = {
    "ABK": "icd10",
    "ABF": "icd10",
    "BK": "icd9",
    "BF": "icd9",
}
# Final: compiled (mypyc), a Final module name is a C static or a constant, not a lookup in the module dict
_SEX: Final = {"F": "F", "M": "M", "U": "U"}
CACHE_LIMIT: Final = 50_000
# Loop 2400/2410 segments: before the claim's CLM (in a parent HL loop or the transaction header) they
# belong to no claim, and dropping them would check the claim without a line it was meant to have.
SERVICE_SEGMENTS: Final = frozenset({"LX", "SV1", "DTP", "LIN", "CTP"})


class Malformed(Exception):
    """A claim-level problem: which segment of the claim (index), element, what was found and expected.

    `at` places a problem found in a parent loop: (segment number in the file, segment id).
    """

    def __init__(
        self,
        message: str,
        index: int,
        element: int | None,
        found: str,
        expected: str,
        at: tuple[int, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.index, self.element = message, index, element
        self.found, self.expected, self.at = found, expected, at


# Plain slotted classes, not msgspec Structs: mypyc compiles this module and makes them native classes
# (msgspec needs class annotations that a compiled module does not keep).
@dataclass(slots=True, eq=False)
class BillingInfo:
    provider: Provider


@dataclass(slots=True, eq=False, init=False)  # its own __init__: compiled, not the generated Python one
class SubscriberInfo:  # made once per subscriber loop
    payer: Payer | None
    member_id: str | None
    filing_indicator: str | None
    plan: str | None
    patient: Patient  # the subscriber as patient (used when there is no 2000C loop)

    def __init__(
        self,
        payer: Payer | None,
        member_id: str | None,
        filing_indicator: str | None,
        plan: str | None,
        patient: Patient,
    ) -> None:
        self.payer = payer
        self.member_id = member_id
        self.filing_indicator = filing_indicator
        self.plan = plan
        self.patient = patient

    def __reduce__(self) -> tuple[type[SubscriberInfo], tuple[Any, ...]]:  # pickled through __init__, as Loop
        return SubscriberInfo, (self.payer, self.member_id, self.filing_indicator, self.plan, self.patient)


DATES: Final[dict[str, dt.date]] = {}
AMOUNTS: Final[dict[str, Decimal]] = {}
POINTERS: Final[dict[tuple[str, str], tuple[int, ...]]] = {}
_diagnoses: Final[dict[str, dict[str, Diagnosis]]] = {}


def parse_date(text: str, index: int = 0, element: int | None = None) -> dt.date:
    day = DATES.get(text)
    if day is None:
        try:
            if len(text) != 8 or not text.isdigit():
                raise ValueError
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise Malformed("invalid date", index, element, text, "CCYYMMDD") from None
        if len(DATES) > CACHE_LIMIT:
            DATES.clear()
        DATES[text] = day
    return day


def parse_amount(text: str, index: int, element: int) -> Decimal:
    amount = AMOUNTS.get(text)
    if amount is None:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise Malformed("invalid amount", index, element, preview(text), "a decimal number") from None
        problem = amount_problem(amount)
        if problem is not None:  # 1E999999999 would be stored as inf and overflow every sum
            raise Malformed(f"invalid amount ({problem})", index, element, preview(text), "a decimal number")
        if len(AMOUNTS) > CACHE_LIMIT:
            AMOUNTS.clear()
        AMOUNTS[text] = amount
    return amount


_keys: Final[dict[tuple[str | None, ...], str]] = {}


def patient_key(*parts: str | None) -> str:
    """Pseudonymous key: a hash of identifiers, so no name or member id can be read back from it."""
    key = _keys.get(parts)
    if key is None:
        if len(_keys) > CACHE_LIMIT:
            _keys.clear()
        text = "|".join([p or "" for p in parts])
        key = _keys[parts] = "pk-" + hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
    return key


def billing_info(loop: Loop) -> BillingInfo:
    npi = name = state = taxonomy = None
    for i, seg in enumerate(loop.segments):
        tag = seg[0]
        if tag == "NM1" and _el(seg, 1) == "85":
            name = _bounded(loop, i, 3, TEXT)
            npi = _bounded(loop, i, 9, IDENTIFIER) if _el(seg, 8) == "XX" else None
        elif tag == "N4" and state is None:
            state = _bounded(loop, i, 2, IDENTIFIER)
        elif tag == "PRV" and _el(seg, 1) == "BI":
            taxonomy = _bounded(loop, i, 3, IDENTIFIER)
        elif tag in SERVICE_SEGMENTS:
            raise stray_service_segment(loop.number + i, tag)
    return BillingInfo(Provider(npi=npi, name=name, state=state, taxonomy=taxonomy))


_ID_MAX: Final = IDENTIFIER.most
_TEXT_MAX: Final = TEXT.most
_SHORT_MAX: Final = SHORT_CODE.most


def _stray(loop: Loop) -> None:
    """Malformed for the first service-line segment of a parent loop."""
    for i, seg in enumerate(loop.segments):
        if seg[0] in SERVICE_SEGMENTS:
            raise stray_service_segment(loop.number + i, seg[0])


def _dependent_bounds(loop: Loop) -> None:
    for i, seg in enumerate(loop.segments):
        if seg[0] == "NM1" and _el(seg, 1) == "QC":
            _bounded(loop, i, 3, TEXT)
            _bounded(loop, i, 4, TEXT)


def _subscriber_bounds(loop: Loop) -> None:
    """Malformed naming the subscriber loop element out of bounds (the slow path of subscriber_info)."""
    for i, seg in enumerate(loop.segments):
        if seg[0] == "NM1" and seg[1:2] in (["IL"], ["PR"]):
            _bounded(loop, i, 9, IDENTIFIER)
            _bounded(loop, i, 3, TEXT)
        elif seg[0] == "SBR":
            _bounded(loop, i, 9, IDENTIFIER)
            _bounded(loop, i, 4, TEXT)


def stray_service_segment(number: int, tag: str) -> Malformed:
    return Malformed(
        f"{tag} before the claim's CLM: a service line segment outside a claim",
        0,
        None,
        tag,
        f"{tag} in loop 2300/2400, after CLM",
        (number, tag),
    )


def _bounded(loop: Loop, index: int, position: int, bound: Bound) -> str | None:
    """Element `position` of the loop's segment `index` (None when empty), refused when out of bounds."""
    seg = loop.segments[index]
    value = seg[position] if len(seg) > position and seg[position] else None
    if value is not None and (problem := out_of_bounds(value, bound)):
        at = (loop.number + index, seg[0])
        raise Malformed("element out of bounds", 0, position, preview(value), problem, at)
    return value


def subscriber_info(loop: Loop) -> SubscriberInfo:
    payer = member = filing = plan = birth = sex = None
    payer_id: str | None = None
    payer_name: str | None = None
    for seg in loop.segments:
        tag = seg[0]
        if tag == "NM1":
            n = len(seg)
            if n > 1:
                if seg[1] == "IL":
                    member = seg[9] if n > 9 and seg[9] else None
                elif seg[1] == "PR":
                    payer_id, payer_name = seg[9] if n > 9 else "", seg[3] if n > 3 and seg[3] else None
        elif tag == "SBR":
            n = len(seg)
            filing = seg[9] if n > 9 and seg[9] else None
            plan = seg[4] if n > 4 and seg[4] else None  # SBR04 plan name; SBR03 is a group number
        elif tag == "DMG":
            birth, sex = _dmg(loop, seg)
        elif tag in SERVICE_SEGMENTS:
            _stray(loop)
    # Plain comparisons on the hot path (a tuple or map here would cost more than the rest of the loop in
    # garbage collections); the claim JSON holds SBR09 to 3 characters, here it need only not be garbage.
    # The slow path checks each value against its own bound and names the one out of it.
    if (
        len(member or "") > _ID_MAX
        or len(payer_id or "") > _ID_MAX
        or len(payer_name or "") > _ID_MAX
        or len(plan or "") > _ID_MAX
        or len(filing or "") > _ID_MAX
    ):
        _subscriber_bounds(loop)
    if payer_id is not None:
        payer = _payer(payer_id, payer_name)
    if member is None:  # without it every such claim would share one patient's history
        where = next((i for i, seg in enumerate(loop.segments) if seg[:2] == ["NM1", "IL"]), None)
        at = (loop.number + (where or 0), "NM1" if where is not None else "HL")
        raise Malformed("subscriber member id missing", 0, 9 if where else None, "nothing", "NM1*IL NM109", at)
    return SubscriberInfo(payer, member, filing, plan, _subscriber_patient(payer_id, member, birth, sex))


_PatientFacts = tuple[str | None, str, dt.date | None, str | None]
_patients: Final[dict[_PatientFacts, Patient]] = {}
_PATIENTS_LIMIT: Final = 16_384  # about 4 MB at most


def _subscriber_patient(payer_id: str | None, member: str, birth: dt.date | None, sex: str | None) -> Patient:
    """The subscriber as patient, one object per distinct facts (a patient's claims share it): one lookup
    instead of the key's lookup and a new Struct per subscriber loop."""
    facts = (payer_id, member, birth, sex)
    patient = _patients.get(facts)
    if patient is None:
        if len(_patients) >= _PATIENTS_LIMIT:
            _patients.clear()
        key = patient_key(payer_id, member)
        patient = _patients[facts] = Patient(key, birth, sex, member)  # type: ignore[arg-type]
    return patient


_payers: Final[dict[tuple[str, str | None], Payer]] = {}
_providers: Final[dict[tuple[str | None, str | None], Provider]] = {}


def _payer(payer_id: str, name: str | None) -> Payer:
    payer = _payers.get((payer_id, name))
    if payer is None:
        if len(_payers) > CACHE_LIMIT:
            _payers.clear()
        payer = _payers[(payer_id, name)] = Payer(id=payer_id, name=name)
    return payer


def rendering_provider(npi: str | None, taxonomy: str | None) -> Provider:
    provider = _providers.get((npi, taxonomy))
    if provider is None:
        if len(_providers) > CACHE_LIMIT:
            _providers.clear()
        provider = _providers[(npi, taxonomy)] = Provider(npi=npi, taxonomy=taxonomy)
    return provider


def patient_of(loop: Loop, subscriber: SubscriberInfo) -> Patient:
    """A dependent (2000C): keyed by the subscriber's ids plus a hash of the dependent's name and birth."""
    last = first = None
    birth = sex = None
    for seg in loop.segments:
        if seg[0] == "NM1" and _el(seg, 1) == "QC":
            last, first = _el(seg, 3), _el(seg, 4)
        elif seg[0] == "DMG":
            birth, sex = _dmg(loop, seg)
        elif seg[0] in SERVICE_SEGMENTS:
            _stray(loop)
    if len(last or "") > _TEXT_MAX or len(first or "") > _TEXT_MAX:
        _dependent_bounds(loop)
    payer_id = subscriber.payer.id if subscriber.payer else None
    key = patient_key(payer_id, subscriber.member_id, (last or "").upper(), (first or "").upper(), str(birth))
    return Patient(key=key, birth_date=birth, sex=sex, member_id=subscriber.member_id)  # type: ignore[arg-type]


def _dmg(loop: Loop, seg: Segment) -> tuple[dt.date | None, str | None]:
    """Birth date and sex; an impossible birth date is refused, not read as unknown (the age rules need it)."""
    n = len(seg)
    birth = None
    if n > 2 and seg[1] == "D8" and seg[2]:
        birth = DATES.get(seg[2])
        if birth is None:
            try:
                birth = parse_date(seg[2])
            except Malformed:
                at = (loop.number + loop.segments.index(seg), "DMG")
                raise Malformed("invalid birth date", 0, 2, preview(seg[2]), "CCYYMMDD", at) from None
    return birth, _SEX.get(seg[3]) if n > 3 else None


def _el(seg: Segment, position: int) -> str | None:
    return seg[position] if len(seg) > position and seg[position] else None


def diagnosis_cache(comp: str) -> dict[str, Diagnosis]:
    """HI values already decoded, per component separator (the same text means another thing elsewhere)."""
    cache = _diagnoses.get(comp)
    if cache is None or len(cache) > CACHE_LIMIT:
        cache = _diagnoses[comp] = {}
    return cache


def diagnoses(seg: Segment, index: int, comp: str) -> list[Diagnosis]:
    cache = _diagnoses.get(comp)
    if cache is None or len(cache) > CACHE_LIMIT:
        cache = diagnosis_cache(comp)
    if len(seg) == 2 and seg[1] in cache:  # the usual HI: one diagnosis seen before
        return [cache[seg[1]]]
    found = []
    for position in range(1, len(seg)):
        value = seg[position]
        dx = cache.get(value)
        if dx is None:
            qualifier, _, code = value.partition(comp)
            system = _DX_SYSTEMS.get(qualifier)
            if system is None:
                continue  # other HI uses (condition codes, anesthesia) are not diagnoses
            if not code:
                raise Malformed("diagnosis code missing", index, position, value, f"{qualifier}{comp}<code>")
            code = code.split(comp, 1)[0]
            if problem := out_of_bounds(code, ICD_CODE):  # a 300 KB code is refused here, before any rule
                raise Malformed("invalid diagnosis code", index, position, preview(value), problem)
            dx = cache[value] = Diagnosis(code=code, system=system)
        found.append(dx)
    return found


def pointers(text: str, comp: str, index: int) -> tuple[int, ...]:
    result = POINTERS.get((comp, text))
    if result is None:
        if len(POINTERS) > CACHE_LIMIT:
            POINTERS.clear()
        try:
            result = tuple(int(p) for p in text.split(comp) if p)
        except ValueError:
            raise Malformed("invalid diagnosis pointer", index, 7, text, "numbers 1-12") from None
        POINTERS[(comp, text)] = result
    return result


_ndcs: Final[dict[tuple[str, ...], Ndc]] = {}


def ndc_of(lin: Segment, ctp: Segment | None, comp: str) -> Ndc:
    code = lin[3] if len(lin) > 3 else ""
    key: tuple[str, ...]
    if ctp is None:
        key = (comp, code)
    elif len(ctp) > 5:  # the usual CTP: a fixed-size tuple, no slice and unpacking
        key = (comp, code, ctp[4], ctp[5])
    else:
        key = (comp, code, *ctp[4:6])
    ndc = _ndcs.get(key)
    if ndc is None:
        if len(_ndcs) > CACHE_LIMIT:
            _ndcs.clear()
        ndc = _ndcs[key] = _make_ndc(lin, ctp, comp)
    return ndc


def _make_ndc(lin: Segment, ctp: Segment | None, comp: str) -> Ndc:
    quantity = unit = None
    if ctp is not None:
        if len(ctp) > 4 and ctp[4]:
            try:
                quantity = float(ctp[4])
            except ValueError:
                quantity = None
            if quantity is not None and not math.isfinite(quantity):
                quantity = None  # float() takes nan, inf and 1e400: reported as a missing NDC quantity
        unit = ctp[5].split(comp, 1)[0] if len(ctp) > 5 and ctp[5] else None
    return Ndc(code=lin[3] if len(lin) > 3 else "", quantity=quantity, unit=unit)


__all__ = ["BillingInfo", "Claim", "Malformed", "ServiceLine", "SubscriberInfo"]
