"""Input that must fit together: PV facing the equator by default in both hemispheres."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from tests.weather import writers
from twin.supply.pv import PVParams, pv_profile


def test_default_pv_faces_the_equator_in_both_hemispheres():
    ds, _ = writers.generated_year("qingyang", 0)
    south = ds.copy()
    south.attrs = {**ds.attrs, "latitude": -ds.attrs["latitude"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d, equator, pole in ((ds, 180.0, 0.0), (south, 0.0, 180.0)):
            default = pv_profile(d, PVParams()).sum()
            facing = pv_profile(d, dataclasses.replace(PVParams(), azimuth_deg=equator)).sum()
            away = pv_profile(d, dataclasses.replace(PVParams(), azimuth_deg=pole)).sum()
            assert default == facing
            assert away < 0.8 * facing  # a 30° array facing the pole loses a quarter or more
    assert np.isfinite(default)
