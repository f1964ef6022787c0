"""The drug catalog: bundled drug files, billing units for a dose, NDC and name lookups, the unclassified-code
alias, load errors that name the file and key, and a clinic's own folder of drug files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from preclaim.codes import load_codes
from preclaim.codes.bundled import bundle
from preclaim.codes.drugs import BUNDLED, DrugCatalog, bundled_catalog, load_catalog, load_drug_file
from preclaim.domain.quantity import Quantity, QuantityError
from preclaim.errors import CodeSetError

BUNDLED_FILES = sorted(BUNDLED.glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.stem)
def test_each_bundled_drug_file_loads_with_sources(path: Path) -> None:
    drug = load_drug_file(path)
    assert drug.hcpcs == path.stem and drug.short and drug.substances and drug.per_unit.value > 0
    cited = [drug.descriptor_source, drug.unit_source, drug.routes_source]
    cited += [p.source for p in drug.packages] + [a.source for a in drug.aliases] + [lab.source for lab in drug.labs]
    for source in cited:
        assert source.title and source.version and drug.tags[source.id] in {"V", "S", "M", "?"}, source
    for package in drug.packages:
        assert len(package.ndc11) == 11 and package.ndc11.isdigit()
        assert package.illustrative == (package.source.id == "illustrative")


def test_the_bundled_catalog_has_the_seven_drugs() -> None:
    catalog = bundled_catalog()
    assert [d.hcpcs for d in catalog.all()] == ["J0696", "J1071", "J1885", "J3411", "J3420", "J3424", "J3425"]
    assert load_codes().drugs is catalog


def test_catalog_names_the_drug_the_code_set_names() -> None:
    """An NDC and the HCPCS code on its line must name the same drug, or the rules report a mismatch."""
    hcpcs = bundle().hcpcs
    for drug in bundled_catalog().all():
        entry = hcpcs.get(drug.hcpcs)
        if entry is not None and entry.drug is not None:
            assert drug.substance == entry.drug, drug.hcpcs
        if entry is not None and entry.unit_amount is not None:
            assert (drug.per_unit.value, drug.per_unit.unit) == (entry.unit_amount, entry.unit_measure)


@pytest.mark.parametrize(
    ("hcpcs", "dose", "units"),
    [
        ("J1885", "30 mg", 2),  # ketorolac 15 mg a unit
        ("J1885", "15 mg", 1),
        ("J1071", "200 mg", 200),  # testosterone cypionate 1 mg a unit
        ("J0696", "1 g", 4),  # ceftriaxone 250 mg a unit, grams converted
        ("J0696", "500 mg", 2),
        ("J3411", "100 mg", 1),  # thiamine
        ("J3420", "1500 mcg", 2),  # cyanocobalamin: every started 1000 mcg counts
        ("J3420", "1 mg", 1),
        ("J3420", "1000 mcg", 1),
        ("J3425", "1000 mcg", 100),  # hydroxocobalamin IM 10 mcg a unit
        ("J3424", "5 g", 200),  # Cyanokit: 5 g at 25 mg a unit
    ],
)
def test_units_for_a_dose(hcpcs: str, dose: str, units: int) -> None:
    drug = bundled_catalog().drug(hcpcs)
    assert drug is not None
    assert drug.units_for(Quantity.parse(dose)) == units


def test_a_dose_in_ml_needs_the_package_strength() -> None:
    catalog = bundled_catalog()
    assert catalog.units_for("J1885", Quantity(2, "mL"), ndc="63323-162-02") == 4  # 2 mL of 30 mg/mL = 60 mg
    assert catalog.units_for("J3420", Quantity(1.5, "mL"), ndc="00517-0031-01") == 2
    with pytest.raises(QuantityError, match="a volume needs the package's strength"):
        catalog.units_for("J1885", Quantity(2, "mL"))
    with pytest.raises(QuantityError, match="a volume needs the package's strength"):  # powder: no mg per mL
        catalog.units_for("J0696", Quantity(2, "mL"), ndc="00781-3206-85")


def test_quantity_is_exact_and_refuses_mixed_units() -> None:
    assert Quantity(0.3, "mg").ratio(Quantity(0.1, "mg")) == 3  # not 2.9999...
    assert Quantity.parse("1 g").to("mcg") == Quantity(1_000_000, "mcg")
    assert Quantity.parse("1000 ug") == Quantity(1000, "mcg")
    with pytest.raises(QuantityError, match="a volume and a mass"):
        Quantity(1, "mL").ratio(Quantity(1, "mg"))
    with pytest.raises(QuantityError, match="not one of g, mg, mcg, mL"):
        Quantity.parse("2 tablets")


def test_ndc_lookups_in_any_shape() -> None:
    catalog = bundled_catalog()
    for raw in ("0517-0031-25", "00517-0031-25", "00517003125"):
        drug = catalog.by_ndc(raw)
        assert drug is not None and drug.hcpcs == "J3420", raw
    ketorolac = catalog.package("47335-934-40")
    assert ketorolac is not None and ketorolac.vial == "single-dose" and ketorolac.unit_of_use
    assert ketorolac.per_ml == Quantity(30, "mg") and ketorolac.volume_ml == 1
    cyanokit = catalog.package("50633-310-11")
    assert cyanokit is not None and cyanokit.hcpcs == "J3424" and cyanokit.content == Quantity(5, "g")
    assert catalog.package("12345-6789-01") is None and catalog.package("not an ndc") is None


def test_code_sets_read_ndc_packages_from_the_catalog() -> None:
    codes = load_codes()
    ketorolac = codes.ndc("63323-162-01")
    assert ketorolac is not None and ketorolac.drug == "ketorolac tromethamine" and ketorolac.hcpcs == "J1885"
    assert ketorolac.vial == "single-dose" and ketorolac.strength_mcg_per_ml == 30_000
    vitruvias = codes.ndc("69680-121-10")  # a box of ten 30 mL vials (the listing, re-read)
    assert vitruvias is not None and vitruvias.volume_ml == 30
    # Hydroxocobalamin has its own codes (CMS OPPS Addendum B 2024): IM J3425, IV (Cyanokit) J3424
    assert codes.ndc("0591-2888-30").hcpcs == "J3425"  # type: ignore[union-attr]
    assert codes.ndc("50633-310-11").hcpcs == "J3424"  # type: ignore[union-attr]
    assert codes.confidence("openfda-ndc") == "V" and codes.confidence("illustrative") == "M"


def test_lookup_by_substance_name_or_alias() -> None:
    catalog = bundled_catalog()
    assert [d.hcpcs for d in catalog.by_name("Vitamin B-12")] == ["J3420"]
    assert [d.hcpcs for d in catalog.by_name("ketorolac")] == ["J1885"]
    assert [d.hcpcs for d in catalog.by_name("Thiamine HCl")] == ["J3411"]
    assert sorted(d.hcpcs for d in catalog.by_name("hydroxocobalamin")) == ["J3424", "J3425"]
    assert catalog.by_name("aspirin") == ()


def test_hydroxocobalamin_under_j3490_before_j3425_existed() -> None:
    catalog = bundled_catalog()
    before = catalog.for_unclassified("J3490", "Hydroxocobalamin 1000 mcg IM, NDC 00591288830", dt.date(2023, 6, 1))
    assert [(drug.hcpcs, alias.until) for drug, alias in before] == [("J3425", dt.date(2023, 12, 31))]
    assert catalog.for_unclassified("J3490", "hydroxocobalamin 1000 mcg", dt.date(2024, 1, 1)) == ()
    assert catalog.for_unclassified("J3490", "cyanocobalamin 1000 mcg", dt.date(2023, 6, 1)) == ()
    j3425 = catalog.drug("J3425")
    assert j3425 is not None and j3425.effective == dt.date(2024, 1, 1) and j3425.routes == ("intramuscular",)


def test_b12_labs_by_loinc_with_thresholds() -> None:
    j3420 = bundled_catalog().drug("J3420")
    assert j3420 is not None
    b12, mma, hcy = j3420.lab("2132-9"), j3420.lab("13964-2"), j3420.lab("13965-9")
    assert b12 is not None and (b12.low, b12.borderline, b12.unit) == (200, 300, "pg/mL")
    assert mma is not None and (mma.high, mma.unit) == (400, "nmol/L")
    assert hcy is not None and (hcy.high, hcy.unit) == (14, "umol/L")
    assert b12.thresholds_source is not None and "06.02.54c" in b12.thresholds_source.title


# --- broken files: the error names the file and the key ------------------------------------------------------

GOOD = """\
hcpcs: J0001
descriptor: {short: Test drug inj, long: "Injection, testdrug, per 5 mg", source: test}
billing_unit: {amount: 5, measure: mg, source: test}
substances: [{name: testdrug, aliases: [test drug]}]
routes: [intramuscular]
routes_source: test
sources:
  test: {title: "TEST DATA written for this test, not a real drug", url: null, version: test,
         accessed: "2026-12-03", tag: M}
packages:
  - {ndc: 99999-0101-01, labeler: TEST, package: 1 mL vial, vial: single-dose, strength: 10 mg/mL,
     volume_ml: 1, source: test}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("vial: single-dose,", "vial: single-dose, colour: red,", "packages[0]: unknown key 'colour'"),
        ("measure: mg", "measure: mgs", "billing_unit.measure: unit 'mgs' is not one of g, mg, mcg, mL"),
        ("measure: mg", "measure: mL", "billing_unit.measure: a billing unit is an amount of drug"),
        ("amount: 5,", "amount: 0,", "billing_unit.amount: 0 must be more than 0"),
        ("tag: M}", "tag: X}", "sources.test.tag: 'X' is not one of V, S, M, ?"),
        ("version: test,", "", "sources.test: missing key 'version'"),
        ("routes: [intramuscular]", "routes: [intramuscular]\neffective: 2024-01-01", "give `effective` and"),
        ("strength: 10 mg/mL", "strength: 10 mg/tablet", "packages[0].strength: unit 'tablet' is not one of"),
        ("ndc: 99999-0101-01", "ndc: 9999-0101-01X", "packages[0].ndc: NDC '9999-0101-01X' contains characters"),
        ("ndc: 99999-0101-01", "ndc: 9999-0101-01", "write the 11-digit 5-4-2 form 09999-0101-01"),
        (
            "vial: single-dose",
            "vial: one-dose",
            "packages[0].vial: 'one-dose' is not one of single-dose, multi-dose, unknown",
        ),
        ("volume_ml: 1, source: test", "volume_ml: 1, source: nowhere", "packages[0].source: source 'nowhere' is not"),
        ("hcpcs: J0001", "hcpcs: J0002", "hcpcs: J0002 does not match the file name J0001.yaml"),
        (
            "routes: [intramuscular]",
            "routes: [oral]",
            "routes[0]: 'oral' is not one of intramuscular, intravenous, subcutaneous",
        ),
        ("substances: [{name: testdrug, aliases: [test drug]}]", "substances: []", "substances: name at least one"),
    ],
)
def test_a_broken_drug_file_names_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = _write(tmp_path, "J0001.yaml", GOOD.replace(old, new, 1))
    with pytest.raises(CodeSetError) as caught:
        load_drug_file(path)
    assert caught.value.where == str(path)
    assert message in caught.value.message, caught.value.message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "J0001.yaml", GOOD + "  - {ndc: [\n")
    with pytest.raises(CodeSetError, match=r"J0001.yaml: not valid YAML at line \d+"):
        load_drug_file(path)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("huge: " + "9" * 5000 + "\n", "an integer of 5000 digits; at most 30"),  # int() would raise a ValueError
        ("deep: " + "[" * 80 + "]" * 80 + "\n", "nested more than 64 levels deep"),
    ],
)
def test_a_drug_file_past_the_yaml_limits_names_the_line(tmp_path: Path, tail: str, message: str) -> None:
    # A clinic writes its own drug files: they are read within the same limits as policies.
    path = _write(tmp_path, "J0001.yaml", GOOD + tail)
    with pytest.raises(CodeSetError, match=rf"J0001.yaml: not valid YAML at line {GOOD.count(chr(10)) + 1}: {message}"):
        load_drug_file(path)


def test_an_ndc_in_two_files_is_an_error_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "J0001.yaml", GOOD)
    _write(tmp_path, "J0002.yaml", GOOD.replace("J0001", "J0002"))
    with pytest.raises(CodeSetError) as caught:
        load_catalog(tmp_path)
    text = str(caught.value)
    assert "NDC 99999-0101-01 is listed for J0002 and also for J0001" in text
    assert "J0001.yaml" in text and "J0002.yaml" in text
    clash = GOOD.replace("99999-0101-01", "00517-0031-25")  # a bundled cyanocobalamin NDC
    _write(tmp_path / "clash", "J0001.yaml", clash)
    with pytest.raises(CodeSetError, match=r"NDC 00517-0031-25 is listed for .* and also for .*J3420\.yaml"):
        load_catalog(tmp_path / "clash")


def test_a_user_folder_adds_a_drug(tmp_path: Path) -> None:
    _write(tmp_path / "drugs", "J0001.yaml", GOOD)
    codes = load_codes(tmp_path)
    drug = codes.drugs.drug("J0001")
    assert drug is not None and drug.units_for(Quantity(12, "mg")) == 3
    assert codes.drugs.drug("J3420") is not None  # the bundled drugs are still there
    package = codes.ndc("99999-0101-01")
    assert package is not None and package.drug == "testdrug" and package.hcpcs == "J0001"
    assert [d.hcpcs for d in codes.drugs.by_name("Test Drug")] == ["J0001"]
    assert load_codes().ndc("99999-0101-01") is None  # only where the folder is given


def test_a_user_file_replaces_a_bundled_code(tmp_path: Path) -> None:
    own = GOOD.replace("J0001", "J1885").replace("amount: 5,", "amount: 15,")
    _write(tmp_path, "J1885.yaml", own)
    catalog = load_catalog(tmp_path)
    replaced = catalog.drug("J1885")
    assert replaced is not None and replaced.substance == "testdrug"
    assert catalog.package("47335-934-45") is None  # the bundled ketorolac packages went with it
    assert isinstance(catalog, DrugCatalog) and len(catalog) == len(bundled_catalog())
