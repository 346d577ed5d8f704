"""Numbers in messages: :func:`weather.fmt.number`, the one formatter of the project, at the
bottom of the layers so that ``weather`` and ``sites`` use it too."""

from __future__ import annotations

from weather.fmt import Explained, Overflow, Typed, TypedInt, given, nearest, number, read_float, read_typed, span

__all__ = [
    "Explained",
    "Overflow",
    "Typed",
    "TypedInt",
    "given",
    "nearest",
    "number",
    "read_float",
    "read_typed",
    "span",
]
