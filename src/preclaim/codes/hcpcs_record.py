"""What `preclaim codes import-hcpcs` stores: the CMS file it read and every procedure code in it.

A module of its own, read as Python: msgspec decodes the stored file through this class's annotations, which a
module compiled with mypyc (the registry) does not keep.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from preclaim.codes.types import HcpcsCode

IMPORTED_HCPCS = "hcpcs-imported.json"
FORMAT = "preclaim-hcpcs-import/1"


class HcpcsImport(msgspec.Struct, frozen=True):
    """What `preclaim codes import-hcpcs` stored: the file it read and every procedure code in it."""

    file: str
    imported_at: dt.datetime
    codes: list[HcpcsCode]
    format: str = FORMAT
