"""render"""

__all__: list[str] = []
