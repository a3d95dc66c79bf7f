"""Helpers that belong to no layer: small, pure functions."""
