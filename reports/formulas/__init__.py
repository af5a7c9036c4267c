"""formulas"""

__all__: list[str] = []
