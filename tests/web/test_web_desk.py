"""What billing staff rely on besides the browser: which letter a claim gets, the corrected 837P, no internal
names in anything a payer or user reads, checklists that print every code, ICD-10 words, and users with roles,
an audit trail and their own API keys (a live server on loopback, no browser)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pdf_check import text
from web_server import LiveServer, service_app
from x835 import b12_835

from preclaim.edi.x12.read835 import iter_remittances
from preclaim.io.claim_json import decode_claim
from preclaim.letters import appeal_letter, necessity_letter, render_pdf
from preclaim.letters.choose import for_claim, for_denial

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 3, 20)
INTERNAL = ("REFERENCE", "seed document", "preclaim baseline", "REFERENCE.md")


def _claim(name: str):  # type: ignore[no-untyped-def]
    return decode_claim((ROOT / "examples" / name).read_bytes(), name)


def _payments() -> dict[str, object]:
    remittance = next(iter_remittances(io.BytesIO(b12_835())))
    return {p.claim_id: p for p in remittance.claims}


def test_a_denial_a_corrected_claim_cures_gets_no_appeal() -> None:
    payments = _payments()
    units = for_denial(payments["UNITS-003"])  # type: ignore[arg-type]
    assert units.kind == "corrected-claim" and "not an appeal" in units.reason
    necessity = for_denial(payments["DX-005"])  # type: ignore[arg-type]
    assert necessity.kind == "appeal" and "redetermination" in necessity.reason  # CLP06 MB: Medicare Part B
    assert for_denial(payments["CLEAN-001"]).kind == "none"  # type: ignore[arg-type]


def test_medicare_appeal_is_a_redetermination_with_its_120_days(engine) -> None:  # type: ignore[no-untyped-def]
    payment = _payments()["DX-005"]
    letter = appeal_letter(payment, "FIRST COAST", engine.codes, DAY, payer_id="09102", notice_date=dt.date(2026, 4, 1))  # type: ignore[arg-type]
    body = " ".join(text(render_pdf(letter)).split())
    assert letter.title.startswith("Request for redetermination")
    assert "by 2026-08-04" in body and "42 CFR 405.94" in body  # 5 days' mail + 120 days, with the rule cited


def test_an_excluded_diagnosis_letter_carries_a_warning_and_no_pa_department(engine) -> None:  # type: ignore[no-untyped-def]
    claim = _claim("fatigue-only.json")  # R53.83 alone: not a covered indication
    report = engine.check(claim, as_of=DAY)
    choice = for_claim(claim, report)
    assert choice.warnings and "excludes" in choice.warnings[0]
    letter = necessity_letter(claim, report, engine.codes, DAY)
    assert any("excludes" in note for note in letter.notes)
    medicare = _claim("clean.json")  # Medicare Part B: no prior authorization in fee-for-service
    plain = necessity_letter(medicare, engine.check(medicare, as_of=DAY), engine.codes, DAY)
    assert "Prior Authorization Department" not in " ".join(str(r) for line in plain.recipient for r in line)
    assert for_claim(medicare, engine.check(medicare, as_of=DAY)).kind == "none"  # clean, no PA: nothing to send


@pytest.mark.parametrize("name", ["clean.json", "fatigue-only.json", "no-authorization.json", "units-1500mcg.json"])
def test_letters_name_no_internal_documents(engine, name: str) -> None:  # type: ignore[no-untyped-def]
    claim = _claim(name)
    body = text(render_pdf(necessity_letter(claim, engine.check(claim, as_of=DAY), engine.codes, DAY)))
    body += text(render_pdf(appeal_letter(_payments()["DX-005"], "FCSO", engine.codes, DAY, claim=claim)))  # type: ignore[arg-type]
    assert not [word for word in INTERNAL if word in body]


def test_policy_and_code_data_users_read_name_no_internal_documents(engine) -> None:  # type: ignore[no-untyped-def]
    from preclaim.edi.denials import denial_table

    titles = [p.title for p in engine.policies.policies] + [denial_table().source.title]
    titles += [s.title for p in engine.policies.policies for s in p.sources.values()]
    assert not [t for t in titles if any(word in t for word in INTERNAL)]


def test_a_corrected_837_is_a_replacement_with_the_fixes(samples: Path) -> None:
    from preclaim.edi.x12.read837 import read_837
    from preclaim.edi.x12.replace837 import corrected_837, find_claim
    from preclaim.web.claim_edit import claim_values, merge
    from preclaim.web.form import parse_form

    path = samples / "x12/837p/demo.drug.example10.1.837"
    original = next(iter(read_837(path)))
    parsed = find_claim(path, original.number)
    assert parsed is not None
    values = {**claim_values(parsed.claim), "units": "3", "dx1": "D51.0", "prior_auth": "PA-1"}
    edited = parse_form(values).claim
    assert edited is not None
    fixed = merge(parsed.claim, edited)
    written = corrected_837(parsed, fixed, "PCN0042")
    again = next(iter(read_837(io.BytesIO(written.encode()))))
    claim = again.claim  # type: ignore[union-attr]
    assert claim.frequency_code == "7" and claim.prior_auth == "PA-1"
    assert claim.diagnoses[0].code == "D510" and "REF*F8*PCN0042" in written
    drug = [line for line in claim.lines if line.code.startswith("J")]
    assert drug and drug[0].units == 3
    assert len(claim.lines) == len(parsed.claim.lines)  # lines the form does not show are kept


def test_checklists_print_every_covered_code_with_boxes_and_sign_off(engine) -> None:  # type: ignore[no-untyped-def]
    from preclaim.web.checklist import plan_key, plan_sheet
    from preclaim.web.checklist_pdf import render_checklist_pdf

    library = engine.policies
    policy = library.get("lcd-l33967")
    sheet = plan_sheet(library, plan_key(policy), DAY)
    covered = next(i.text for g in sheet.groups for i in g.items if i.text.startswith("Covered:"))
    resolved = library.resolve(plan_key(policy), DAY)
    coverage = resolved.drug_section("J3420", "coverage").value
    codes = coverage.covered or resolved.code_lists.get(coverage.covered_list or "", ())
    assert len(codes) > 14 and all(e.code in covered for e in codes)  # all of them, not "and 21 more"
    body = text(render_checklist_pdf(sheet))
    assert "Clinic:" in body and "initials" in body


def test_icd10_search_finds_inclusion_terms() -> None:
    from preclaim.web.icd_search import search_icd10

    found = search_icd10("pernicious")
    assert found[0]["code"] == "D51.0" and "Pernicious" in str(found[0]["also"])


KEY = "desk-operator-key-0123456789"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    from preclaim.api.settings import ApiKey, hash_key

    app = service_app(tmp_path, insecure_dev=False, api_keys=(ApiKey(client="operator", sha256=hash_key(KEY)),))
    with LiveServer(app) as server:
        yield server


@contextmanager
def _client(server: LiveServer, **login: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30, headers={"origin": server.base}) as client:
        assert client.post("/login", data=login).status_code == 303
        yield client


def test_roles_audit_and_personal_api_keys(live: LiveServer) -> None:
    with _client(live, api_key=KEY) as admin:
        added = admin.post(
            "/settings/users", data={"username": "sam", "role": "front-desk", "password": "front desk 123"}
        )
        assert added.status_code == 303
        short = admin.post("/settings/users", data={"username": "lee", "role": "biller", "password": "short"})
        assert short.status_code == 422 and "Password: at least 10 characters" in short.text
        admin.post("/settings/users", data={"username": "lee", "role": "biller", "password": "billing is fun 1"})
        page = admin.post("/settings/practice", data={"name": "Lakeside", "npi": "12"})
        assert page.status_code == 422 and "10 digits" in page.text
    with _client(live, username="sam", password="front desk 123") as desk:
        assert desk.get("/").status_code == 200
        refused = desk.get("/worklist")
        assert refused.status_code == 403 and "billing role" in refused.text
        assert desk.get("/settings/users").status_code == 403
    with _client(live, username="lee", password="billing is fun 1") as biller:
        assert biller.get("/worklist").status_code == 200
        assert biller.get("/worklist/export.csv").status_code == 200
        key_page = biller.post("/account/api-key")
        key = key_page.text.split('id="new-key">')[1].split("<")[0]
        assert key.startswith("pk_")
    rest = httpx.get(live.base + "/v1/policies", headers={"x-api-key": key})
    assert rest.status_code == 200  # the personal key opens the REST API
    assert httpx.get(live.base + "/v1/policies", headers={"x-api-key": key + "x"}).status_code == 401
    wrong = httpx.post(
        live.base + "/login", data={"username": "lee", "password": "guess"}, headers={"origin": live.base}
    )
    assert wrong.status_code == 401
    with _client(live, api_key=KEY) as admin:
        trail = admin.get("/settings/audit").text
        for action in ("user added", "sign-in", "export", "new API key", "sign-in refused"):
            assert action in trail, action
        assert "front desk" in admin.get("/settings/users").text  # roles in words, not their codes
