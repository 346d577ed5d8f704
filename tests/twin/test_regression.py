"""Every example and a five-design sweep give the results stored in tests/data/regression.json.

The file is written by ``python tests/regression.py``; a commit that changes a result on purpose
rewrites it and says why. Tolerance: 1e-12 relative to each quantity's own scale (for a checksum,
the largest hourly magnitude × hours, so a sum near zero is not held to a relative bound it cannot
have). On the machine that wrote the file the results are bit-identical; 1e-12 leaves room for a
different CPU's vectorised exp/log (a few ulp, ~1e-16) carried through the fixed-point iterations.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.regression import DATA, checksums, scenarios

RTOL = 1e-12

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _close(got, want, scale, what: str) -> None:
    got, want, scale = (np.asarray(x, dtype=float) for x in (got, want, scale))
    assert got.shape == want.shape, f"{what}: {got.shape} cases, reference {want.shape}"
    same_nan = np.isnan(got) == np.isnan(want)
    assert same_nan.all(), f"{what}: NaN where the reference has a value (or the reverse): {got} vs {want}"
    ok = np.isnan(want) | (np.abs(got - want) <= RTOL * np.maximum(np.abs(want), scale))
    assert ok.all(), f"{what}: {got[~ok]} against the reference {want[~ok]}"


@pytest.mark.parametrize("label", list(scenarios()))
def test_results_unchanged(label, reference):
    assert label in reference, f"{label} has no stored reference: run python tests/regression.py"
    ref, now = reference[label], checksums(scenarios()[label])
    assert sorted(now["kpis"]) == sorted(ref["kpis"]), "KPI names changed"
    assert sorted(now["hourly"]) == sorted(ref["hourly"]), "hourly variable names changed"
    for name, want in ref["kpis"].items():
        _close(now["kpis"][name], want, 0.0, f"{label} KPI {name}")
    for name, want in ref["hourly"].items():
        n_hours = 8760.0
        scale = np.asarray(want["absmax"], dtype=float) * n_hours
        for key in ("sum", "weighted"):
            _close(now["hourly"][name][key], want[key], scale, f"{label} {name} {key}")
        _close(now["hourly"][name]["absmax"], want["absmax"], 0.0, f"{label} {name} absmax")
