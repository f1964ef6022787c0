"""fhirServer base URLs: parsed by parts, compared with the allow-list by parts, refused when ambiguous."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preclaim.api.fhir_urls import UnsafeUrl, check_fhir_id, parse_base
from preclaim.api.settings import Issuer, load_settings
from preclaim.errors import InputError

ENTRY = "https://ehr.example.org/fhir/"


@pytest.mark.parametrize(
    "same",
    [
        "https://ehr.example.org/fhir",
        "https://ehr.example.org/fhir/",
        "HTTPS://EHR.Example.ORG/fhir",  # scheme and host are not case-sensitive
        "https://ehr.example.org:443/fhir",  # the default port written out
        "https://ehr.example.org./fhir",  # the root label's dot
        "https://ehr.example.org/%66hir",  # an encoded unreserved character is that character
        "https://ehr.example.org/fhir/tenant-7/r4",  # below the entry
    ],
)
def test_the_same_server_written_differently_is_allowed(same: str) -> None:
    assert parse_base(same).within(parse_base(ENTRY))


@pytest.mark.parametrize(
    "other",
    [
        "https://ehr.example.org.evil.net/fhir",
        "https://evil-ehr.example.org/fhir",
        "https://ehr.example.org:8443/fhir",
        "http://ehr.example.org/fhir",  # the token must not go out in clear
        "https://ehr.example.org/FHIR",  # paths are case-sensitive
        "https://ehr.example.org/fhirevil",
        "https://ehr.example.org/",
    ],
)
def test_other_servers_and_paths_are_not_within(other: str) -> None:
    assert not parse_base(other).within(parse_base(ENTRY))


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("https://ehr.example.org/fhir/../../evil", "dot segment"),
        ("https://ehr.example.org/fhir/./x", "dot segment"),
        ("https://ehr.example.org/fhir/%2E%2e/evil", "dot segment"),
        ("https://ehr.example.org/fhir/..%2fevil", "encoded /"),
        ("https://ehr.example.org/fhir/%252e%252e/evil", "encoded /"),
        ("https://ehr.example.org/fhir/%ff", "not UTF-8"),
        ("https://ehr.example.org//fhir", "empty"),
        ("https://ehr.example.org@evil.net/fhir", "user"),
        ("https://:@evil.net/fhir", "user"),
        ("https://ehr.example.org\\@evil.net/fhir", "backslash"),
        ("https://ehr.example.org/fhir\\..\\evil", "backslash"),
        ("https://ehr.example.org/fhir?x=1", "query"),
        ("https://ehr.example.org/fhir#x", "fragment"),
        ("https://ehr.example.org/fhir\n", "control"),
        ("https://ehr.example.org/fh ir", "spaces"),
        ("https://ehr\u3002example.org/fhir", "non-ASCII"),
        ("https://ehr.example.%6frg/fhir", "plain host"),
        ("https://ehr..example.org/fhir", "empty label"),
        ("https://ehr.example.org:99999/fhir", "out of range"),
        ("https://ehr.example.org:0/fhir", "out of range"),
        ("https://ehr.example.org:44a3/fhir", "plain host"),
        ("ftp://ehr.example.org/fhir", "scheme"),
        ("//ehr.example.org/fhir", "absolute"),
        ("https:/ehr.example.org/fhir", "absolute"),
        ("https:///fhir", "plain host"),
        ("https://ehr.example.org/" + "a" * 3000, "longer than 2048"),
    ],
)
def test_ambiguous_base_urls_are_refused_naming_why(raw: str, why: str) -> None:
    with pytest.raises(UnsafeUrl, match=why):
        parse_base(raw)


def test_ipv6_and_queries_are_rebuilt_under_the_base() -> None:
    base = parse_base("http://[::1]:8080/r4/")
    assert str(base) == "http://[::1]:8080/r4"
    assert base.url("Patient/pat-1") == "http://[::1]:8080/r4/Patient/pat-1"
    with pytest.raises(UnsafeUrl, match="leave"):
        base.url("../../evil")


@pytest.mark.parametrize("bad", ["..", ".", "a/b", "a?b", "a#b", "a%2fb", "x" * 65, "", "ä"])
def test_patient_ids_that_could_change_a_query_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeUrl, match="FHIR id"):
        check_fhir_id(bad, "context.patientId")


def test_a_bad_allow_list_entry_stops_the_service_at_start(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text('[[service.cds_issuers]]\niss = "https://ehr"\nfhir_servers = ["https://ehr@evil.net/fhir"]\n')
    with pytest.raises(InputError, match=r"fhir_servers\[0\].*user"):
        load_settings(config)
    assert Issuer(iss="https://ehr", fhir_servers=(ENTRY,)).fhir_servers == (ENTRY,)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_and_a_parsed_base_reads_back_the_same(raw: str) -> None:
    try:
        base = parse_base("https://ehr.example.org/" + raw)
    except UnsafeUrl:
        return
    assert parse_base(str(base)) == base
    assert base.within(parse_base("https://ehr.example.org"))
