"""Log lines nobody can forge and that carry no patient ids: values escaped, routes logged as templates.

A request path is percent-decoded before we see it, so `%0a` in a URL became a line break in the access log
(a forged ERROR line after it), `%00` a NUL, `%1b[` a terminal escape; a JWT `tenant` or OAuth `client_id`
with a newline did the same. Every record passing the filter below is formatted and escaped: backslash and
every character str.isprintable() rejects (C0/C1 controls, DEL, line and paragraph separators, bidi
overrides) become \\xNN / \\uNNNN, so one record is one line and the text can be read back unambiguously.
Paths are logged as the route that matched (/v1/patients/{patient_key}/history), never as sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_MARK = "preclaim_escaped"


def escape(text: str) -> str:
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else _escape_char(c) for c in text)


def _escape_char(c: str) -> str:
    n = ord(c)
    if c == "\\":
        return "\\\\"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


class EscapeFilter(logging.Filter):
    """Formats a record's message and escapes it, once (a record may pass a logger's and a handler's filter).
    The format strings are ours and hold no control characters, so escaping the whole line escapes exactly
    the values put into it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, _MARK, False):
            record.msg, record.args = escape(record.getMessage()), ()
            setattr(record, _MARK, True)
        return True


def safe_logger(name: str) -> logging.Logger:
    """A logger whose records are escaped whatever handler the embedding application attaches."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, EscapeFilter) for f in logger.filters):
        logger.addFilter(EscapeFilter())
    return logger


def route_template(scope: Mapping[str, Any]) -> str:
    """The path of the route this request matched (or would match: 413 and 429 answer before routing), else
    only the first segment of what was sent (a mistyped URL can hold a patient id too)."""
    template = getattr(scope.get("route"), "path_format", None)
    if isinstance(template, str):
        return template
    path = str(scope.get("path", ""))
    for regex, template in _templates(getattr(scope.get("app"), "router", None)):
        if regex.match(path):
            return template
    first, _, rest = path.lstrip("/").partition("/")
    return "/" + first[:40] + ("/..." if rest or len(first) > 40 else "")  # escaped by the filter


def _templates(router: Any) -> list[tuple[re.Pattern[str], str]]:
    """(regex, template) of every route, found once per app."""
    if router is None:
        return []
    found: list[tuple[re.Pattern[str], str]] | None = getattr(router, "_preclaim_templates", None)
    if found is None:
        found = list(_walk(getattr(router, "routes", ())))
        router._preclaim_templates = found
    return found


def _walk(routes: Iterable[Any]) -> Iterator[tuple[re.Pattern[str], str]]:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)  # FastAPI's included routers
        if callable(contexts):
            yield from _walk(contexts())
            continue
        regex, template = getattr(route, "path_regex", None), getattr(route, "path_format", None)
        if isinstance(regex, re.Pattern) and isinstance(template, str):
            yield regex, template
