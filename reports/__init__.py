"""Joins derivations and numerics: claim registry, check engine, formula parsing, CLI."""

__all__: list[str] = []
