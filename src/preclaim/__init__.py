"""preclaim: check vitamin B12 injection claims before they are sent."""

from preclaim.native import select_path

__version__ = "0.1.0"
select_path()  # compiled engine and rules when built and current, else their sources (preclaim.native)
