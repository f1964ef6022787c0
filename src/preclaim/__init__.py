"""preclaim: check vitamin B12 injection claims before they are sent."""

__version__ = "0.1.0"
