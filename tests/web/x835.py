"""An invented 835 for B12 claims (no real payer, patient or provider): one medical-necessity denial (CO-50
N115), one unit denial (CO-16 M53) and one paid claim, in three months, so pages show real B12 denials."""

from __future__ import annotations

CLAIMS = [
    # claim id, status, charge, paid, date, [(code, charge, paid, [(group, reason, amount)], [rarc])]
    (
        "DX-005",
        "4",
        "37.00",
        "0",
        "20260316",
        [
            ("J3420", "12.00", "0", [("CO", "50", "12.00")], ["N115"]),
            ("96372", "25.00", "0", [("CO", "50", "25.00")], ["N115"]),
        ],
    ),
    ("UNITS-003", "4", "24.00", "0", "20260120", [("J3420", "24.00", "0", [("CO", "16", "24.00")], ["M53"])]),
    (
        "CLEAN-001",
        "1",
        "37.00",
        "30.50",
        "20260216",
        [
            ("J3420", "12.00", "9.50", [("CO", "45", "2.50")], []),
            ("96372", "25.00", "21.00", [("CO", "45", "4.00")], []),
        ],
    ),
]


def b12_835() -> bytes:
    body = [
        "ST*835*0001",
        "BPR*I*30.50*C*ACH************20260401",
        "TRN*1*EFT0001*1512345678",
        "DTM*405*20260401",
        "N1*PR*FIRST COAST SERVICE OPTIONS*XV*09102",
        "N1*PE*EXAMPLE FAMILY CLINIC*XX*1234567893",
        "LX*1",
    ]
    for n, (claim_id, status, charge, paid, day, lines) in enumerate(CLAIMS, start=1):
        body += [f"CLP*{claim_id}*{status}*{charge}*{paid}**MB*PCN{n:04d}", f"NM1*QC*1*****MI*M000{n}"]
        for code, line_charge, line_paid, adjustments, remarks in lines:
            body += [f"SVC*HC:{code}*{line_charge}*{line_paid}**1", f"DTM*472*{day}"]
            body += [f"CAS*{g}*{r}*{a}" for g, r, a in adjustments]
            body += [f"LQ*HE*{r}" for r in remarks]
    body.append(f"SE*{len(body) + 1}*0001")
    envelope = [
        "ISA*00*          *00*          *ZZ*FCSO           *ZZ*EXAMPLECLINIC  *260401*1200*^*00501*000000101*0*T*:",
        "GS*HP*FCSO*EXAMPLECLINIC*20260401*1200*101*X*005010X221A1",
        *body,
        "GE*1*101",
        "IEA*1*000000101",
    ]
    return ("~\n".join(envelope) + "~\n").encode()
