"""Invented claims for store tests (pseudonymous keys, no real people)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from preclaim.domain import Claim, Diagnosis, Patient, Payer, ServiceLine


def make_claim(
    claim_id: str = "CLM-1",
    *,
    patient: str = "PAT-1",
    payer: str = "PAYER-A",
    day: dt.date = dt.date(2026, 3, 2),
    units: float = 1,
    lines: int = 1,
    prior_auth: str | None = None,
    frequency: str = "1",
) -> Claim:
    return Claim(
        id=claim_id,
        payer=Payer(payer, "Invented Health Plan"),
        patient=Patient(patient, dt.date(1950, 1, 1), "F"),
        place_of_service="11",
        lines=tuple(
            ServiceLine(n, "J3420" if n == 1 else "96372", units, day, charge=Decimal("25.00"))
            for n in range(1, lines + 1)
        ),
        diagnoses=(Diagnosis("D51.0"),),
        prior_auth=prior_auth,
        frequency_code=frequency,
    )


def x12_835(claims: list[list[str]], trace: str = "EFT-7788", paid: str = "25.00") -> str:
    """An invented 835: `claims` are the segments of each 2100 loop (CLP..), without terminators."""
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'INVENTEDPAYER':15}*ZZ*{'INVENTEDCLINIC':15}*260401*1200*^*00501*"
        "000000101*0*P*:"
    )
    body = [
        "ST*835*0001",
        f"BPR*I*{paid}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260401",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20260401",
        "N1*PR*INVENTED HEALTH PLAN*XV*PAYER-A",
        "N1*PE*INVENTED CLINIC*XX*1234567893",
        "LX*1",
        *[seg for claim in claims for seg in claim],
    ]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [isa, "GS*HP*INVENTEDPAYER*INVENTEDCLINIC*20260401*1200*101*X*005010X221A1", *body, "GE*1*101",
                "IEA*1*000000101"]  # fmt: skip
    return "~\n".join(segments) + "~\n"


PAID_K1 = [
    "CLP*CLM-1*1*55.00*25.00**12*ICN0001",
    "NM1*QC*1******MI*MEM1",
    "SVC*HC:J3420:JZ*25.00*25.00**1",
    "DTM*472*20260302",
    "SVC*HC:96372*30.00*0**1",
    "DTM*472*20260302",
    "CAS*CO*97*30.00",
]
DENIED_K2 = [
    "CLP*CLM-2*4*25.00*0**12*ICN0002",
    "NM1*QC*1******MI*MEM2",
    "SVC*HC:J3420*25.00*0**1",
    "DTM*472*20260303",
    "CAS*CO*50*25.00",
    "LQ*HE*N115",
]
