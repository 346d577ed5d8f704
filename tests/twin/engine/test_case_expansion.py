"""The fast paths of the engine's Python side equal the straightforward constructions they replace.

``Scenario.cases()`` combines parameter sets built once at construction; the block plan keys
each distinct parameter object once; server capex is one vectorised call per annuity; the
hourly Dataset skips xarray's merge. Each is compared here with the plain construction, field
by field or bit for bit.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import sys
import tracemalloc
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin import ConfigError, Scenario
from twin.building.it_load import ITParams
from twin.core.variables import build_dataset
from twin.engine import config
from twin.engine import simulate as sim
from twin.engine.config import COOLING, SECTIONS, Case
from twin.money.economics import EconomicsParams, server_capex_annual

KEYS = {
    "facility.utilisation": (0.2, 1.0),
    "facility.occupancy": (0.3, 1.0),
    "electrical.distribution_loss": (0.0, 0.05),
    "economics.discount_rate": (0.0, 0.12),
    "cooling.free_air.evap_effectiveness": (0.0, 1.0),
    "cooling.free_air.t_supply_setpoint": (15.0, 22.0),
    "cooling.chilled_water.t_supply_air": (18.0, 24.0),
}


def straightforward_cases(sc: Scenario) -> list[Case]:
    """The cases as a loop over every case would build them: one replace per swept key and case."""
    per_case = {s.path: s.attr for s in SECTIONS if s.per_case}
    out = []
    for site in sc.sites:
        for design in sc.designs:
            for combo in itertools.product(*[v for _, v in sc.sweep]):
                parts = {a: getattr(sc, a) for a in per_case.values()}
                parts[COOLING] = sc.cooling[design]
                swept = []
                for (key, _), value in zip(sc.sweep, combo, strict=True):
                    section, _, name = key.rpartition(".")
                    if section.startswith(COOLING + "."):
                        if section != f"{COOLING}.{design}":
                            continue
                        target = COOLING
                    else:
                        target = per_case[section]
                    parts[target] = dataclasses.replace(parts[target], **{name: value})
                    swept.append((key, value))
                out.append(Case(site, design, swept=tuple(swept), **parts))
    return out


@st.composite
def sweeps(draw):
    keys = draw(st.lists(st.sampled_from(sorted(KEYS)), min_size=0, max_size=4, unique=True))
    sweep = []
    for k in keys:
        lo, hi = KEYS[k]
        values = draw(st.lists(st.floats(lo, hi), min_size=1, max_size=4, unique=True))  # a repeated value is refused
        sweep.append((k, tuple(values)))
    sites = draw(st.sampled_from([("qingyang",), ("qingyang", "karamay")]))
    designs = draw(st.sampled_from([("free_air",), ("chilled_water",), ("free_air", "chilled_water")]))
    return Scenario(sites=sites, designs=designs, sweep=tuple(sweep))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweeps())
def test_cases_equal_the_straightforward_construction_field_by_field(sc):
    fast, plain = sc.cases(), straightforward_cases(sc)
    assert len(fast) == len(plain)
    for a, b in zip(fast, plain, strict=True):
        for f in dataclasses.fields(Case):
            assert getattr(a, f.name) == getattr(b, f.name), f.name
            assert type(getattr(a, f.name)) is type(getattr(b, f.name))
        assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
        assert a.__dict__ == Case(**a.__dict__).__dict__  # exactly the dataclass' fields, nothing more
    assert sc.cases() == fast  # the same list again (nothing consumed)
    assert pickle.loads(pickle.dumps(fast)) == fast  # as a Dask task ships them


def test_a_case_takes_the_memory_of_a_plainly_constructed_case():
    """Cases built without ``__init__`` keep their field values inline, as plain ones do (a dict
    object per case would add ≈ 64 B to each; README "How big a study fits")."""
    one = Scenario().cases()[0]
    fields = {f.name: getattr(one, f.name) for f in dataclasses.fields(Case)}
    fixed = [(k, v) for k, v in fields.items() if k != "swept"]

    def traced(build):
        tracemalloc.start()
        try:
            cases = [build() for _ in range(500)]
            return tracemalloc.get_traced_memory()[0], cases
        finally:
            tracemalloc.stop()

    fast, fast_cases = traced(lambda: config._case(fixed, [("swept", ())]))
    plain, plain_cases = traced(lambda: Case(**fields))
    assert fast_cases == plain_cases
    assert fast <= plain * 1.01, (fast, plain)


def test_each_swept_value_is_validated_once_not_once_per_case(monkeypatch):
    built = []
    original, default = ITParams.__post_init__, ITParams().utilisation

    def counting(self):
        built.append(self.utilisation)
        original(self)

    monkeypatch.setattr(ITParams, "__post_init__", counting)
    u = tuple(np.linspace(0.3, 1.0, 50).round(4))
    sc = Scenario(
        sites=("qingyang", "karamay"),
        designs=("free_air", "chilled_water"),
        sweep=(("facility.utilisation", u), ("cooling.free_air.evap_effectiveness", (0.6, 0.7, 0.8, 0.9))),
    )
    n_built = len(built)
    assert built == [default, *u]  # the scenario's default facility, then one per value
    cases = sc.cases()
    assert len(cases) == 2 * 2 * 50 * 4 and len(built) == n_built  # cases() validates nothing again
    assert len({id(c.facility) for c in cases}) == 50  # cases of one value share its object


def test_a_bad_swept_value_names_the_key_the_field_and_the_value():
    with pytest.raises(ConfigError, match=r"sweep facility\.utilisation: facility\.utilisation = 1\.5 is out of range"):
        Scenario(sites=("qingyang",), sweep=(("facility.utilisation", (0.5, 1.5)),))
    with pytest.raises(ConfigError, match=r"sweep cooling\.free_air\.evap_effectiveness: .*evap_effectiveness = -0\.1"):
        Scenario(
            sites=("qingyang",),
            sweep=(("facility.utilisation", (0.5,)), ("cooling.free_air.evap_effectiveness", (0.8, -0.1))),
        )


def test_keys_of_one_section_are_validated_together():
    # Each alone would break t_supply_setpoint <= t_supply_max against the other's default;
    # together they are valid, and a combination that is not names both keys.
    sc = Scenario(
        sites=("qingyang",),
        sweep=(("cooling.free_air.t_supply_setpoint", (28.0,)), ("cooling.free_air.t_supply_max", (30.0,))),
    )
    (case,) = sc.cases()
    assert (case.cooling.t_supply_setpoint, case.cooling.t_supply_max) == (28.0, 30.0)
    with pytest.raises(
        ConfigError,
        match=r"sweep cooling\.free_air\.t_supply_setpoint, cooling\.free_air\.t_supply_max: .*must not exceed",
    ):
        Scenario(
            sites=("qingyang",),
            sweep=(
                ("cooling.free_air.t_supply_setpoint", (20.0, 28.0)),
                ("cooling.free_air.t_supply_max", (25.0, 30.0)),
            ),
        )


def straightforward_blocks(cases: list[Case], site_index: np.ndarray) -> list[tuple[tuple, list[int]]]:
    """The block plan keyed case by case, from the parameter values (no shared objects assumed)."""

    def texts(p):
        return tuple((f.name, getattr(p, f.name)) for f in dataclasses.fields(p) if isinstance(getattr(p, f.name), str))

    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[(c.design, c.facility.profile, texts(c.cooling), c.facility.profile_csv, texts(c.facility))].append(i)
    runs: dict[tuple, list[int]] = defaultdict(list)
    for key, idx in groups.items():
        for i in idx:
            c = cases[i]
            order = (site_index[i], tuple(repr(getattr(c.cooling, f.name)) for f in dataclasses.fields(c.cooling)))
            runs[(key, order)].append(i)
    blocks, packed = [], defaultdict(list)
    for (key, _), idx in runs.items():
        if len(idx) >= sim.CASE_BLOCK // 2:
            blocks += [(key, idx[s : s + sim.CASE_BLOCK]) for s in range(0, len(idx), sim.CASE_BLOCK)]
        else:
            packed[key] += idx
    return blocks + [(k, idx[s : s + sim.CASE_BLOCK]) for k, idx in packed.items() for s in range(0, len(idx), 128)]


@pytest.fixture(scope="module")
def weather():
    return sim.prepare_weather(Scenario(sites=("qingyang", "karamay")))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(sweeps(), st.randoms(use_true_random=False))
def test_the_block_plan_equals_the_case_by_case_plan(weather, sc, rnd):
    cases = sc.cases()
    # Cases from several scenarios mixed, equal values in distinct objects, any order.
    cases += [
        dataclasses.replace(c, facility=dataclasses.replace(c.facility)) for c in rnd.sample(cases, len(cases) // 3)
    ]
    rnd.shuffle(cases)
    plan = sim._plan(sc, weather, cases)
    assert plan.blocks == straightforward_blocks(cases, plan.site_index)


def test_server_capex_equals_the_case_by_case_annuity_bit_for_bit():
    rng = np.random.default_rng(3)
    facs = [
        ITParams(occupancy=o, performance_factor=k)
        for o, k in zip(rng.uniform(0.3, 1, 4), (1.0, 1.3, 2.0, 1.0), strict=True)
    ]
    facs.append(ITParams(occupancy_ramp=True, occupancy=0.3, occupancy_end=0.9, ramp_years=3.0, operating_year=2))
    econs = [
        EconomicsParams(discount_rate=r, server_life_years=life) for r, life in ((0.06, 5.0), (0.0, 4.0), (0.08, 5.0))
    ]
    base = Scenario(sites=("qingyang",)).cases()[0]
    cases = [dataclasses.replace(base, facility=facs[i % 5], economics=econs[i % 3]) for i in range(40)]
    want = np.array(
        [
            server_capex_annual(
                c.facility.design_kw * sim._installed_share(c.facility),
                c.economics.server_kw,
                c.facility.performance_factor,
                c.economics.server_price_cny,
                c.economics.discount_rate,
                c.economics.server_life_years,
            )
            for c in cases
        ],
        dtype=float,
    )
    assert sim.server_capex(cases).tobytes() == want.tobytes()


def test_the_dataset_is_identical_to_xarrays_own_construction():
    time = xr.date_range("2021-01-01", periods=24, freq="h", use_cftime=False)
    rng = np.random.default_rng(0)
    data = {
        "p_it": xr.Variable(("case", "time"), rng.random((3, 24)), {"units": "kW"}),
        "pue": xr.Variable(("case", "time"), 1 + rng.random((3, 24)), {"units": "1"}),
        "capex": xr.Variable(("case",), rng.random(3), {"units": "CNY"}),
    }
    coords = {"time": time, "case": np.arange(3), "site": ("case", ["a", "b", "a"])}
    fast, plain = build_dataset(data, coords), xr.Dataset(data, coords=coords)
    assert fast.identical(plain)
    assert list(fast.variables) == list(plain.variables) and dict(fast.sizes) == dict(plain.sizes)
    assert fast.sel(time="2021-01-01T05")["pue"].shape == (3,)  # the time index works
    # A variable on a dimension the coordinates do not size takes the public constructor.
    odd = {**data, "x": xr.Variable(("other",), np.zeros(2))}
    assert build_dataset(odd, coords).identical(xr.Dataset(odd, coords=coords))


def test_the_coordinates_are_built_as_xarray_builds_them():
    """One case (scalar coordinates), a swept coordinate with a gap, and kinds left to xarray."""
    time = xr.date_range("2021-01-01", periods=24, freq="h", use_cftime=False)
    rng = np.random.default_rng(1)
    one = {"p_it": xr.Variable(("time",), rng.random(24), {"units": "kW"}), "capex": xr.Variable((), 2.0)}
    for data, coords in (
        (one, {"time": time, "case": 0, "site": "qingyang", "design": "free_air", "cooling.x": np.nan}),
        (
            {"p_it": xr.Variable(("case", "time"), rng.random((2, 24)))},
            {"time": time, "case": np.arange(2), "cooling.x": ("case", [1.5, np.nan]), "design": ("case", ["a", "b"])},
        ),
        (one, {"time": time, "case": [0]}),  # a list: not handled here, xarray's constructor
        (one, {"time": time, "label": xr.DataArray(1.0)}),
    ):
        fast, plain = build_dataset(data, coords), xr.Dataset(data, coords=coords)
        assert fast.identical(plain)
        assert list(fast.variables) == list(plain.variables) and list(fast.xindexes) == list(plain.xindexes)
        assert (
            fast.indexes["time"].equals(plain.indexes["time"])
            and fast.indexes["time"].freq == plain.indexes["time"].freq
        )


_N = 4
_KINDS = {
    "datetime": pd.date_range("2021-01-01", periods=_N, freq="h"),
    "datetime_tz": pd.date_range("2021-01-01", periods=_N, freq="h", tz="Asia/Shanghai"),
    "multi": pd.MultiIndex.from_product([["a", "b"], [1, 2]], names=["s", "d"]),
    "categorical": pd.CategoricalIndex(list("abab")),
    "range": pd.RangeIndex(_N),
    "named_index": pd.Index([1, 2, 3, 4], name="other"),
    "named_as_key": pd.Index([1, 2, 3, 4], name="time"),
    "dt64h": np.arange("2021-01-01T00", "2021-01-01T04", dtype="datetime64[h]"),
    "dt64s": np.arange(_N).astype("datetime64[s]"),
    "str": np.array(list("wxyz")),
    "object": np.array(list("wxyz"), dtype=object),
    "float16": np.arange(_N, dtype=np.float16),
    "timedelta": np.arange(_N).astype("timedelta64[h]"),
    "period": pd.period_range("2021-01", periods=_N, freq="M"),
    "interval": pd.interval_range(0, _N),
}
_SCALARS = {
    "str": "a",
    "int": 3,
    "bool": True,
    "np_datetime": np.datetime64("2021-01-01T00", "h"),
    "np_str": np.str_("q"),
    "float": 1.5,
    "float32": np.float32(1.5),
    "timedelta": np.timedelta64(1, "h"),
}
_X = {"x": xr.Variable(("time",), np.arange(_N, dtype=float))}
_CASES = [
    *[pytest.param({"time": v}, _X, id=k) for k, v in _KINDS.items()],
    *[pytest.param({"time": ("time", v, {"units": "u"})}, _X, id=f"{k}-tuple") for k, v in _KINDS.items()],
    *[pytest.param({"time": np.arange(_N), "lab": ("time", v)}, _X, id=f"{k}-nondim") for k, v in _KINDS.items()],
    *[pytest.param({"time": np.arange(_N), "sc": v}, _X, id=f"scalar-{k}") for k, v in _SCALARS.items()],
    pytest.param({"time": np.arange(_N), "lab": ("time", np.arange(_N + 1))}, _X, id="size-mismatch"),
    pytest.param({"time": np.arange(_N)}, {"x": xr.Variable(("case",), np.arange(2.0))}, id="data-dim-unsized"),
    pytest.param({"time": np.arange(_N), "m": (("time", "case"), np.zeros((_N, 2)))}, _X, id="2d-coordinate"),
    pytest.param({"x": np.arange(_N)}, {"y": xr.Variable(("x",), np.arange(_N, dtype=float))}, id="dim-named-x"),
    pytest.param({"time": ("time", np.zeros((2, 2)))}, {}, id="bad-tuple"),
    pytest.param({}, {}, id="empty"),
]


@pytest.mark.parametrize(("coords", "data"), _CASES)
def test_build_dataset_is_xarrays_dataset_for_every_kind_of_coordinate(coords, data):
    """The fast path or the public constructor: the same Dataset, indexes (type, dtype, freq)
    and dtypes as ``xr.Dataset``, or the same kind of error."""

    def build(fn):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return fn(dict(data), coords=dict(coords)), None
            except Exception as exc:
                return None, type(exc)

    (ref, ref_error), (got, got_error) = build(xr.Dataset), build(build_dataset)
    assert got_error is ref_error
    if ref is None:
        return
    assert got.identical(ref) and dict(got.sizes) == dict(ref.sizes)
    assert list(got.xindexes) == list(ref.xindexes)
    for k, a in ref.xindexes.items():
        b = got.xindexes[k]
        assert type(b) is type(a)
        ia, ib = getattr(a, "index", None), getattr(b, "index", None)
        if ia is not None:
            assert type(ib) is type(ia) and ib.dtype == ia.dtype and ib.equals(ia)
            assert getattr(ib, "freq", None) == getattr(ia, "freq", None)
    assert all(got[k].dtype == ref[k].dtype for k in ref.variables)


def test_a_changed_private_constructor_falls_back_to_the_public_one(monkeypatch):
    original = xr.Dataset._construct_direct

    def changed(*args, **kwargs):  # xarray's own calls keep working; build_dataset's call does not fit
        if sys._getframe(1).f_code.co_name == "build_dataset":
            raise TypeError("unexpected keyword argument 'indexes'")
        return original(*args, **kwargs)

    monkeypatch.setattr(xr.Dataset, "_construct_direct", changed)
    time = xr.date_range("2021-01-01", periods=4, freq="h", use_cftime=False)
    data = {"p_it": xr.Variable(("case", "time"), np.ones((2, 4)), {"units": "kW"})}
    coords = {"time": time, "case": np.arange(2)}
    assert build_dataset(data, coords).identical(xr.Dataset(data, coords=coords))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweeps())
def test_the_grids_columns_equal_the_cases_field_by_field(sc):
    """:meth:`Scenario.case_columns` (index arithmetic on the grid) gives every case's field and
    coordinate of the straightforward construction, and so do the columns of a list of cases."""
    plain = straightforward_cases(sc)
    for table in (sc.case_columns(), config.CaseColumns.of_cases(plain)):
        assert len(table) == len(plain)
        for f in dataclasses.fields(Case):
            assert table.values(f.name) == [getattr(c, f.name) for c in plain], f.name
            values, rows = table.of(f.name, slice(1, None, 2))
            assert [values[r] for r in rows] == [getattr(c, f.name) for c in plain[1::2]], f.name
        for key, _ in sc.sweep:
            want = [dict(c.swept).get(key, np.nan) for c in plain]
            np.testing.assert_array_equal(np.asarray(table.coordinate(key)), np.asarray(want))
    for rows in (slice(1, None, 2), slice(len(plain) // 3, len(plain) - 1)):
        part = sc.case_columns(rows)  # a block of a grid study
        assert len(part) == len(plain[rows])
        for f in dataclasses.fields(Case):
            assert part.values(f.name) == [getattr(c, f.name) for c in plain[rows]], f.name
            values, codes = part.column(f.name)
            assert sorted(set(codes.tolist())) == list(range(len(values))), f.name  # only these cases' values
        assert part.cases() == plain[rows]
        for key, _ in sc.sweep:
            want = [dict(c.swept).get(key, np.nan) for c in plain[rows]]
            np.testing.assert_array_equal(np.asarray(part.coordinate(key)), np.asarray(want))


def _listed(sc: Scenario, seed: int) -> tuple[list[Case], list[int]]:
    """A shuffled half of a scenario's cases (a list, as ``twin sweep --list`` or a block gives) and their numbers."""
    cases = sc.cases()
    rng = np.random.default_rng(seed)
    which = rng.permutation(len(cases))[: len(cases) // 2].tolist()
    return [cases[i] for i in which], which


GRIDS = {
    "free air, utilisation × a cooling parameter": Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(
            ("facility.utilisation", (0.3, 0.45, 0.6, 0.8, 1.0)),
            ("cooling.free_air.evap_effectiveness", (0.5, 0.7, 0.95)),
        ),
    ),
    "two sites × two designs, parameters of other sections": Scenario(
        sites=("qingyang", "karamay"),
        designs=("free_air", "chilled_water"),
        sweep=(
            ("economics.discount_rate", (0.04, 0.08)),
            ("electrical.distribution_loss", (0.01, 0.03)),
            ("facility.occupancy", (0.5, 0.9)),
            ("cooling.chilled_water.t_chw_supply", (10.0, 14.0)),
        ),
    ),
}


@pytest.mark.parametrize("kernel", ["numba", "reference"])
@pytest.mark.parametrize("name", list(GRIDS))
def test_a_run_from_the_grid_equals_the_run_of_its_cases_bit_for_bit(weather, name, kernel):
    """``annual_kpis`` of a scenario reads its cases as columns made from the grid; given the
    cases as a list it makes the columns from them. Every KPI and coordinate is the same, bit
    for bit, and a shuffled half of the cases gives those cases' KPIs."""
    sc = GRIDS[name]
    grid = sim.annual_kpis(sc, weather, kernel=kernel)
    listed = sim.annual_kpis(sc, weather, sc.cases(), kernel=kernel)
    assert list(grid.data_vars) == list(listed.data_vars) and list(grid.coords) == list(listed.coords)
    for k in [*grid.data_vars, *grid.coords]:
        np.testing.assert_array_equal(grid[k].to_numpy(), listed[k].to_numpy(), err_msg=k)
        assert grid[k].dtype == listed[k].dtype, k
    cases, which = _listed(sc, 7)
    part = sim.annual_kpis(sc, weather, cases, kernel=kernel)
    block = sim.annual_kpis(sc, weather, slice(3, len(cases) + 3), kernel=kernel)  # a grid study's block
    for k in [*grid.data_vars, *grid.coords]:
        if k != "case":
            np.testing.assert_array_equal(part[k].to_numpy(), grid[k].to_numpy()[which], err_msg=k)
            np.testing.assert_array_equal(block[k].to_numpy(), grid[k].to_numpy()[3 : len(cases) + 3], err_msg=k)


def test_the_text_fields_are_the_fields_holding_text_in_every_parameter_class():
    """The block key reads the fields declared ``str`` (:func:`twin.core.params.text_fields`):
    those are the fields whose values are text, in every section and design class."""
    from twin.building.cooling import DESIGNS, get_design

    objs = [get_design(d).params() for d in DESIGNS] + [s.cls() for s in SECTIONS]
    objs.append(dataclasses.replace(Scenario().facility, profile_csv="u.csv", profile="csv"))
    for o in objs:
        plain = tuple(
            (f.name, getattr(o, f.name)) for f in dataclasses.fields(o) if isinstance(getattr(o, f.name), str)
        )
        assert sim._texts(o) == plain, type(o).__name__
