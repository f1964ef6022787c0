"""Code sets: NDC normaliser, HCPCS status and dates (J3424, J3425), ICD-10-CM, modifiers, POS,
CARC/RARC, the NDC catalog and the provenance every bundled source must carry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from preclaim.codes import load_codes, normalize_icd10, normalize_ndc
from preclaim.codes.bundled import bundle
from preclaim.codes.ndc import format_ndc_542


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0517-0031-25", "00517003125"),  # 4-4-2
        ("63323-044-44", "63323004444"),  # 5-3-2
        ("70710-1663-7", "70710166307"),  # 5-4-1
        ("70710-1663-07", "70710166307"),  # 5-4-2
        ("00517003125", "00517003125"),  # already 11 digits
        (" 0517-0031-25 ", "00517003125"),
    ],
)
def test_ndc_normalises_to_11_digits(raw: str, expected: str) -> None:
    assert normalize_ndc(raw) == expected
    assert normalize_ndc(format_ndc_542(expected)) == expected


def test_ndc_formats_back_as_5_4_2() -> None:
    assert format_ndc_542("00517003125") == "00517-0031-25"
    with pytest.raises(ValueError, match="not 11 digits"):
        format_ndc_542("0517003125")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0517003125", "10 digits without hyphens, which is ambiguous"),
        ("1234-567", r"has 7 digits; expected 10 \(4-4-2, 5-3-2, 5-4-1 with hyphens\) or 11 \(5-4-2\)"),
        ("12345", "has 5 digits"),
        ("123456789012", "has 12 digits"),
        ("051-70031-25", "shape 3-5-2"),
        ("0517-003125", "shape 4-6"),
        ("05170O3125X", "other than digits"),
        ("", "other than digits"),
    ],
)
def test_bad_ndc_says_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_ndc(raw)


def test_hcpcs_statuses() -> None:
    codes = load_codes()
    j3420 = codes.hcpcs("J3420")
    assert j3420 is not None and j3420.status == "active" and j3420.unit_amount == 1000
    assert j3420.drug == "cyanocobalamin" and j3420.valid_on(dt.date(2026, 3, 1))
    # J3424 is IV hydroxocobalamin from 2024-04-01 (CMS OPPS Addendum B), no code before; B12 billed on it is J3420.
    j3424 = codes.hcpcs(" j3424 ")
    assert (
        j3424 is not None and j3424.drug == "hydroxocobalamin" and (j3424.unit_amount, j3424.unit_measure) == (25, "mg")
    )
    assert j3424.valid_on(dt.date(2026, 3, 1)) and not j3424.valid_on(dt.date(2024, 3, 31))
    assert j3424.code_for("cyanocobalamin", dt.date(2026, 3, 1)) == "J3420"
    assert j3424.code_for("hydroxocobalamin", dt.date(2026, 3, 1)) is None
    assert j3424.code_for("hydroxocobalamin", dt.date(2024, 3, 1)) is None  # its own drug before the code existed
    assert j3424.code_for(None, dt.date(2024, 3, 1)) == "J3420"  # no code then, drug unknown: the usual meaning
    j3425 = codes.hcpcs("J3425")
    assert j3425 is not None and j3425.status == "active" and j3425.drug == "hydroxocobalamin"
    assert (j3425.unit_amount, j3425.effective) == (10, dt.date(2024, 1, 1)) and codes.confidence(
        j3425.source.id
    ) == "V"
    assert codes.hcpcs("J3490").code_for("hydroxocobalamin", dt.date(2026, 3, 1)) == "J3425"  # type: ignore[union-attr]
    assert codes.hcpcs("J3490").not_otherwise_classified  # type: ignore[union-attr]
    assert codes.hcpcs("J3430").drug == "phytonadione"  # type: ignore[union-attr]
    assert codes.hcpcs("J9999") is None


def test_cpt_in_own_words_and_procedure_lookup() -> None:
    codes = load_codes()
    assert codes.cpt("96372").kind == "injection"  # type: ignore[union-attr]
    assert {codes.cpt(c).kind for c in ("99211", "99212", "99213", "99214", "99215")} == {  # type: ignore[union-attr]
        "evaluation-management"
    }
    assert codes.procedure("96372") is codes.cpt("96372")
    assert codes.procedure("J3420") is codes.hcpcs("J3420")
    assert codes.procedure("00000") is None


def test_icd10_lookup_with_and_without_dot() -> None:
    codes = load_codes()
    assert normalize_icd10(" d51 0") == "D51.0"
    assert normalize_icd10("E538") == "E53.8"
    entry = codes.icd10("D510")
    assert entry is not None and entry.code == "D51.0" and entry.billable
    assert "intrinsic factor" in entry.description
    assert codes.icd10("d51.0") == entry
    category = codes.icd10("D51")
    assert category is not None and not category.billable
    assert codes.icd10("D51.77") is None
    assert codes.icd10("E53.8") is not None and codes.icd10("E53.8").billable  # type: ignore[union-attr]
    assert codes.icd10_version.startswith("ICD-10-CM ") and "release" in codes.icd10_version


@pytest.mark.parametrize("odd", ["D51.0000000", "D51.0\x00", "D51.\u00e9", "", "D5"])
def test_icd10_codes_that_cannot_exist_are_not_found_and_ranges_still_work(odd: str) -> None:
    """The table compares fixed-width codes: a code too long, with a NUL or a non-ASCII letter is simply unknown."""
    from preclaim.codes import icd10

    table = icd10.table()
    assert table.find(odd) is None
    every = [code for code, _, billable in table.rows() if billable]
    assert table.billable_between(odd, "D51.9") == [
        c for c in every if odd <= c and (c <= "D51.9" or c.startswith("D51.9"))
    ]


def test_modifiers_pos_and_adjustment_codes() -> None:
    codes = load_codes()
    jz = codes.modifier("jz")
    assert jz is not None and jz.kind == "waste"
    assert jz.effective == dt.date(2023, 1, 1) and jz.required == dt.date(2023, 7, 1)
    assert codes.modifier("B") is None  # there is no "B" modifier for ambulatory surgical centers
    assert codes.modifier("SG") is not None and "2008" in codes.modifier("SG").meaning  # type: ignore[union-attr]
    for facility in ("19", "21", "22", "23", "24", "26", "31", "51", "52", "61"):
        assert codes.place_of_service(facility).facility, facility  # type: ignore[union-attr]
    for office in ("11", "12", "20", "32", "49", "50", "72", "81", "99"):
        assert not codes.place_of_service(office).facility, office  # type: ignore[union-attr]
    assert codes.place_of_service("98") is None
    assert codes.carc("CO-50").code == "50"  # type: ignore[union-attr]
    assert codes.carc("50") == codes.carc("PR-50")
    assert codes.carc("A7") is not None and codes.carc("999") is None
    assert codes.group("CO-50").code == "CO"  # type: ignore[union-attr]
    for remark in ("N115", "N211", "M119", "M53", "M76", "M51", "N362", "N386", "N522", "N14", "MA130", "MA63"):
        assert codes.rarc(remark) is not None, remark
    assert codes.confidence("x12-carc", "carc:198") == "S"  # CARC 198 is known from secondary sources only


def test_ndc_catalog_knows_the_drug_and_vial() -> None:
    codes = load_codes()
    hydroxo = codes.ndc("0591-2888-30")
    assert hydroxo is not None and hydroxo.drug == "hydroxocobalamin" and hydroxo.hcpcs == "J3425"  # IM, 10 mcg a unit
    assert hydroxo.vial == "multi-dose" and hydroxo.volume_ml == 30
    cyano = codes.ndc("00517003125")
    assert cyano is not None and cyano.vial == "multi-dose" and cyano.hcpcs == "J3420"
    assert codes.ndc("0517-0031-01") is not None  # the unit-of-use NDC inside the carton
    assert codes.ndc("70069-005-10").vial == "unknown"  # type: ignore[union-attr]  # listing says only "VIAL"
    demo = codes.ndc("99999-0001-01")
    assert demo is not None and demo.illustrative and "ILLUSTRATIVE" in demo.labeler and demo.vial == "single-dose"
    assert codes.ndc("not an ndc") is None and codes.ndc("0517003125") is None  # malformed / ambiguous
    assert codes.ndc("12345-6789-01") is None  # well-formed but not catalogued
    assert {"cyanocobalamin", "hydroxocobalamin", "ketorolac tromethamine"} <= {p.drug for p in codes.ndc_packages()}
    assert {p.ndc11 for p in codes.ndc_packages("hydroxocobalamin")} == {"00591288830", "50633031011"}


def test_every_bundled_entry_names_a_tagged_source() -> None:
    data = bundle()
    entries = [*data.hcpcs.values(), *data.cpt.values(), *data.modifiers.values(), *data.pos.values()]
    entries += [*data.carc.values(), *data.rarc.values(), *data.ndc.values()]
    for entry in entries:
        assert entry.source.title and entry.source.version, entry
        assert data.tags[entry.source.id] in {"V", "S", "M", "?"}, entry.source.id
    # Only invented packages come from the illustrative source, and they are flagged as such.
    assert all(p.illustrative == (p.source.id == "illustrative") for p in data.ndc.values())
    assert all(p.ndc11.startswith("99999") for p in data.ndc.values() if p.illustrative)


def test_the_icd10_table_holds_every_code_of_the_package_and_rebuilds_a_broken_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simple_icd_10_cm as icd

    from preclaim.codes import icd10

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = icd10._cache_path()
    cache.parent.mkdir(parents=True)
    # the right layout and length, but its one description ends where it starts: a broken offset
    cache.write_bytes(
        b"PCICD\x00\x04\x00" + bytes([1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0]) + b"A00\x00" + bytes(8) + b"\n"
    )
    older = [cache.parent / f"icd10cm-1.5.0{suffix}.msgpack" for suffix in ("", ".v2", ".v3")]
    kept = cache.parent / "icd10cm-inclusion-1.5.0.msgpack"  # the web search's: still read
    for path in [*older, kept]:
        path.write_bytes(b"x")
    icd10.table.cache_clear()
    try:
        table = icd10.table()  # rebuilt from the package, then cached again
        assert not any(path.exists() for path in older) and kept.exists()  # the superseded formats are gone
        codes = set(icd.get_all_codes(True))
        assert len(table) == len(codes) > 90_000
        for code in sorted(codes)[::97]:
            assert table.find(code) == (" ".join(icd.get_description(code).split()), icd.is_leaf(code))
        for missing in ("D51.77", "A00.00", "0", "~", ""):
            assert table.find(missing) is None
        for low, high in (("D51.0", "D51.9"), ("E53", "E53.9"), ("A00", "A01"), ("D51.3", "D51"), ("Z99", "A00")):
            expected = sorted(c for c in codes if icd.is_leaf(c) and low <= c and (c <= high or c.startswith(high)))
            assert table.billable_between(low, high) == expected
        assert cache.stat().st_size > 1_000_000
        icd10.table.cache_clear()
        assert list(icd10.table().rows()) == list(table.rows())  # read back from the rebuilt cache
    finally:
        icd10.table.cache_clear()
