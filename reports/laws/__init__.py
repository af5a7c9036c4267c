"""laws"""

__all__: list[str] = []
