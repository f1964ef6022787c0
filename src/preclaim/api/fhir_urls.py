"""FHIR server base URLs parsed strictly, so an EHR's `fhirServer` is compared with the allow-list by parts.

A string prefix let `https://ehr.example.org/fhir/../../evil`, `https://ehr.example.org.evil.net` (for an entry
without a trailing slash), `http://ehr.example.org@evil.net/` and `http://host:80` vs `:8080` through, sending
the EHR's access token and the patient id elsewhere. Here a base URL is cut into scheme, host, port and path
segments from the raw text (before any library normalises dot segments away), anything a parser could read
two ways is refused (userinfo, dot segments, also percent-encoded, backslashes, query, fragment, control
characters, non-ASCII), and the URLs we request are rebuilt from those parts and checked once more with the
HTTP client's own parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

import httpx

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.S)
_HOST_PORT = re.compile(r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{0,5}))?")
_DEFAULT_PORT = {"http": 80, "https": 443}
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"  # RFC 3986 pchar without percent: what a canonical segment keeps as is
FHIR_ID = re.compile(r"[A-Za-z0-9.-]{1,64}")  # the FHIR id datatype
MAX_URL = 2048


class UnsafeUrl(ValueError):
    """A base URL that is refused; the message says why, in words a user can act on."""


@dataclass(frozen=True)
class FhirBase:
    scheme: str
    host: str  # lower case, no trailing dot; IPv6 without brackets
    port: int  # the default port when none is written
    segments: tuple[str, ...]  # percent-decoded, no empty or dot segments

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == _DEFAULT_PORT[self.scheme] else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"

    @property
    def path(self) -> str:
        return "".join("/" + quote(s, safe=_SEGMENT_SAFE) for s in self.segments)

    def within(self, entry: FhirBase) -> bool:
        """Same scheme, host and port, and the entry's path segments are the first of ours."""
        same_server = (self.scheme, self.host, self.port) == (entry.scheme, entry.host, entry.port)
        return same_server and self.segments[: len(entry.segments)] == entry.segments

    def url(self, relative: str) -> str:
        """`relative` (e.g. `Patient/123`, built from a checked FHIR id) under this base, checked once more."""
        url = f"{self}/{relative}"
        parsed = httpx.URL(url)
        port = parsed.port or _DEFAULT_PORT[parsed.scheme]
        same = (parsed.scheme, parsed.raw_host.decode("ascii"), port) == (self.scheme, self.host, self.port)
        if not same or not parsed.raw_path.startswith(f"{self.path}/".encode()):
            raise UnsafeUrl(f"the FHIR query {relative!r} would leave the server's base URL")
        return url


def parse_base(raw: str) -> FhirBase:
    """A FHIR server base URL, or UnsafeUrl naming what is wrong with it."""
    if len(raw) > MAX_URL:
        raise UnsafeUrl(f"it is longer than {MAX_URL} characters")
    if not raw.isascii() or not raw.isprintable() or " " in raw:
        raise UnsafeUrl("it holds spaces, control or non-ASCII characters (write a host in its xn-- form)")
    if "\\" in raw:
        raise UnsafeUrl("it holds a backslash")
    match = _URL.fullmatch(raw)
    if match is None:
        raise UnsafeUrl("it is not an absolute http(s) URL")
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORT:
        raise UnsafeUrl(f"scheme {scheme!r} is not http or https")
    if match["rest"]:
        raise UnsafeUrl("a base URL takes no query or fragment")
    host, port = _authority(match["authority"], scheme)
    base = FhirBase(scheme, host, port, _segments(match["path"]))
    _cross_check(base)
    return base


@lru_cache(maxsize=256)
def allow_list_entry(raw: str) -> FhirBase:
    """A fhir_servers entry, parsed once (entries come from the config, so the cache stays small; request
    values are never cached, or an EHR could fill memory with distinct long URLs)."""
    return parse_base(raw)


def _authority(authority: str, scheme: str) -> tuple[str, int]:
    if "@" in authority:
        raise UnsafeUrl("it names a user (user@host), which is not accepted")
    found = _HOST_PORT.fullmatch(authority)
    if found is None or "%" in authority:
        raise UnsafeUrl("its host is not a plain host name, IPv4 or [IPv6] address with an optional port")
    host = (found["ip6"] or found["name"]).lower()
    host = host[:-1] if host.endswith(".") and not found["ip6"] else host
    if not host or ".." in host or host.startswith("."):
        raise UnsafeUrl("its host name is empty or has an empty label")
    port = int(found["port"]) if found["port"] else _DEFAULT_PORT[scheme]
    if not 0 < port < 65536:
        raise UnsafeUrl(f"port {port} is out of range")
    return host, port


def _segments(path: str) -> tuple[str, ...]:
    if path and not path.startswith("/"):
        raise UnsafeUrl("its path does not start with /")
    parts = path.split("/")[1:]
    if parts and parts[-1] == "":
        parts.pop()  # one trailing slash: `.../fhir/` and `.../fhir` are the same base
    segments = []
    for part in parts:
        try:
            decoded = unquote(part, errors="strict")
        except UnicodeDecodeError:
            raise UnsafeUrl("its path has a percent-encoding that is not UTF-8") from None
        if decoded in ("", ".", ".."):
            raise UnsafeUrl("its path has an empty or dot segment (., .., %2e%2e or //)")
        if any(c in decoded for c in "/\\%") or not decoded.isprintable():
            raise UnsafeUrl("its path has an encoded /, \\, % or control character")
        segments.append(decoded)
    return tuple(segments)


def _cross_check(base: FhirBase) -> None:
    """The HTTP client must read our canonical form as the same scheme, host, port and path."""
    try:
        parsed = httpx.URL(str(base))
    except (httpx.InvalidURL, ValueError):
        raise UnsafeUrl("the HTTP client cannot read it") from None
    port = parsed.port or _DEFAULT_PORT[base.scheme]
    seen = (parsed.scheme, parsed.raw_host.decode("ascii"), port, parsed.raw_path.decode("ascii"))
    if seen != (base.scheme, base.host, base.port, base.path or "/"):
        raise UnsafeUrl("the HTTP client would read it differently")


def check_fhir_id(value: str, where: str) -> str:
    """A FHIR resource id (letters, digits, - and ., at most 64) that is not a dot segment."""
    if not FHIR_ID.fullmatch(value) or value in (".", ".."):
        raise UnsafeUrl(f"{where} must be a FHIR id (1-64 letters, digits, '-' or '.'), not {value[:80]!r}")
    return value
