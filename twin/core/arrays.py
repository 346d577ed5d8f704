"""Small array helpers shared by the physics and the orchestrator."""

from __future__ import annotations

import numpy as np

__all__ = ["total"]


def total(*parts: np.ndarray | float) -> np.ndarray:
    """Sum of broadcastable arrays into one new array, added in place, left to right.

    Parts that are the scalar 0 are skipped. On (case, hour) arrays this allocates one result
    instead of a temporary per ``+``; the order of the additions is that of ``a + b + c``.
    """
    arrays = [a for a in parts if not (np.ndim(a) == 0 and a == 0.0)]
    if not arrays:
        return np.zeros(())
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    out = np.array(np.broadcast_to(arrays[0], shape), dtype=float)
    for a in arrays[1:]:
        out += a
    return out
