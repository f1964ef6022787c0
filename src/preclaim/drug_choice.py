"""Edge helpers: which catalog drug a user picked, and how many billing units a dose is.

The CLI (`pa --code --dose`), the web form's drug picker and the CDS Hooks service all ask the same two
questions of the drug catalog; the answers live here so none of them hard-codes J3420 or 1000 mcg. The core
never imports this module.
"""

from __future__ import annotations

from preclaim.codes.drug_model import Drug, DrugCatalog
from preclaim.domain.quantity import Quantity, QuantityError, Unit
from preclaim.errors import InputError

DEFAULT_CODE = "J3420"  # the drug preclaim checked first; the default where a question names none


def catalog_drug(catalog: DrugCatalog, code: str | None, where: str) -> Drug:
    """The catalog drug for a HCPCS code (default J3420), or an error listing the codes the catalog has."""
    wanted = (code or DEFAULT_CODE).strip().upper()
    drug = catalog.drug(wanted)
    if drug is None:
        known = ", ".join(d.hcpcs for d in catalog.all())
        raise InputError(f"{wanted!r} is not a drug in the catalog (known: {known})", where=where)
    return drug


def amount_of(
    text: str | float | None, measure: Unit, where: str, *, what: str = "dose", zero: bool = False, hint: str = ""
) -> Quantity | None:
    """An amount as given: '30 mg', '1 g', '1000 mcg'; a bare number is in `measure`. mL is refused: a volume
    needs the package strength, so give the amount. `zero`: 0 is an answer (no waste), not an error."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        if isinstance(text, (int, float)) or text.strip().replace(".", "", 1).isdigit():
            amount = Quantity(float(text), measure)
        else:
            amount = Quantity.parse(text)
    except (QuantityError, ValueError) as exc:
        raise InputError(f"{what} {text!r}: {exc}", where=where) from None
    if not amount.is_mass:
        raise InputError(
            f"{what} {text!r}: give the amount given ('30 mg', '1 g'), not a volume" + (f"; {hint}" if hint else ""),
            where=where,
        )
    if amount.value < 0 or (amount.value == 0 and not zero):
        raise InputError(f"{what} {text!r}: must be more than 0", where=where)
    return amount


def dose_of(drug: Drug, text: str | float | None, where: str) -> Quantity | None:
    """A dose as given: '30 mg', '1 g', '1000 mcg'; a bare number is in the drug's billing measure (mcg for
    J3420, mg for J1885)."""
    return amount_of(text, drug.per_unit.unit, where, hint=f"{drug.hcpcs} is billed per {drug.per_unit}")


def units_of(drug: Drug, dose: Quantity | None) -> int:
    """Billing units for the dose (every started unit counts); 1 when the dose is not known."""
    return 1 if dose is None else drug.units_for(dose)
