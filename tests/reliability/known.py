"""Corpus cases that still fail in another engineer's area, as strict xfails with the owner.

One place, so that they can be pruned after merging: a case listed here that passes fails the
run (strict), and must then be removed from this list.
"""

from __future__ import annotations

_CONTRACTS = "contracts (twin/config.py, twin/params.py)"
KNOWN: dict[str, str] = {
    "scenario/green-not-a-table": f"{_CONTRACTS}: a section that is not a table is an internal error",
    "scenario/weather-not-a-table": f"{_CONTRACTS}: the error does not name [weather]",
    "scenario/facility-not-a-table": f"{_CONTRACTS}: a section that is not a table is an internal error",
    "scenario/designs-number": f"{_CONTRACTS}: the error does not name designs",
    "scenario/sweep-not-a-table": f"{_CONTRACTS}: the error does not name sweep",
    "scenario/float-seed": f"{_CONTRACTS}: seed = 1.5 validates, then a NumPy TypeError",
    "scenario/refrigerant-unknown": f"{_CONTRACTS}: an unknown refrigerant fails only during the run",
    "scenario/fluid-unknown": f"{_CONTRACTS}: an unknown coolant fails only during the run",
    "scenario/wind-hub-height-20": f"{_CONTRACTS}: a hub height inside its range that windpowerlib rejects",
    "scenario/utf16-file": f"{_CONTRACTS}: a UTF-16 scenario file is an internal error",
    "scenario/binary-file": f"{_CONTRACTS}: a binary scenario file is an internal error",
    "sites/site-dir-used-by-run": f"{_CONTRACTS}: twin --site-dir DIR run ignores DIR",
    "sites/site-dir-override-used-by-run": f"{_CONTRACTS}: twin --site-dir DIR run ignores DIR",
    "physics/leakage-and-warm-coolant": "physics (cooling designs): PUE 0.66 and negative IT energy, exit 0",
    "physics/utilisation-0-idle-0": "physics (IT load): utilisation 0 with idle fraction 0 gives PUE inf, exit 0",
    "invariants/hourly-share-at-most-annual": (
        "green accounting: with storage and no PV or wind the stored energy at the start of the year "
        "counts as green and is never replaced (terminal SOC), so the hourly share exceeds the annual one"
    ),
}
"""Case id → "owner area: what is wrong"."""
