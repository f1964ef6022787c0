"""The X12 commands as a user runs them: exit codes, JSON contract, fix-out, strict, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from x12_builders import b12_claim, interchange, subscriber

CLI = [sys.executable, "-c", "from preclaim.cli import main; main()"]


def preclaim(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], input=stdin.decode() if stdin else None, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_check_json_follows_the_report_contract(x12_samples: Path) -> None:
    done = preclaim("check", x12_samples / "837p/demo.drug.example10.1.837", "--as-of", "2004-08-02",
                    "--format", "json")  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    doc = json.loads(done.stdout)
    (claim,) = doc["claims"]
    assert claim["claim_id"] == "CLMNO12345" and claim["verdict"] in ("clean", "fix", "deny")
    assert {"rule", "severity", "line", "message", "carc", "rarc", "fix", "source"} <= set(claim["findings"][0])
    assert doc["rejected"] == []


def test_check_text_summary_and_fix_out(tmp_path: Path) -> None:
    source = tmp_path / "batch.837"
    source.write_bytes(interchange([*subscriber(2), *b12_claim("A", ndc="0517-0031-01"), *subscriber(3),
                                    *b12_claim("B", units="x")]))  # fmt: skip
    fixed = tmp_path / "fixed.837"
    done = preclaim("check", source, "--as-of", "2026-01-20", "--fix-out", fixed)
    assert done.returncode == 1, done.stderr
    assert "2 claims" in done.stdout and "1 rejected" in done.stdout and "claim BAD" not in done.stdout
    assert "claim B:" in done.stdout and "SV104" in done.stdout
    assert "mechanical fixes applied to 1 claim" in done.stdout
    text = fixed.read_text()
    assert "LIN**N4*00517003101~" in text and "SV1*HC:J3420*27.00*UN*x***1:2~" in text  # rejected kept as is
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.837", "fixed.837"]


def test_strict_reports_pyx12_beside_preclaim(x12_samples: Path) -> None:
    done = preclaim("check", x12_samples / "837p/demo.example1.837", "--as-of", "2006-10-20", "--strict")
    assert "pyx12 (implementation guide): valid" in done.stdout, done.stdout + done.stderr
    assert "validated against 005010X222A1" in done.stdout


BAD_INPUTS = {
    "truncated": lambda data: data[: data.index(b"LX*2")],
    "no-isa": lambda data: data[data.index(b"GS*") :],
    "wrong-isa": lambda data: data.replace(b"*00501*", b"*0501*", 1),
    "se-count": lambda data: data.replace(b"SE*", b"SE*9", 1),
    "non-ascii": lambda data: data.replace(b"TEST CLINIC", "TÉST CLINIC".encode()),
    "binary": lambda data: data[:300] + bytes(range(256)) * 8,
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path: Path, name: str) -> None:
    good = interchange([*subscriber(2), *b12_claim("A")])
    source = tmp_path / "in.837"
    source.write_bytes(BAD_INPUTS[name](good))
    done = preclaim("check", source, "--as-of", "2026-01-20", "--fix-out", tmp_path / "out.837")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    if source.read_bytes().startswith(b"ISA"):  # otherwise the CLI does not take it for X12 at all
        assert "segment" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["in.837"]


def test_fifty_megabyte_segment(tmp_path: Path) -> None:
    source = tmp_path / "huge.837"
    good = interchange([*subscriber(2), *b12_claim("A")])
    cut = good.index(b"HI*")
    with source.open("wb") as out:
        out.write(good[:cut] + b"NTE*ADD*")
        block = b"A" * (1 << 20)
        for _ in range(50):
            out.write(block)
        out.write(b"~" + good[cut:])
    done = preclaim("check", source, "--as-of", "2026-01-20", "--format", "json")
    assert done.returncode == 2 and "longer than" in done.stderr and "NTE" in done.stderr
    assert done.stdout == ""  # JSON is all or nothing


def test_the_sample_with_a_wrong_component_separator(x12_samples: Path) -> None:
    done = preclaim("denials", x12_samples / "835/cob-contractural-adjustment.835")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "segment 21 SVC01" in done.stderr and "'>'" in done.stderr


def test_denials_text_json_csv(x12_samples: Path) -> None:
    path = x12_samples / "835/835_mult_loops.txt"
    text = preclaim("denials", path)
    assert text.returncode == 0 and "CO-16" in text.stdout and "915.39" in text.stdout
    doc = json.loads(preclaim("denials", path, "--format", "json").stdout)
    assert doc["denied_claims"] == 1 and doc["by_code"][0]["code"] == "CO-16"
    csv = preclaim("denials", path, "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("payer,code,kind") and any(r.startswith("PAYER,CO-16,denial,1") for r in csv)


def test_999_is_not_taken_for_a_claim_file(x12_samples: Path) -> None:
    done = preclaim("check", x12_samples / "999/834_lui_id_5010.999.txt")
    assert done.returncode == 2 and "not an 837" in done.stderr


def test_generated_batch_checked_end_to_end(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from edi_generate import generate

    source = tmp_path / "batch.837"
    generate(2000, source)
    done = preclaim("check", source, "--as-of", "2026-01-15", "--format", "json", "--fix-out", tmp_path / "f.837")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert len(doc["claims"]) == 2000 and doc["rejected"] == []
    ids = [c["claim_id"] for c in doc["claims"]]
    assert ids[0] == "C00000000" and len(set(ids)) == 2000
    found = {f["rule"] for c in doc["claims"] for f in c["findings"]}
    assert {"code.wrong-drug", "ndc.format", "frequency.duplicate"} <= found  # planted problems are caught
    written = (tmp_path / "f.837").read_text()
    dashed = re.compile(r"LIN\*\*N4\*\d{5}-\d{4}-\d{2}~")
    assert written.count("CLM*") == 2000 and dashed.search(source.read_text()) and not dashed.search(written)


def test_strict_findings_in_text_and_json(tmp_path: Path, x12_samples: Path) -> None:
    text = (x12_samples / "837p/demo.example1.837").read_text()
    broken = tmp_path / "no-n3.837"
    broken.write_text(text.replace("N3*236 N MAIN ST~\n", "").replace("SE*40*0021", "SE*39*0021"))
    done = preclaim("check", broken, "--as-of", "2006-10-20", "--strict")
    assert done.returncode == 1 and "pyx12 (implementation guide): 1 finding" in done.stdout
    assert "Mandatory segment" in done.stdout and "(N3) missing" in done.stdout
    doc = json.loads(preclaim("check", broken, "--as-of", "2006-10-20", "--strict", "--format", "json").stdout)
    assert doc["strict"]["valid"] is False and doc["strict"]["findings"][0]["segment_id"] == "N3"
    assert doc["claims"][0]["claim_id"] == "26463774"


def test_denials_with_the_sent_claims_say_what_preclaim_predicted(tmp_path: Path) -> None:
    from test_edi_835 import INVENTED

    remit = tmp_path / "remit.835"
    remit.write_text(INVENTED)
    c2 = [s.replace("HI*ABK:D510*ABF:E538", "HI*ABK:R5383") for s in b12_claim("C2")]
    sent = tmp_path / "sent.837"
    sent.write_bytes(interchange([*subscriber(2), *b12_claim("C1", ndc="0517-0031-01"), *subscriber(3, "M0002"),
                                  *c2, *subscriber(4, "M0003"), *b12_claim("C3")]))  # fmt: skip
    done = preclaim("denials", remit, "--claims", sent, "--as-of", "2026-01-05", "--format", "json")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)["hindsight"]
    assert (seen["denied"], seen["in_claims_file"], seen["caught"]) == (2, 2, 2)
    by_id = {c["claim_id"]: c for c in seen["claims"]}
    assert by_id["C1"]["denial_codes"] == ["CO-16"] and any("ndc.format" in p for p in by_id["C1"]["predicted"])
    assert any("diagnosis" in p and "CO-50" in p for p in by_id["C2"]["predicted"])
    text = preclaim("denials", remit, "--claims", sent, "--as-of", "2026-01-05").stdout
    assert "2 of 2 denied claim(s) predicted" in text


def test_fix_out_into_a_missing_folder(x12_samples: Path, tmp_path: Path) -> None:
    done = preclaim("check", x12_samples / "837p/demo.example1.837", "--fix-out", tmp_path / "no/such/out.837")
    assert done.returncode == 2 and "cannot write --fix-out" in done.stderr and "Traceback" not in done.stderr


def test_envelope_reads_any_x12(x12_samples: Path, tmp_path: Path) -> None:
    done = preclaim("envelope", x12_samples / "999/834_lui_id_5010.999.txt")
    assert done.returncode == 0 and "30 segments, envelope valid" in done.stdout and "4 x 999" in done.stdout
    bad = tmp_path / "bad.999"
    bad.write_text((x12_samples / "999/834_lui_id_5010.999.txt").read_text().replace("GE*2*102", "GE*3*102"))
    done = preclaim("envelope", bad)
    assert done.returncode == 2 and "GE01 count mismatch" in done.stderr
