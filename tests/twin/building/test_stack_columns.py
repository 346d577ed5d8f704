"""stack_columns reads each distinct parameter object once: equal to reading every case, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.building.cooling.chilled_water import ChilledWaterParams
from twin.building.cooling.free_air import FreeAirParams
from twin.building.electrical import ElectricalParams
from twin.building.facility import stack_columns
from twin.building.it_load import ITParams


def stacked_case_by_case(objs):
    """Every field of every object, as the columns were built before objects were shared."""
    out = {}
    for f in dataclasses.fields(objs[0]):
        vals = [getattr(o, f.name) for o in objs]
        v0 = vals[0]
        if isinstance(v0, str):
            if any(v != v0 for v in vals):
                raise ValueError(f"{objs[0].section}.{f.name}: one block needs one value, got {sorted(set(vals))}")
            out[f.name] = v0
        elif len(vals) == 1 or all(v == v0 for v in vals):
            out[f.name] = np.full((1, 1), v0, dtype=bool if isinstance(v0, bool) else float)
        else:
            out[f.name] = np.asarray(vals, dtype=bool if isinstance(v0, bool) else float)[:, None]
    return out


POOLS = {
    "facility": [
        ITParams(),
        ITParams(utilisation=0.4),
        ITParams(utilisation=0.4),  # equal values, another object
        ITParams(occupancy=0.5, racks=400, kw_per_rack=20.0),
        ITParams(occupancy_ramp=True, occupancy=0.3),
    ],
    "electrical": [ElectricalParams(), ElectricalParams(distribution_loss=0.03), ElectricalParams()],
    "free_air": [FreeAirParams(), FreeAirParams(evap_effectiveness=0.6), FreeAirParams(evaporative=False)],
    "chilled_water": [ChilledWaterParams(), ChilledWaterParams(t_supply_air=20.0)],
}


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(POOLS)), st.data())
def test_stack_columns_equals_the_case_by_case_construction(pool, data):
    objs = POOLS[pool]
    picks = data.draw(st.lists(st.integers(0, len(objs) - 1), min_size=1, max_size=40))
    block = [objs[i] for i in picks]
    fast, plain = stack_columns(block), stacked_case_by_case(block)
    assert fast.keys() == plain.keys()
    for name, want in plain.items():
        got = fast[name]
        if isinstance(want, str):
            assert got == want
        else:
            assert got.shape == want.shape and got.dtype == want.dtype, name
            assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes(), name


def test_text_fields_must_agree_in_a_block():
    block = [ITParams(), ITParams(containment="hot_aisle"), ITParams()]
    with pytest.raises(ValueError, match=r"facility\.containment: one block needs one value"):
        stack_columns(block)
