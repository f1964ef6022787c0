"""Drug files: the YAML format (unknown keys are errors) and the loader that turns a file into a Drug, naming
the file and the key of every problem (unknown key, bad unit, malformed NDC, undeclared source). The format
is described in docs/drugs.md."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal, get_args

import msgspec
import yaml

from preclaim.codes.drug_model import (
    Drug,
    DrugPackage,
    LabTest,
    Route,
    Substance,
    UnclassifiedAlias,
)
from preclaim.codes.ndc import format_ndc_542, normalize_ndc
from preclaim.codes.types import VialKind
from preclaim.domain.quantity import Quantity, QuantityError, exact, unit_of
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError
from preclaim.io.yaml_guard import load_yaml

_HCPCS = re.compile(r"^[A-V]\d{4}$")
Tag = Literal["V", "S", "M", "?"]


class SourceDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: str
    url: str | None
    version: str | None  # null: the page carries no version or date
    accessed: str
    tag: Tag


class DescriptorDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    short: str
    source: str
    long: str | None = None  # Addendum B carries only the short descriptor


class BillingUnitDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    amount: float
    measure: str
    source: str
    up_to: bool = False  # "up to 1000 mcg" (J3420) rather than "per 15 mg": both count every started unit


class SubstanceDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    rxcui: str | int | None = None  # RxNorm ingredient concept, where one was found
    aliases: list[str] = []


class AliasDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str  # an unclassified code (J3490) billed for this drug, with the substance named in the description
    source: str
    since: dt.date | None = None
    until: dt.date | None = None  # last day the alias applies (the day before this code took effect)
    note: str | None = None


class PackageDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ndc: str  # 11 digits, 5-4-2 (hyphens optional)
    labeler: str
    package: str
    vial: VialKind
    source: str
    strength: str | None = None  # "1000 mcg/mL" (a solution) or "250 mg" (powder or kit, per container)
    volume_ml: float | None = None
    listed: str | None = None  # the labeler's 10-digit form as printed (0517-0031-25)
    listing: str | None = None  # the exact record read (an openFDA query URL, a DailyMed page)
    rxcui: str | int | None = None  # RxNorm clinical drug concept the listing names
    unit_of_use: bool = False  # the inner vial's NDC inside a carton
    note: str | None = None


class LabDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    loinc: str
    name: str
    unit: str
    source: str  # where the LOINC code was read
    low: float | None = None  # below this: deficient/low
    borderline: float | None = None  # from `low` up to this: borderline, confirm with another test
    high: float | None = None  # above this: raised
    thresholds_source: str | None = None
    note: str | None = None
    label: str | None = None  # how checklists name the test ("serum B12"); default: `name`
    keys: list[str] = []  # older input keys for this test (a lab `name` such as serum_b12), read as this LOINC


class DrugDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hcpcs: str
    descriptor: DescriptorDoc
    substances: list[SubstanceDoc]
    billing_unit: BillingUnitDoc
    routes: list[Route]
    routes_source: str
    sources: dict[str, SourceDoc]
    label: str | None = None  # how messages name the drug ("B12"); default: the first substance
    em_25_review: str | None = None  # source of a CMS review of the drug with 96372 and an E/M with modifier 25
    telehealth_source: str | None = None  # source saying 96372 and the drug's code are not telehealth services
    effective: dt.date | None = None
    effective_source: str | None = None
    aliases: list[AliasDoc] = []
    packages: list[PackageDoc] = []
    labs: list[LabDoc] = []
    not_found: list[str] = []  # facts searched for and not found in a public source
    note: str | None = None


_UNKNOWN = re.compile(r"Object contains unknown field `([^`]*)`")
_MISSING = re.compile(r"Object missing required field `([^`]*)`")
_ENUM = re.compile(r"Invalid enum value (.*)")
_CHOICES = {"routes": get_args(Route), "vial": get_args(VialKind), "tag": get_args(Tag)}


def _where(exc: msgspec.ValidationError, prefix: str = "") -> str:
    """msgspec's "Expected `str`, got `int` - at `$.packages[0].ndc`" -> "packages[0].ndc: expected ..."."""
    text = str(exc)
    problem, _, path = text.partition(" - at `$")
    path = ".".join(part for part in (prefix, path.rstrip("`").lstrip(".")) if part)
    if (m := _UNKNOWN.fullmatch(problem)) is not None:
        problem = f"unknown key {m.group(1)!r}"
    elif (m := _MISSING.fullmatch(problem)) is not None:
        problem = f"missing key {m.group(1)!r}"
    elif (m := _ENUM.fullmatch(problem)) is not None:
        field = re.sub(r"\[\d+\]$", "", path).rpartition(".")[2]
        problem = f"{m.group(1)} is not one of {', '.join(_CHOICES.get(field, ()))}"
    else:
        problem = problem[:1].lower() + problem[1:]
    return f"{path}: {problem}" if path else problem


class _FileReader:
    """Turns one DrugDoc into a Drug, naming the key of every problem."""

    def __init__(self, path: Path, doc: DrugDoc) -> None:
        self.path = path
        self.doc = doc
        self.sources = {key: Source(key, src.title, src.url, src.version) for key, src in doc.sources.items()}

    def fail(self, key: str, problem: str) -> CodeSetError:
        return CodeSetError(f"{key}: {problem}", where=str(self.path))

    def source(self, key: str, ref: str) -> Source:
        found = self.sources.get(ref)
        if found is None:
            declared = ", ".join(sorted(self.sources)) or "none"
            raise self.fail(key, f"source {ref!r} is not declared under `sources` (declared: {declared})")
        return found

    def quantity(self, key: str, amount: float, measure: str) -> Quantity:
        """`key`.amount and `key`.measure as a Quantity."""
        try:
            unit = unit_of(measure)
        except QuantityError as exc:
            raise self.fail(f"{key}.measure", str(exc)) from None
        if not amount > 0:
            raise self.fail(f"{key}.amount", f"{amount:g} must be more than 0")
        return Quantity(amount, unit)

    def drug(self) -> Drug:
        doc = self.doc
        code = doc.hcpcs.strip().upper()
        if not _HCPCS.match(code):
            raise self.fail("hcpcs", f"{doc.hcpcs!r} is not a HCPCS Level II code (a letter and 4 digits)")
        if self.path.stem.upper() != code:
            raise self.fail("hcpcs", f"{code} does not match the file name {self.path.name} (name it {code}.yaml)")
        if not doc.substances:
            raise self.fail("substances", "name at least one substance")
        unit = doc.billing_unit
        per_unit = self.quantity("billing_unit", unit.amount, unit.measure)
        if per_unit.unit == "mL":
            raise self.fail("billing_unit.measure", "a billing unit is an amount of drug (g, mg or mcg), not mL")
        if (doc.effective is None) != (doc.effective_source is None):
            raise self.fail("effective_source", "give `effective` and `effective_source` together")
        effective_source = (
            None if doc.effective_source is None else self.source("effective_source", doc.effective_source)
        )
        packages = tuple(self.package(code, i, p) for i, p in enumerate(doc.packages))
        seen: dict[str, int] = {}
        for index, package in enumerate(packages):
            if package.ndc11 in seen:
                raise self.fail(f"packages[{index}].ndc", f"NDC also listed at packages[{seen[package.ndc11]}]")
            seen[package.ndc11] = index
        return Drug(
            hcpcs=code,
            label=doc.label or doc.substances[0].name.strip().lower(),
            em_25_review=None if doc.em_25_review is None else self.source("em_25_review", doc.em_25_review),
            telehealth_source=(
                None if doc.telehealth_source is None else self.source("telehealth_source", doc.telehealth_source)
            ),
            short=doc.descriptor.short,
            long=doc.descriptor.long,
            descriptor_source=self.source("descriptor.source", doc.descriptor.source),
            substances=tuple(
                Substance(s.name.strip().lower(), None if s.rxcui is None else str(s.rxcui), tuple(s.aliases))
                for s in doc.substances
            ),
            per_unit=per_unit,
            up_to=unit.up_to,
            unit_source=self.source("billing_unit.source", unit.source),
            routes=tuple(doc.routes),
            routes_source=self.source("routes_source", doc.routes_source),
            effective=doc.effective,
            effective_source=effective_source,
            aliases=tuple(self.alias(i, a) for i, a in enumerate(doc.aliases)),
            packages=packages,
            labs=tuple(self.lab(i, lab) for i, lab in enumerate(doc.labs)),
            not_found=tuple(doc.not_found),
            note=doc.note,
            file=str(self.path),
            tags={key: src.tag for key, src in doc.sources.items()},
        )

    def alias(self, index: int, doc: AliasDoc) -> UnclassifiedAlias:
        key = f"aliases[{index}]"
        if not _HCPCS.match(doc.code.strip().upper()):
            raise self.fail(f"{key}.code", f"{doc.code!r} is not a HCPCS Level II code")
        if doc.since and doc.until and doc.until < doc.since:
            raise self.fail(f"{key}.until", f"{doc.until} is before since {doc.since}")
        source = self.source(f"{key}.source", doc.source)
        return UnclassifiedAlias(doc.code.strip().upper(), doc.since, doc.until, source, doc.note)

    def package(self, code: str, index: int, doc: PackageDoc) -> DrugPackage:
        key = f"packages[{index}]"
        ndc11 = self.ndc(f"{key}.ndc", doc.ndc)
        if doc.listed is not None:
            try:
                listed11 = normalize_ndc(doc.listed)
            except ValueError as exc:
                raise self.fail(f"{key}.listed", str(exc)) from None
            if listed11 != ndc11:
                raise self.fail(
                    f"{key}.listed", f"{doc.listed} is {format_ndc_542(listed11)} as 11 digits, not {doc.ndc}"
                )
        if doc.volume_ml is not None and not doc.volume_ml > 0:
            raise self.fail(f"{key}.volume_ml", f"{doc.volume_ml:g} must be more than 0")
        per_ml, content = self.strength(f"{key}.strength", doc.strength, doc.volume_ml)
        return DrugPackage(
            ndc11=ndc11,
            listed=doc.listed or format_ndc_542(ndc11),
            hcpcs=code,
            labeler=doc.labeler,
            package=doc.package,
            vial=doc.vial,
            per_ml=per_ml,
            content=content,
            volume_ml=doc.volume_ml,
            unit_of_use=doc.unit_of_use,
            rxcui=None if doc.rxcui is None else str(doc.rxcui),
            listing=doc.listing,
            source=self.source(f"{key}.source", doc.source),
            illustrative=doc.source == "illustrative",  # invented for tests and demos, never a real product
            note=doc.note,
        )

    def ndc(self, key: str, raw: str) -> str:
        try:
            ndc11 = normalize_ndc(raw)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        if len(raw.replace("-", "").strip()) != 11:
            raise self.fail(
                key,
                f"NDC {raw!r} is in the labeler's 10-digit form; write the 11-digit 5-4-2 form "
                f"{format_ndc_542(ndc11)} and keep {raw!r} under `listed`",
            )
        return ndc11

    def strength(self, key: str, text: str | None, volume_ml: float | None) -> tuple[Quantity | None, Quantity | None]:
        """ "1000 mcg/mL" -> (per mL, per container when the volume is known); "5 g" -> (None, 5 g)."""
        if text is None:
            return None, None
        amount, slash, per = text.partition("/")
        try:
            quantity = Quantity.parse(amount)
            volume = Quantity.parse(per if any(c.isdigit() for c in per) else f"1 {per}") if slash else None
        except QuantityError as exc:
            raise self.fail(key, f"{exc}; expected e.g. '1000 mcg/mL' or '250 mg'") from None
        if not quantity.is_mass or (volume is not None and volume.unit != "mL"):
            raise self.fail(key, f"{text!r}: expected an amount of drug, per mL for a solution ('30 mg/mL')")
        if volume is None:
            return None, quantity
        per_ml = Quantity(float(exact(quantity.value) / exact(volume.value)), quantity.unit)
        return per_ml, per_ml.times(volume_ml) if volume_ml is not None else None

    def lab(self, index: int, doc: LabDoc) -> LabTest:
        key = f"labs[{index}]"
        if not re.fullmatch(r"\d{1,7}-\d", doc.loinc):
            raise self.fail(f"{key}.loinc", f"{doc.loinc!r} is not a LOINC code (digits, hyphen, check digit)")
        bounds = [b for b in (doc.low, doc.borderline) if b is not None]
        if bounds != sorted(bounds):
            raise self.fail(f"{key}.borderline", "borderline must be above low")
        thresholds = doc.thresholds_source
        if thresholds is None and any(b is not None for b in (doc.low, doc.borderline, doc.high)):
            raise self.fail(f"{key}.thresholds_source", "a threshold needs the source it comes from")
        return LabTest(
            loinc=doc.loinc,
            name=doc.name,
            unit=doc.unit,
            source=self.source(f"{key}.source", doc.source),
            low=doc.low,
            borderline=doc.borderline,
            high=doc.high,
            thresholds_source=None if thresholds is None else self.source(f"{key}.thresholds_source", thresholds),
            note=doc.note,
            label=doc.label or doc.name,
            keys=tuple(doc.keys),
        )


def load_drug_file(path: Path) -> Drug:
    """One drug file; CodeSetError naming the file and the key on any problem."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))  # a clinic may write one: the limits hold
    except OSError as exc:
        raise CodeSetError(f"cannot read drug file: {exc.strerror or exc}", where=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CodeSetError(f"not valid YAML{line}: {getattr(exc, 'problem', exc)}", where=str(path)) from None
    if not isinstance(data, dict):
        raise CodeSetError(
            "expected a mapping with hcpcs, descriptor, substances, ... (see docs/drugs.md)", where=str(path)
        )
    sources = data.get("sources")
    for key, source in sources.items() if isinstance(sources, dict) else ():
        try:  # one by one, so that an error names the source (msgspec's path does not name mapping keys)
            msgspec.convert(source, SourceDoc)
        except msgspec.ValidationError as exc:
            raise CodeSetError(_where(exc, f"sources.{key}"), where=str(path)) from None
    try:
        doc = msgspec.convert(data, DrugDoc)
    except msgspec.ValidationError as exc:
        raise CodeSetError(_where(exc), where=str(path)) from None
    return _FileReader(path, doc).drug()


def load_drug_folder(folder: Path) -> list[Drug]:
    """Every *.yaml / *.yml drug file in a folder, in name order."""
    if not folder.is_dir():
        raise CodeSetError("drug folder not found (expected a folder of <HCPCS>.yaml files)", where=str(folder))
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    drugs = [load_drug_file(p) for p in files]
    seen: dict[str, str] = {}
    for drug in drugs:
        if drug.hcpcs in seen:
            raise CodeSetError(f"{drug.hcpcs} is also described in {seen[drug.hcpcs]}", where=drug.file)
        seen[drug.hcpcs] = drug.file
    return drugs
