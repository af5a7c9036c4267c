"""User formulas: parsed without evaluation (:mod:`reports.formulas.parse`), checked against
the derivation and the simulator (:mod:`reports.formulas.engine`), one or a file of them
(:mod:`reports.formulas.files`)."""

__all__: list[str] = []
