"""The drug catalog's types: a drug (one HCPCS code), its substances, NDC packages, the unclassified-code
alias, labs by LOINC, and the catalog that looks them up by code, NDC or name. Read from YAML by drug_files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import msgspec

from preclaim.codes.ndc import format_ndc_542, normalize_ndc
from preclaim.codes.types import VialKind
from preclaim.domain.quantity import Quantity, QuantityError, units_needed
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError

Route = Literal["intramuscular", "intravenous", "subcutaneous"]


class Substance(msgspec.Struct, frozen=True):
    name: str
    rxcui: str | None
    aliases: tuple[str, ...]


class DrugPackage(msgspec.Struct, frozen=True):
    ndc11: str
    listed: str  # as the labeler prints it; the 5-4-2 form where no other was given
    hcpcs: str
    labeler: str
    package: str
    vial: VialKind
    per_ml: Quantity | None  # concentration of a solution
    content: Quantity | None  # amount in one container (per_ml x volume, or the powder/kit amount)
    volume_ml: float | None
    unit_of_use: bool
    rxcui: str | None
    listing: str | None
    source: Source
    illustrative: bool
    note: str | None


class UnclassifiedAlias(msgspec.Struct, frozen=True):
    code: str
    since: dt.date | None
    until: dt.date | None
    source: Source
    note: str | None

    def in_force(self, day: dt.date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


class LabTest(msgspec.Struct, frozen=True):
    loinc: str
    name: str
    unit: str
    source: Source
    low: float | None
    borderline: float | None
    high: float | None
    thresholds_source: Source | None
    note: str | None
    label: str  # how checklists name the test ("serum B12")
    keys: tuple[str, ...]  # older input keys read as this test (a lab `name` such as serum_b12)


class Drug(msgspec.Struct, frozen=True):
    hcpcs: str
    label: str  # how messages name the drug ("B12"); the first substance unless the file gives one
    em_25_review: Source | None  # a CMS review of the drug billed with 96372 and an E/M with modifier 25
    telehealth_source: Source | None  # says 96372 and the drug's code are not on the telehealth list
    short: str
    long: str | None
    descriptor_source: Source
    substances: tuple[Substance, ...]
    per_unit: Quantity  # the amount one billing unit stands for
    up_to: bool
    unit_source: Source
    routes: tuple[Route, ...]
    routes_source: Source
    effective: dt.date | None  # first day the code exists, where a source gives it
    effective_source: Source | None
    aliases: tuple[UnclassifiedAlias, ...]
    packages: tuple[DrugPackage, ...]
    labs: tuple[LabTest, ...]
    not_found: tuple[str, ...]
    note: str | None
    file: str
    tags: dict[str, str]  # source id -> confidence tag (V, S, M, ?)

    @property
    def substance(self) -> str:
        """The primary substance name (the first listed)."""
        return self.substances[0].name

    def units_for(self, dose: Quantity, package: DrugPackage | None = None) -> int:
        """Billing units for a dose: ceil(dose / amount per unit). A dose in mL needs the package's strength."""
        if dose.unit == "mL":
            if package is None or package.per_ml is None:
                raise QuantityError(
                    f"{dose} of {self.substance}: a volume needs the package's strength (mg or mcg per mL) "
                    "to be billed in units; give the NDC or the dose in g, mg or mcg"
                )
            dose = package.per_ml.times(dose.value)
        return units_needed(dose, self.per_unit)

    def lab(self, loinc: str) -> LabTest | None:
        return next((lab for lab in self.labs if lab.loinc == loinc), None)

    @property
    def marker_lab(self) -> LabTest | None:
        """The test whose low value shows the deficiency the drug treats (the first lab with a `low` band)."""
        return next((lab for lab in self.labs if lab.low is not None), None)

    @property
    def confirming_labs(self) -> tuple[LabTest, ...]:
        """Tests whose raised value (above `high`) confirms a borderline marker."""
        return tuple(lab for lab in self.labs if lab.high is not None)

    @property
    def common_strength(self) -> Quantity | None:
        """The strength per mL every catalogued solution of the drug shares, when they share one: what an NDC
        quantity in mL stands for when the NDC itself is not catalogued."""
        strengths = {p.per_ml for p in self.packages if p.per_ml is not None}
        return strengths.pop() if len(strengths) == 1 else None

    @property
    def mostly_multi_dose(self) -> bool:
        """Most real packages whose listing states the vial type are multi-dose vials."""
        kinds = [p.vial for p in self.packages if not p.illustrative and p.vial in ("single-dose", "multi-dose")]
        return bool(kinds) and kinds.count("multi-dose") * 2 > len(kinds)


def _name_key(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


class DrugCatalog(msgspec.Struct, frozen=True):
    """Drugs by HCPCS code, packages by 11-digit NDC, drugs by substance name or alias."""

    drugs: dict[str, Drug]
    ndc_index: dict[str, DrugPackage]
    name_index: dict[str, tuple[str, ...]]
    compact_index: tuple[tuple[str, str], ...]  # (name without spaces or hyphens, HCPCS code), first code per name

    @classmethod
    def of(cls, drugs: Iterable[Drug]) -> DrugCatalog:
        """A catalog of these drugs; a later drug with the same HCPCS code replaces an earlier one (a user
        folder over the bundled files). An NDC in two drugs' files is an error naming both files."""
        by_code: dict[str, Drug] = {}
        for drug in drugs:
            by_code[drug.hcpcs] = drug
        ndc_index: dict[str, DrugPackage] = {}
        names: dict[str, list[str]] = {}
        for drug in by_code.values():
            for package in drug.packages:
                other = ndc_index.get(package.ndc11)
                if other is not None:
                    raise CodeSetError(
                        f"NDC {format_ndc_542(package.ndc11)} is listed for {drug.hcpcs} and also for "
                        f"{other.hcpcs} in {by_code[other.hcpcs].file}; an NDC belongs to one drug file",
                        where=drug.file,
                    )
                ndc_index[package.ndc11] = package
            for substance in drug.substances:
                for name in (substance.name, *substance.aliases):
                    codes = names.setdefault(_name_key(name), [])
                    if drug.hcpcs not in codes:
                        codes.append(drug.hcpcs)
        compact: dict[str, str] = {}
        for key, codes in names.items():
            compact.setdefault(key.replace(" ", ""), sorted(codes)[0])
        return cls(by_code, ndc_index, {k: tuple(v) for k, v in names.items()}, tuple(compact.items()))

    def __len__(self) -> int:
        return len(self.drugs)

    def all(self) -> tuple[Drug, ...]:
        return tuple(self.drugs[code] for code in sorted(self.drugs))

    def drug(self, hcpcs: str) -> Drug | None:
        return self.drugs.get(hcpcs.strip().upper())

    def package(self, ndc: str) -> DrugPackage | None:
        """The package for an NDC in any accepted shape; None when unknown or malformed."""
        try:
            return self.ndc_index.get(normalize_ndc(ndc))
        except ValueError:
            return None

    def by_ndc(self, ndc: str) -> Drug | None:
        package = self.package(ndc)
        return None if package is None else self.drugs[package.hcpcs]

    def lab_key(self, key: str) -> LabTest | None:
        """The lab test an older input key names (a lab `name` such as serum_b12), from the drug files."""
        for drug in self.all():
            for lab in drug.labs:
                if key in lab.keys:
                    return lab
        return None

    def named_in(self, text: str) -> Drug | None:
        """The drug whose substance name or alias appears first in `text`, spaces and hyphens ignored ("Vit B-12
        1000mcg" names the drug with the alias b12); at one position the longest name wins, so a name inside a
        longer one does not shadow it."""
        compact = text.lower().replace("-", "").replace(" ", "")
        best: tuple[int, int, str] | None = None
        for key, codes in self.compact_index:
            at = compact.find(key)
            if at >= 0 and (best is None or (at, -len(key)) < (best[0], best[1])):
                best = (at, -len(key), codes)
        return None if best is None else self.drugs[best[2]]

    def by_name(self, name: str) -> tuple[Drug, ...]:
        """Drugs whose substance name or alias is `name` (case and hyphens ignored): "Vitamin B-12" -> J3420."""
        return tuple(self.drugs[code] for code in self.name_index.get(_name_key(name), ()))

    def for_unclassified(
        self, code: str, description: str, day: dt.date | None = None
    ) -> tuple[tuple[Drug, UnclassifiedAlias], ...]:
        """Drugs billed under an unclassified code (J3490) whose substance the line's description names, with
        the alias; only aliases in force on `day` when a day is given."""
        words = f" {_name_key(description)} "
        code = code.strip().upper()
        found: list[tuple[Drug, UnclassifiedAlias]] = []
        for drug in self.all():
            names = (_name_key(n) for s in drug.substances for n in (s.name, *s.aliases))
            if not any(f" {name} " in words for name in names):
                continue
            found.extend(
                (drug, alias) for alias in drug.aliases if alias.code == code and (day is None or alias.in_force(day))
            )
        return tuple(found)

    def units_for(self, hcpcs: str, dose: Quantity, ndc: str | None = None) -> int:
        """Billing units of `hcpcs` for a dose; a dose in mL is converted with the NDC's strength."""
        drug = self.drug(hcpcs)
        if drug is None:
            raise QuantityError(f"{hcpcs} is not in the drug catalog")
        return drug.units_for(dose, self.package(ndc) if ndc else None)

    def merged(self, other: DrugCatalog) -> DrugCatalog:
        """This catalog with `other`'s drugs added (or replacing those with the same HCPCS code)."""
        return DrugCatalog.of([*self.drugs.values(), *other.drugs.values()])
