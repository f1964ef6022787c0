"""Placeholder until the codes helper lands the real registry (see codes/__init__ docstring)."""
