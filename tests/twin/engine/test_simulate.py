"""The orchestrator and KPIs: energy balance, PUE ≥ 1, vectorised sweeps equal single runs, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin import ConfigError, Scenario, kpis, load_scenario, save_scenario, simulate
from twin.building.cooling import DESIGNS
from twin.building.electrical import ElectricalParams
from twin.building.it_load import ITParams
from twin.core.variables import REGISTRY
from twin.engine.config import WeatherSource
from twin.engine.simulate import POWER_PARTS, prepare_weather

ALL = tuple(DESIGNS)


@pytest.fixture(scope="module")
def five_designs():
    sc = Scenario(sites=("karamay", "guian"), designs=ALL)
    return sc, simulate(sc)


def test_dataset_shape_and_labels(five_designs):
    _, ds = five_designs
    assert ds.sizes["case"] == 2 * len(ALL) and ds.sizes["time"] == 8760
    assert list(ds["site"].values[: len(ALL)]) == ["karamay"] * len(ALL)
    for name in ds.data_vars:
        assert ds[name].attrs["units"] == REGISTRY[name].units
        assert ds[name].attrs["long_name"]


@pytest.mark.parametrize("design", ["free_air", "chilled_water"])
def test_hourly_results_are_read_only_whatever_the_design(design):
    """Every hourly variable of simulate()'s Dataset is read-only, the computed ones as the
    shared weather and the constant ones (chilled water's IT power, zero pumps): the same rule
    for every design; a deep copy is writable."""
    ds = simulate(Scenario(sites=("qingyang",), designs=(design,)))
    hourly = [k for k, v in ds.data_vars.items() if "time" in v.dims]
    assert {"p_facility", "p_it", "p_pumps", "t_db", "pue"} <= set(hourly)
    for k in hourly:
        with pytest.raises(ValueError, match="read-only"):
            ds[k].values[0] = 1
    ds2 = ds.copy(deep=True)
    ds2["p_it"] *= 1.1
    np.testing.assert_allclose(ds2["p_it"].values, ds["p_it"].values * 1.1)


def test_energy_balance_closes_every_hour(five_designs):
    _, ds = five_designs
    total = sum(ds[k] for k in POWER_PARTS)
    assert float(np.max(np.abs(total / ds["p_facility"] - 1.0))) < 1e-9
    cooling = sum(ds[k] for k in ("p_cooling_fans", "p_pumps", "p_compressor", "p_heat_rejection", "p_humidification"))
    assert float(np.max(np.abs(cooling - ds["p_cooling"]))) < 1e-9 * float(ds["p_facility"].max())
    assert float(ds["pue"].min()) >= 1.0


def test_cooling_removes_it_heat_plus_indoor_electrical_losses(five_designs):
    _, ds = five_designs
    heat = ds["p_it"] + ds["p_ups_loss"] + ds["p_dist_loss"] + ds["p_misc"]
    assert float(np.max(np.abs(ds["q_cooling"] / heat - 1.0))) < 1e-12


def test_annual_pue_is_energy_weighted_not_mean_of_hours(five_designs):
    _, ds = five_designs
    k = kpis(ds)
    by_hand = ds["p_facility"].sum("time") / ds["p_it"].sum("time")
    np.testing.assert_allclose(k["pue"], by_hand, rtol=1e-12)
    assert not np.allclose(k["pue"], ds["pue"].mean("time"), rtol=1e-9, atol=0)
    np.testing.assert_allclose(k["overhead_share"], 1 - 1 / k["pue"])


def test_liquid_designs_keep_server_fans_only_for_their_air_share(five_designs):
    _, ds = five_designs
    fans = ds["p_server_fans"].sum("time")
    air = {float(fans[i]) for i, d in enumerate(ds["design"].values) if d == "free_air"}
    for i, d in enumerate(ds["design"].values):
        assert (float(fans[i]) == 0.0) == (d in ("immersion_1p", "immersion_2p"))
        if d in ("spray", "cold_plate"):
            assert float(fans[i]) < 0.3 * max(air)


def test_sweep_in_one_call_equals_separate_runs():
    sweep = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(("cooling.free_air.evap_effectiveness", (0.5, 0.9)), ("facility.utilisation", (0.4, 0.8))),
    )
    ds = simulate(sweep)
    assert ds.sizes["case"] == 4
    wx = prepare_weather(sweep)
    for i, case in enumerate(sweep.cases()):
        single = Scenario(
            sites=("qingyang",), designs=("free_air",), facility=case.facility, cooling={"free_air": case.cooling}
        )
        one = simulate(single, weather=wx)
        np.testing.assert_allclose(ds["p_facility"][i], one["p_facility"], rtol=1e-12)


def test_faster_servers_cost_power_so_compute_is_never_free():
    base = ITParams(it_capacity_kw=1000.0)
    sweep = (("facility.performance_factor", (1.0, 5 / 3)), ("facility.overclock_law", ("given", "linear", "fV2")))
    k = kpis(simulate(Scenario(sites=("guian",), designs=("immersion_1p",), facility=base, sweep=sweep)))
    np.testing.assert_allclose(k["compute_delivered"], k["compute_delivered"][0])
    e = k["energy_it"].to_numpy()  # cases: (k=1: given, linear, fV2), (k=5/3: given, linear, fV2)
    np.testing.assert_allclose(e[:3], e[0], rtol=1e-12)  # at nominal speed every law is nominal power
    # "given" with overclock_power_factor = 1: 5 servers' work on 3 at nominal power each (the old default)
    assert e[3] == pytest.approx(e[0] * 0.6, rel=1e-9)
    # power ∝ frequency: the same energy for the same work (immersion: no server fans to save)
    assert e[4] == pytest.approx(e[0], rel=1e-9)
    # power ∝ f·V² ∝ k³: (5/3)² more energy for the same work
    assert e[5] == pytest.approx(e[0] * (5 / 3) ** 2, rel=1e-9)


def test_five_servers_to_three_buy_fewer_servers_not_free_energy():
    from twin.money.economics import EconomicsParams, capital_recovery_factor

    base = ITParams(it_capacity_kw=1000.0)
    sweep = (("facility.performance_factor", (1.0, 5 / 3)),)
    k = kpis(simulate(Scenario(sites=("guian",), designs=("spray",), facility=base, sweep=sweep)))
    e = EconomicsParams()
    hand = 1000.0 / e.server_kw * e.server_price_cny * capital_recovery_factor(e.discount_rate, e.server_life_years)
    cost = k["cost_servers"].to_numpy()
    assert cost[0] == pytest.approx(hand, rel=1e-12)
    assert cost[1] == pytest.approx(cost[0] * 3 / 5, rel=1e-12)  # 5 servers → 3
    energy = k["energy_facility"].to_numpy()
    assert abs(energy[1] / energy[0] - 1.0) < 0.01  # linear overclock: the same work costs the same energy
    assert k["cost_servers"].attrs["units"] and "not in cost_total" in k["cost_servers"].attrs["long_name"]
    assert float(k["cost_total"][0]) == pytest.approx(float(k["cost_grid_energy"][0] + k["cost_demand"][0]))


def test_servers_are_bought_for_the_installed_part_of_the_hall():
    """Occupancy 0.4 buys 40 % of the servers; on a ramp from 0.2 to 0.8 over 4 years, year 2 has
    bought those installed by its end (0.5)."""
    from twin.engine.simulate import annual_kpis

    def cost(**facility) -> float:
        sc = Scenario(sites=("qingyang",), designs=("spray",), facility=ITParams(it_capacity_kw=2000.0, **facility))
        return float(annual_kpis(sc)["cost_servers"])

    full = cost()
    assert cost(occupancy=0.4) == pytest.approx(0.4 * full, rel=1e-12)
    ramp = {"occupancy": 0.2, "occupancy_ramp": True, "occupancy_end": 0.8, "ramp_years": 4.0, "operating_year": 2}
    assert cost(**ramp) == pytest.approx(0.5 * full, rel=1e-12)


def test_every_design_reports_its_server_capex():
    from twin.engine.simulate import annual_kpis

    sc = Scenario(sites=("qingyang",), designs=ALL, facility=ITParams(it_capacity_kw=2000.0))
    k = annual_kpis(sc)
    np.testing.assert_allclose(k["cost_servers"], k["cost_servers"][0], rtol=1e-12)
    assert float(k["cost_servers"][0]) > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    design=st.sampled_from(ALL),
    u=st.floats(0.05, 1.0),
    idle=st.floats(0.0, 0.9),
    ups=st.floats(1.0, 3.0),
    misc=st.floats(0.0, 0.1),
    seed=st.integers(0, 3),
    kw_rack=st.floats(1.0, 30.0),
    containment=st.sampled_from(("none", "cold_aisle", "hot_aisle", "chimney")),
    approach=st.one_of(st.none(), st.tuples(st.floats(0.0, 10.0), st.floats(-8.0, 2.0))),
)
def test_balance_and_pue_invariants_over_parameters(
    design, u, idle, ups, misc, seed, kw_rack, containment, approach, shared_weather_cache
):
    s, r = approach if approach is not None else (None, None)
    sc = Scenario(
        sites=("yinchuan",),
        designs=(design,),
        weather=WeatherSource(seed=seed),
        facility=ITParams(
            utilisation=u,
            idle_fraction=idle,
            kw_per_rack=kw_rack,
            containment=containment,
            supply_approach=s,
            return_approach=r,
        ),
        electrical=ElectricalParams(ups_redundancy=ups, lighting_misc=misc),
    )
    ds = simulate(sc, weather=shared_weather_cache(seed))
    total = sum(ds[k] for k in POWER_PARTS)
    assert float(np.max(np.abs(total / ds["p_facility"] - 1.0))) < 1e-9
    assert float(ds["pue"].min()) >= 1.0
    assert float(kpis(ds)["pue"]) >= 1.0
    assert float(ds["water"].min()) >= 0.0


@pytest.fixture(scope="module")
def shared_weather_cache():
    cache = {}

    def get(seed):
        if seed not in cache:
            cache[seed] = prepare_weather(Scenario(sites=("yinchuan",), weather=WeatherSource(seed=seed)))
        return cache[seed]

    return get


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ITParams(it_capacity_kw=-5.0),
            r"facility.it_capacity_kw = -5 is out of range; allowed 0.1 … 10,000,000 kW, or racks and kw_per_rack instead",
        ),
        (
            lambda: DESIGNS["free_air"].params(evap_effectiveness=1.2),
            r"cooling.free_air.evap_effectiveness = 1.2 is out of range; allowed 0 … 1",
        ),
        (
            lambda: DESIGNS["free_air"].params(t_supply_setpoint=12.0),
            r"t_supply_setpoint = 12 °C is outside the A1 envelope \(15 … 32 °C\)",
        ),
        (
            lambda: Scenario(designs=("ice_pond",)),
            r"unknown cooling design 'ice_pond'; choose one of free_air, chilled_water",
        ),
        (
            lambda: Scenario(sweep=(("cooling.free_air.evap_efectiveness", (0.5,)),)),
            r"unknown field 'evap_efectiveness'",
        ),
        (
            lambda: Scenario(sweep=(("facility.utilisation", (0.5, 1.5)),)),
            r"sweep facility.utilisation: facility.utilisation = 1.5 is out of range",
        ),
        (
            lambda: DESIGNS["chilled_water"].params(refrigerant="R134a", envelope="B9"),
            r"envelope = 'B9' is not allowed; choose one of recommended, A1",
        ),
    ],
)
def test_bad_input_names_the_field(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


def test_scenario_toml_round_trip_and_typo(tmp_path):
    sc = Scenario(
        sites=("qingyang", "karamay"),
        designs=("free_air", "spray"),
        name="round trip",
        facility=ITParams(racks=100, kw_per_rack=18.0),
        cooling={"free_air": DESIGNS["free_air"].params(evap_effectiveness=0.9)},
        sweep=(("facility.utilisation", (0.5, 0.7)),),
    )
    p = save_scenario(sc, tmp_path / "s.toml")
    back = load_scenario(p)
    assert back == sc
    with pytest.raises(Exception, match="exists"):
        save_scenario(sc, p)
    text = p.read_text().replace("evap_effectiveness", "evap_efectiveness")
    bad = tmp_path / "typo.toml"
    bad.write_text(text)
    with pytest.raises(
        ConfigError,
        match=r"typo.toml: unknown field cooling.free_air.evap_efectiveness \(did you mean cooling.free_air.evap_effectiveness\?\); allowed fields are .*envelope",
    ):
        load_scenario(bad)


def test_example_scenarios_load():
    from pathlib import Path

    for f in sorted((Path(__file__).resolve().parents[3] / "examples").glob("*.toml")):
        sc = load_scenario(f)
        assert len(sc.cases()) >= 1, f


def test_real_weather_file_scenario(real_weather):
    from tests.conftest import epw_path

    designs = ("free_air", "chilled_water", "immersion_1p")
    real = simulate(
        Scenario(sites=("karamay",), designs=designs, weather=WeatherSource(source=str(epw_path("karamay"))))
    )
    assert "Erbs" in real.attrs["weather_karamay"]
    # The generator's fidelity where it matters: annual PUE on the generated typical year within
    # 0.005 of the real file's (measured: ≤ 0.003 at all five sites, README).
    gen = simulate(Scenario(sites=("karamay",), designs=designs))
    np.testing.assert_allclose(kpis(gen)["pue"], kpis(real)["pue"], atol=0.005)


def test_one_file_for_several_sites_is_refused():
    with pytest.raises(ConfigError, match="is one file, but 2 sites were given"):
        Scenario(sites=("karamay", "guian"), weather=WeatherSource(source="x.epw"))


def test_dataclasses_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ITParams().utilisation = 0.1  # type: ignore[misc]


def _same_kpis(a, b, rtol=1e-12):
    assert list(a.data_vars) == list(b.data_vars) and a.sizes == b.sizes
    for v in a.data_vars:
        x, y = np.asarray(a[v].values, dtype=float), np.asarray(b[v].values, dtype=float)
        np.testing.assert_allclose(y, x, rtol=rtol, atol=1e-9, err_msg=v)


def test_annual_kpis_equal_kpis_of_the_hourly_dataset():
    from twin.engine.simulate import annual_kpis
    from twin.supply.pv import PVParams
    from twin.supply.storage import MINNING

    sc = Scenario(
        sites=("qingyang", "guangzhou"),
        designs=("free_air", "chilled_water", "spray"),
        pv=PVParams(capacity_mw=8.0),
        storage=MINNING,
        sweep=(("facility.utilisation", (0.4, 0.9)), ("green.storage.energy_mwh", (0.0, 20.0))),
    )
    wx = prepare_weather(sc)
    _same_kpis(kpis(simulate(sc, weather=wx)), annual_kpis(sc, weather=wx))
    one = Scenario(sites=("karamay",), designs=("free_air",))
    _same_kpis(kpis(simulate(one)), annual_kpis(one))  # one case: no case dimension either way
    from twin.engine.config import DispatchParams
    from twin.supply.wind import WindParams

    lp = dataclasses.replace(
        one,
        wind=WindParams(capacity_mw=6.0, hub_mean_speed_ms=7.0),
        storage=MINNING,
        dispatch=DispatchParams(strategy="lp", grid_charging=True),
        sweep=(("green.storage.energy_mwh", (10.0, 30.0)),),
    )
    _same_kpis(kpis(simulate(lp)), annual_kpis(lp), rtol=1e-9)  # the LP per case, in blocks


def test_results_do_not_depend_on_block_size_or_threads(monkeypatch):
    import sys

    sim = sys.modules["twin.engine.simulate"]
    sc = Scenario(
        sites=("karamay",),
        designs=("free_air", "immersion_1p"),
        sweep=(("facility.utilisation", (0.3, 0.6, 0.9)), ("cooling.free_air.t_supply_max", (24.0, 27.0))),
    )
    wx = prepare_weather(sc)
    big = simulate(sc, weather=wx)
    monkeypatch.setattr(sim, "CASE_BLOCK", 2)  # many blocks, mixed cooling parameters, two threads
    monkeypatch.setenv("TWIN_THREADS", "2")
    small = simulate(sc, weather=wx)
    monkeypatch.setenv("TWIN_THREADS", "1")
    serial = simulate(sc, weather=wx)
    # every variable: blocks of consecutive cases are copied by a slice, packed ones by index
    assert set(small.data_vars) == set(big.data_vars)
    for v in big.data_vars:
        np.testing.assert_array_equal(small[v].values, big[v].values, err_msg=str(v))
    for v in ("p_facility", "p_cooling", "water", "t_supply", "out_of_envelope"):
        np.testing.assert_array_equal(serial[v].values, big[v].values, err_msg=v)
    monkeypatch.setenv("TWIN_THREADS", "two")
    with pytest.raises(
        ConfigError, match=r"TWIN_THREADS = 'two': not a whole number; allowed: a whole number from 1 to 8192"
    ):
        simulate(sc, weather=wx)


def test_hourly_utilisation_series_from_csv(tmp_path):
    flat = Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(utilisation=0.6))
    f = tmp_path / "u.csv"
    f.write_text("utilisation\n" + "0.6\n" * 8760)
    series = Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(profile="csv", profile_csv=str(f)))
    np.testing.assert_allclose(simulate(series)["p_facility"].values, simulate(flat)["p_facility"].values, rtol=1e-12)
    u = np.where(np.arange(8760) % 24 < 8, 0.2, 0.9)  # a night trough
    f.write_text("utilisation\n" + "\n".join(f"{x:g}" for x in u) + "\n")
    ds = simulate(series)
    np.testing.assert_allclose(ds["utilisation"].values, u)
    np.testing.assert_allclose(ds["compute"].values, 10_000.0 * u)  # compute follows the series
    assert ds["p_it"].values[2] < 0.6 * ds["p_it"].values[12]  # idle power 0.4: (0.4 + 0.6·0.2)/(0.4 + 0.6·0.9) = 0.55
    with pytest.raises(ConfigError, match="profile = 'csv' with profile_csv = ''"):
        ITParams(profile="csv")
    f.write_text("utilisation\n" + "0.5\n" * 100 + "1.2\n" + "0.5\n" * 8659)
    with pytest.raises(ConfigError, match=r"u.csv: line 102: utilisation = 1.2 is outside 0 … 1"):
        simulate(series)


def test_an_hourly_csv_with_decimal_commas_or_semicolons_or_not_utf8_is_refused(tmp_path):
    """``1,0`` (decimal commas) was read as an index 1 and a utilisation 0, the year silently idle."""
    f = tmp_path / "u.csv"
    series = Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(profile="csv", profile_csv=str(f)))
    f.write_text("utilisation\n" + "1,0\n" * 8760)
    with pytest.raises(ConfigError, match=r"u\.csv': line 2 has 2 fields, the header 1"):
        simulate(series)
    f.write_text("utilisation;note\n" + "1,0;x\n" * 8760)
    with pytest.raises(ConfigError, match=r"header 'utilisation;note' is separated by ';'"):
        simulate(series)
    f.write_bytes(("utilisation\n" + "0.5\n" * 8759 + "0.5 \u00e9\n").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"profile_csv = .*u\.csv': not UTF-8 text \(byte 35052\)"):
        simulate(series)


def test_an_hourly_csv_naming_its_column_twice_is_refused(tmp_path):
    """``utilisation,utilisation`` ran on the first of the two without a word (pandas renamed the
    second ``utilisation.1``)."""
    f = tmp_path / "u.csv"
    series = Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(profile="csv", profile_csv=str(f)))
    f.write_text("utilisation,utilisation\n" + "0.5,0.9\n" * 8760)
    with pytest.raises(ConfigError, match=r"u\.csv': the header names the column 'utilisation' twice; give each"):
        simulate(series)


def test_an_hourly_csv_naming_its_column_twice_in_two_cases_is_refused(tmp_path):
    """``utilisation,Utilisation`` (and ``cf,CF`` for a PV profile): the readers look a column up
    without case, so one of the two ran without a word (a newcomer's finding)."""
    f = tmp_path / "u.csv"
    series = Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(profile="csv", profile_csv=str(f)))
    f.write_text("utilisation,Utilisation\n" + "0.5,0.9\n" * 8760)
    with pytest.raises(ConfigError, match=r"the header names the column 'utilisation' and 'Utilisation' \(one name"):
        simulate(series)


def test_relative_csv_paths_are_relative_to_the_scenario_file(tmp_path, monkeypatch):
    d = tmp_path / "study"
    d.mkdir()
    (d / "u.csv").write_text("utilisation\n" + "0.5\n" * 8760)
    (d / "pv.csv").write_text("cf\n" + "0.2\n" * 8760)
    f = d / "s.toml"
    f.write_text(
        'sites = ["karamay"]\ndesigns = ["free_air"]\n'
        '[facility]\nprofile = "csv"\nprofile_csv = "u.csv"\n'
        '[green.pv]\ncapacity_mw = 1.0\nprofile_csv = "pv.csv"\n'
    )
    monkeypatch.chdir(tmp_path)  # not the scenario's directory
    sc = load_scenario(f)
    assert sc.facility.profile_csv == str(d / "u.csv") and sc.pv.profile_csv == str(d / "pv.csv")
    ds = simulate(sc)
    np.testing.assert_allclose(ds["utilisation"].values, 0.5)
    np.testing.assert_allclose(ds["p_pv"].values, 200.0)


def test_trim_shortfall_warms_the_inlet_and_it_power_follows():
    # With too little trim the supply runs warmer than the band: the servers then see that
    # warmer air (plus the supply approach), and their power must be the one at that inlet.
    from twin.building.cooling.air_management import CONTAINMENT
    from twin.building.cooling.free_air import FreeAirParams
    from twin.building.it_load import DT_CHIP_AIR, it_power

    fac = ITParams()
    sc = Scenario(sites=("guangzhou",), designs=("free_air",), facility=fac)
    sc = dataclasses.replace(sc, cooling={**sc.cooling, "free_air": FreeAirParams(trim_capacity=0.2)})
    ds = simulate(sc)
    t = ds["t_supply"].values + CONTAINMENT["cold_aisle"][0]  # server inlet: supply + supply approach
    short = t > 27.0 + 1e-6
    assert short.sum() > 100  # the case really is short of trim
    kw = {k: getattr(fac, k) for k in ("idle_fraction", "fan_share", "fan_speed_per_k", "leakage_per_k")}
    expected = it_power(
        fac.design_kw,
        fac.utilisation,
        t,
        t + DT_CHIP_AIR,
        performance_factor=fac.performance_factor,
        overclock_power_factor=fac.overclock_power_factor,
        has_server_fans=True,
        **kw,
    )["p_it"]
    np.testing.assert_allclose(ds["p_it"].values, expected, rtol=1e-8)
    assert ds["p_it"].values[short].mean() > ds["p_it"].values[~short].mean()  # fans speed up
    assert ds["out_of_envelope"].values[short & (t > 32.0)].all()


def test_annual_counts_and_energies_in_tables_group_thousands():
    """A table's annual energies and counts of hours that reach thousands print grouped
    (``6,515``), as the README's tables show them."""
    from twin.core.variables import KPI_REGISTRY

    for name in ("islanded_hours", "energy_facility", "water_m3"):
        assert KPI_REGISTRY[name].fmt.format(6515.0) == "6,515", name


def test_calendar_is_that_of_the_time_axis_given() -> None:
    """Hour and month are memoised by the time stamps: axes with the same ends differ inside."""
    from twin.engine.simulate import calendar
    from weather.dataset import hour_of_day, month_of_year

    year = np.datetime64("2021-01-01T00", "us") + np.arange(8760).astype("timedelta64[h]")
    shifted = year.copy()
    shifted[100:2000] += np.timedelta64(1, "h")  # the same ends, other stamps inside
    shifted[1000] += np.timedelta64(40, "D")
    for kind, fn in (("hour", hour_of_day), ("month", month_of_year)):
        first = calendar(year, kind)
        assert np.array_equal(first, fn(year)) and not first.flags.writeable
        assert calendar(year.copy(), kind) is first
        assert np.array_equal(calendar(shifted, kind), fn(shifted))
        assert not np.array_equal(calendar(shifted, kind), first)
