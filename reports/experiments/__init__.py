"""experiments"""

__all__: list[str] = []
