"""X12 005010: a streaming tokenizer with envelope checks, the 837P reader/writer and the 835 reader."""

from preclaim.edi.x12.tokenizer import Delimiters, Segment, Tokenizer, open_source, parse_isa, tokenize

__all__ = ["Delimiters", "Segment", "Tokenizer", "open_source", "parse_isa", "tokenize"]
