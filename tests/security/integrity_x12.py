"""Invented X12 for the data-integrity tests (no real patient data): an 837P and an 835 built from segments."""

from __future__ import annotations

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:"
HEADER_837 = [
    "BHT*0019*00*B1*20260105*1200*CH",
    "NM1*41*2*TEST BILLING*****46*SUB1",
    "PER*IC*DESK*TE*5555550100",
    "NM1*40*2*TEST PAYER*****46*PAYER1",
]
BILLING = [
    "HL*1**20*1",
    "NM1*85*2*TEST CLINIC*****XX*1234567893",
    "N3*1 TEST WAY",
    "N4*TAMPA*FL*33601",
    "REF*EI*123456789",
]
SUBSCRIBER = [
    "HL*2*1*22*0",
    "SBR*P*18*GRP1******MB",
    "NM1*IL*1*TESTPERSON*ALEX****MI*M0001",
    "DMG*D8*19500101*F",
    "NM1*PR*2*TEST MEDICARE*****PI*09102",
]
CLAIM = [
    "CLM*C1*52.00***11:B:1*Y*A*Y*Y",
    "HI*ABK:D510*ABF:E538",
    "LX*1",
    "SV1*HC:96372*25.00*UN*1***1",
    "DTP*472*D8*20260102",
    "LX*2",
    "SV1*HC:J3420:JZ*27.00*UN*1***1:2",
    "DTP*472*D8*20260102",
    "LIN**N4*00517003101",
    "CTP****1*ML",
]


def x837(
    claim: list[str] | None = None,
    *,
    header: list[str] | None = None,
    billing: list[str] | None = None,
    subscriber: list[str] | None = None,
) -> bytes:
    """An 837P interchange, one segment a line; each part can be replaced."""
    body = [*(header or HEADER_837), *(billing or BILLING), *(subscriber or SUBSCRIBER), *(claim or CLAIM)]
    st = ["ST*837*0001*005010X222A1", *body]
    segments = [
        ISA,
        "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1",
        *st,
        f"SE*{len(st) + 1}*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def x835(cas_amount: str = "55.00", svc: str = "HC:J3420") -> bytes:
    """An 835 with one denied claim line."""
    st = [
        "ST*835*0001",
        "BPR*I*0*C*NON************20260301",
        "TRN*1*TRACE1*1999999999",
        "N1*PR*TEST PAYER",
        "N1*PE*TEST CLINIC*XX*1234567893",
        "LX*1",
        "CLP*C1*4*52.00*0**MB*PCN1",
        f"SVC*{svc}*27.00*0**1",
        f"CAS*CO*16*{cas_amount}",
        "LQ*HE*M119",
    ]
    segments = [
        ISA,
        "GS*HP*SENDER*RECEIVER*20260301*1200*1*X*005010X221A1",
        *st,
        f"SE*{len(st) + 1}*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def replaced(segments: list[str], prefix: str, new: str) -> list[str]:
    """`segments` with the first one starting with `prefix` replaced by `new`."""
    at = next(i for i, seg in enumerate(segments) if seg.startswith(prefix))
    return [*segments[:at], new, *segments[at + 1 :]]


def wrap(data: bytes, width: int = 80, newline: bytes = b"\n") -> bytes:
    """The interchange as a fixed-width export writes it: no line breaks of its own, one every `width`."""
    flat = data.replace(b"~\n", b"~")
    return newline.join(flat[i : i + width] for i in range(0, len(flat), width)) + newline
