"""Reference results of the examples and of a five-design sweep: written once, checked by a test.

``python tests/regression.py`` (re)writes ``tests/data/regression.json``; ``tests/twin/test_regression.py``
checks that every annual KPI and every hourly variable's checksums are unchanged. Rewrite the file
only in a commit that changes a result on purpose, and say which and why in the message.

Per case and hourly variable the file holds the annual sum, a time-weighted sum
(Σ x_t (t + 1) / n, which moves when values move between hours) and the largest magnitude; per case
every KPI.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "regression.json"
SWEEP_SITES = ("qingyang", "guian")


def scenarios() -> dict:
    """``{label: Scenario}``: every example and all five designs at two sites."""
    from twin import Scenario, load_scenario
    from twin.building.cooling import DESIGNS

    out = {p.name: load_scenario(p) for p in sorted((ROOT / "examples").glob("*.toml"))}
    out["sweep:five-designs"] = Scenario(sites=SWEEP_SITES, designs=tuple(DESIGNS), name="five-designs")
    return out


def checksums(sc) -> dict:
    """KPIs and hourly checksums of one scenario, as plain floats."""
    import weather
    from twin import kpis, simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", weather.WeatherWarning)
        ds = simulate(sc)
    k = kpis(ds)
    n = ds.sizes.get("case", 1)
    out: dict = {"kpis": {}, "hourly": {}}
    for name in sorted(k.data_vars):
        out["kpis"][name] = np.atleast_1d(k[name].to_numpy()).astype(float).tolist()
    for name in sorted(ds.data_vars):
        if "time" not in ds[name].dims:
            continue
        a = np.asarray(ds[name].transpose(..., "time").to_numpy(), dtype=float).reshape(n, -1)
        w = (np.arange(a.shape[1]) + 1.0) / a.shape[1]
        out["hourly"][name] = {
            "sum": np.sum(a, axis=1).tolist(),
            "weighted": np.sum(a * w, axis=1).tolist(),
            "absmax": np.max(np.abs(a), axis=1).tolist(),
        }
    return out


def compute() -> dict:
    return {label: checksums(sc) for label, sc in scenarios().items()}


def main() -> int:
    data = compute()
    DATA.write_text(json.dumps(data, indent=0, sort_keys=True, allow_nan=True) + "\n", encoding="utf-8")
    print(f"wrote {DATA} ({DATA.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script: import the repository's packages, not tests/twin
    sys.exit(main())
