"""Placeholder until the codes helper lands the NDC normaliser."""
