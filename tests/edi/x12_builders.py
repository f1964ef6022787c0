"""Invented 837P text for tests (no real patient data): build a file from claim bodies."""

from __future__ import annotations

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:"
HEADER = [
    "BHT*0019*00*B1*20260105*1200*CH",
    "NM1*41*2*TEST BILLING*****46*SUB1",
    "PER*IC*DESK*TE*5555550100",
    "NM1*40*2*TEST PAYER*****46*PAYER1",
    "HL*1**20*1",
    "NM1*85*2*TEST CLINIC*****XX*1234567893",
    "N3*1 TEST WAY",
    "N4*TAMPA*FL*33601",
    "REF*EI*123456789",
]


def subscriber(hl: int, member: str = "M0001", payer: str = "09102", filing: str = "MB") -> list[str]:
    return [
        f"HL*{hl}*1*22*0",
        f"SBR*P*18*GRP1******{filing}",
        f"NM1*IL*1*TESTPERSON*ALEX****MI*{member}",
        "DMG*D8*19500101*F",
        f"NM1*PR*2*TEST MEDICARE*****PI*{payer}",
    ]


def b12_claim(
    claim_id: str = "C1",
    day: str = "20260102",
    units: str = "1",
    extra: list[str] | None = None,
    modifiers: str = "",
    ndc: str = "00517003101",
) -> list[str]:
    return [
        f"CLM*{claim_id}*52.00***11:B:1*Y*A*Y*Y",
        *(extra or []),
        "HI*ABK:D510*ABF:E538",
        "LX*1",
        "SV1*HC:96372*25.00*UN*1***1",
        f"DTP*472*D8*{day}",
        "LX*2",
        f"SV1*HC:J3420{modifiers}*27.00*UN*{units}***1:2",
        f"DTP*472*D8*{day}",
        f"LIN**N4*{ndc}",
        "CTP****1*ML",
    ]


def interchange(body: list[str], version: str = "005010X222A1") -> bytes:
    st = [f"ST*837*0001*{version}", *HEADER, *body]
    segs = [
        ISA,
        f"GS*HC*SENDER*RECEIVER*20260101*1200*1*X*{version}",
        *st,
        f"SE*{len(st) + 1}*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return ("~\n".join(segs) + "~\n").encode()
