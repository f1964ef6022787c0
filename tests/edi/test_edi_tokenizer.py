"""Tokenizer: delimiters, streaming across chunk boundaries, envelope checks and bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from preclaim.edi.x12 import Tokenizer, tokenize
from preclaim.edi.x12.tokenizer import SharedSegments
from preclaim.errors import X12Error

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~"
BODY = [
    "GS*HC*SENDER*RECEIVER*20260101*1200*7*X*005010X222A1",
    "ST*837*0001*005010X222A1",
    "BHT*0019*00*B1*20260101*1200*CH",
    "SE*3*0001",
    "GE*1*7",
    "IEA*1*000000001",
]


def interchange(body: list[str] = BODY, sep: str = "~\n") -> bytes:
    return (ISA + sep[1:] + sep.join(body) + sep).encode()


def segments(data: bytes, **options: int) -> list[list[str]]:
    return list(Tokenizer(io.BytesIO(data), source="t.837", **options))


def error(data: bytes, **options: int) -> X12Error:
    with pytest.raises(X12Error) as caught:
        segments(data, **options)
    return caught.value


def test_every_sample_is_tokenized_and_envelope_checked(x12_samples: Path) -> None:
    counts = {p.name: len(list(tokenize(p))) for p in sorted(x12_samples.glob("*/*"))}
    assert counts["demo.example1.837"] == 44
    assert counts["834_lui_id_5010.999.txt"] == 30  # 2 groups, 4 sets
    assert len(counts) == 10


def test_delimiters_come_from_the_isa(x12_samples: Path) -> None:
    with open(x12_samples / "999/834_ls_le_ls_5010.999.txt", "rb") as stream:
        tok = Tokenizer(stream)
        assert (tok.delimiters.element, tok.delimiters.repetition) == ("*", "!")
        assert (tok.delimiters.component, tok.delimiters.segment) == (":", "~")
        assert tok.line_ending == "\n"


def test_other_delimiters_and_no_line_breaks() -> None:
    data = interchange().decode().replace("*", "|").replace("~\n", "'").replace(":'", ">'")
    segs = segments(data.encode())
    assert segs[1][:3] == ["GS", "HC", "SENDER"]
    assert segs[-1] == ["IEA", "1", "000000001"]


def test_crlf_after_terminators_is_tolerated() -> None:
    assert segments(interchange(sep="~\r\n")) == segments(interchange(sep="~"))


def test_tiny_chunks_give_the_same_segments() -> None:
    data = interchange()
    assert segments(data, chunk_size=5) == segments(data)


def test_mixed_line_breaks_give_the_segments_of_a_file_without_them() -> None:
    """One segment a line has a fast path; any other mix of breaks and blank lines must split the same."""
    want = segments(interchange(sep="~"))
    endings = ["~\n", "~", "~\r\n", "~\n\n", "~\r", "~\n"]
    for shift in range(len(endings)):
        text = ISA + "\n"
        for n, seg in enumerate(BODY):
            text += seg + endings[(n + shift) % len(endings)]
        for chunk_size in (7, 40, 1 << 16):
            assert segments(text.encode(), chunk_size=chunk_size) == want, (shift, chunk_size)
    assert segments(interchange(sep="~\n"), chunk_size=31) == want


def test_standard_input_style_stream_is_read_in_chunks() -> None:
    class OnlySmallReads(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self.data.read(min(len(buffer), 3))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stream = io.BufferedReader(OnlySmallReads(interchange()))
    assert len(list(Tokenizer(stream, chunk_size=64))) == 7  # type: ignore[arg-type]


def test_se_count_mismatch_names_segment_element_found_and_expected() -> None:
    body = [*BODY]
    body[3] = "SE*5*0001"
    err = error(interchange(body))
    assert (err.segment_number, err.segment_id, err.element) == (5, "SE", 1)
    assert err.found == "5" and "3" in (err.expected or "")
    assert "t.837 segment 5 SE01" in str(err)


def test_control_number_mismatches() -> None:
    for index, bad, tag in ((3, "SE*3*0002", "SE"), (4, "GE*1*8", "GE"), (5, "IEA*1*000000002", "IEA")):
        body = [*BODY]
        body[index] = bad
        err = error(interchange(body))
        assert (err.segment_id, err.element) == (tag, 2)


def test_group_and_interchange_counts() -> None:
    body = [*BODY]
    body[4] = "GE*2*7"
    assert error(interchange(body)).segment_id == "GE"
    body = [*BODY]
    body[5] = "IEA*3*000000001"
    assert error(interchange(body)).element == 1


def test_missing_isa_and_garbage() -> None:
    err = error(b"GS*HC*X~" + b"x" * 200)
    assert err.segment_number == 1 and err.expected == "'ISA'"
    err = error(bytes(range(256)) * 4)
    assert "ISA" in str(err) or "non-ASCII" in str(err)


def test_isa_that_is_not_fixed_width() -> None:
    data = interchange().replace(b"SENDER         ", b"SENDER", 1)
    err = error(data)
    assert err.segment_id == "ISA" and err.element is not None


def test_truncated_file() -> None:
    data = interchange()
    err = error(data[: data.index(b"GE*")])
    assert "truncated" in str(err) and err.expected == "GE"
    err = error(data[: data.index(b"GE*") + 4])
    assert "no terminator" in str(err) and err.segment_number == 6


def test_non_ascii_byte_gives_offset_and_segment() -> None:
    data = interchange().replace(b"BHT*0019", "BHT*00é9".encode())
    err = error(data)
    assert err.segment_number == 4 and err.segment_id == "BHT"
    assert "byte offset" in str(err)


def test_binary_garbage_inside_a_transaction() -> None:
    body = [*BODY]
    body.insert(3, "\x00\x01\x02*junk")
    body[4] = "SE*4*0001"
    err = error(interchange(body))
    assert err.segment_number == 5 and "segment id" in str(err)


def test_segment_outside_a_transaction_set() -> None:
    body = [*BODY]
    body.insert(4, "BHT*0019")
    err = error(interchange(body))
    assert err.segment_number == 6


def test_huge_segment_stops_early_in_constant_memory() -> None:
    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0
            self.head = interchange().split(b"SE*")[0] + b"NTE*ADD*"

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            if self.sent >= 50 * 2**20:
                return 0
            data = self.head if self.sent == 0 else b"A" * len(buffer)
            buffer[: len(data)] = data
            self.sent += len(data)
            return len(data)

    raw = Endless()
    err = error_from(io.BufferedReader(raw, buffer_size=1 << 16))
    assert err.segment_id == "NTE" and err.segment_number == 5
    assert raw.sent < 4 * 2**20  # stopped long before the 50 MB end


def error_from(stream: io.BufferedReader) -> X12Error:
    with pytest.raises(X12Error) as caught:
        list(Tokenizer(stream))  # type: ignore[arg-type]
    return caught.value


def test_wrong_component_separator_sample_still_tokenizes(x12_samples: Path) -> None:
    segs = list(tokenize(x12_samples / "835/cob-contractural-adjustment.835"))
    assert ["SVC", "HC>55669", "541.00", "34.00", "", "1.00"] in segs


def test_line_break_as_segment_terminator() -> None:
    crlf = interchange().decode().replace("~\n", "\r\n").replace(":\r\n", ":\n", 1)
    segs = segments(crlf.encode())
    assert segs == segments(interchange())


def _read(data: bytes, share: bool, chunk_size: int) -> list[list[str]] | str:
    """Every segment of batches(shared=...), or the error it raises, as text. Shared, it also checks the
    promise of `fresh`: a segment not fresh repeats the text of a fresh one before it."""
    tok = Tokenizer(io.BytesIO(data), source="t.837", chunk_size=chunk_size)
    shared = SharedSegments() if share else None
    seen: set[tuple[str, ...]] = set()
    out = []
    try:
        for _, batch in tok.batches(shared=shared):
            if shared is not None:
                fresh = set(shared.fresh)
                for offset, seg in enumerate(batch):
                    assert offset in fresh or tuple(seg) in seen
                    seen.add(tuple(seg))
            out.extend(batch)
    except X12Error as err:
        return str(err)
    return out


IRREGULAR = [
    interchange(),
    interchange(sep="~\r\n"),
    interchange(sep="~"),
    interchange([*BODY[:2], "", "BHT*0019*00*B1*20260101*1200*CH", *BODY[3:]]),  # a blank line
    interchange().replace(b"BHT*", b"BHT*0019~\nBHT*"),  # one more segment: the SE count is off
    interchange().replace(b"*B1*", b"*B1\n*"),  # a line break inside a segment
    interchange().replace(b"*B1*", b"*B1~*"),  # a terminator not followed by its line break
    interchange().replace(b"~\nSE", b"~~\nSE"),  # a doubled terminator
    interchange()[:-1] + b"\nIEA",  # a last segment cut off after a line break
    interchange()[:-1],  # no terminator at the end
]


@pytest.mark.parametrize("data", IRREGULAR)
def test_shared_segments_are_those_of_the_plain_split(data: bytes) -> None:
    """The 837 reader's path (shared: one list per segment text, checked text by text instead of by
    counting) gives the same segments, or the same error, wherever the chunks are cut."""
    for chunk_size in (16, 100, 1 << 16):
        assert _read(data, True, chunk_size) == _read(data, False, chunk_size), chunk_size


def test_shared_segments_are_one_list_per_text() -> None:
    data = interchange([*BODY[:3], "NTE*ADD*SAME", "NTE*ADD*SAME", "SE*5*0001", *BODY[4:]])
    tok = Tokenizer(io.BytesIO(data), source="t.837")
    shared = SharedSegments(never_kept=frozenset({"SE"}))
    segs, fresh = [], []
    for base, batch in tok.batches(shared=shared):
        fresh += [base + offset for offset in shared.fresh]
        segs += batch
    assert segs[4] == ["NTE", "ADD", "SAME"] and segs[4] is segs[5]
    assert 6 not in fresh and 5 in fresh  # segment numbers: the second NTE repeats the first
    assert set(fresh) == set(range(1, len(segs) + 1)) - {6}
