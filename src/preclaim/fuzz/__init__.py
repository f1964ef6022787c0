"""Fuzzing of preclaim's input parsers: mutated real samples must be accepted or refused with a position."""

from preclaim.fuzz.mutate import apply, random_mutations
from preclaim.fuzz.targets import TARGETS, Failure, Target, classify

__all__ = ["TARGETS", "Failure", "Target", "apply", "classify", "random_mutations"]
