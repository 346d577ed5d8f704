"""Corpus cases that still fail in another engineer's area, as strict xfails with the owner.

One place, so that they can be pruned after merging: a case listed here that passes fails the
run (strict), and must then be removed from this list.
"""

from __future__ import annotations

KNOWN: dict[str, str] = {}
"""Case id → "owner area: what is wrong"."""
