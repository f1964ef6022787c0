"""Code sets: NDC normaliser, HCPCS status (J3424 invalid, J3425 unconfirmed), ICD-10-CM, modifiers, POS, CARC."""

from __future__ import annotations

import pytest

from preclaim.codes import load_codes, normalize_icd10, normalize_ndc
from preclaim.codes.ndc import format_ndc_542


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0517-0031-25", "00517003125"),  # 4-4-2
        ("63323-044-44", "63323004444"),  # 5-3-2
        ("70710-1663-7", "70710166307"),  # 5-4-1
        ("70710-1663-07", "70710166307"),  # 5-4-2
        ("00517003125", "00517003125"),
        (" 0517-0031-25 ", "00517003125"),
    ],
)
def test_ndc_normalises_to_11_digits(raw: str, expected: str) -> None:
    assert normalize_ndc(raw) == expected
    assert format_ndc_542(expected).replace("-", "") == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0517003125", "ambiguous"),
        ("12345", "5 digits"),
        ("0517-0031", "three groups"),
        ("051-70031-25", "shape 3-5-2"),
        ("05170O3125X", "other than digits"),
    ],
)
def test_bad_ndc_says_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_ndc(raw)


def test_hcpcs_statuses() -> None:
    codes = load_codes()
    j3420 = codes.hcpcs("J3420")
    assert j3420 is not None and j3420.status == "active" and j3420.unit_amount == 1000
    j3424 = codes.hcpcs("j3424")
    assert j3424 is not None and j3424.status == "invalid" and j3424.replacement == "J3420"
    j3425 = codes.hcpcs("J3425")
    assert j3425 is not None and j3425.status == "unconfirmed"
    assert codes.hcpcs("J3490").not_otherwise_classified  # type: ignore[union-attr]
    assert codes.cpt("96372").kind == "injection"  # type: ignore[union-attr]
    assert all(codes.hcpcs(c) is None or codes.hcpcs(c).source.title for c in ("J3420", "J3424"))  # type: ignore[union-attr]


def test_icd10_lookup_with_and_without_dot() -> None:
    codes = load_codes()
    assert normalize_icd10("d510") == "D51.0"
    entry = codes.icd10("D510")
    assert entry is not None and entry.billable and "intrinsic factor" in entry.description
    category = codes.icd10("D51")
    assert category is not None and not category.billable
    assert codes.icd10("D51.77") is None


def test_modifiers_pos_and_adjustment_codes() -> None:
    codes = load_codes()
    assert codes.modifier("JZ").kind == "waste"  # type: ignore[union-attr]
    assert codes.modifier("B") is None  # there is no "B" modifier for ambulatory surgical centers
    assert codes.place_of_service("22").facility  # type: ignore[union-attr]
    assert not codes.place_of_service("11").facility  # type: ignore[union-attr]
    assert codes.carc("CO-50").code == "50"  # type: ignore[union-attr]
    assert codes.rarc("N115") is not None and codes.rarc("M119") is not None


def test_ndc_catalog_knows_the_drug_and_vial() -> None:
    codes = load_codes()
    hydroxo = codes.ndc("0591-2888-30")
    assert hydroxo is not None and hydroxo.drug == "hydroxocobalamin" and hydroxo.hcpcs is None
    cyano = codes.ndc("00517003125")
    assert cyano is not None and cyano.vial == "multi-dose" and cyano.hcpcs == "J3420"
    demo = codes.ndc("99999000101")
    assert demo is not None and "ILLUSTRATIVE" in demo.labeler
    assert codes.ndc("not an ndc") is None
    assert {p.drug for p in codes.ndc_packages()} == {"cyanocobalamin", "hydroxocobalamin"}
