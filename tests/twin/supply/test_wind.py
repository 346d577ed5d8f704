"""Wind resource: shear against hand calculations, the Weibull mapping, night-time hub wind, low-CF warning;
the vectorised density-corrected power curve against windpowerlib."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from windpowerlib import power_output

import sites
from twin import site_weather
from twin.supply.wind import (
    WindParams,
    density_corrected_curves,
    hub_wind,
    interp_rows,
    turbine_power_curve,
    turbine_types,
    weibull_quantile_map,
    wind_unit_profile,
)


def test_constant_power_law_shear_by_hand():
    p = WindParams(shear="constant", site_resource=False, hub_height_m=100.0)
    assert hub_wind(np.array([5.0]), p)[0] == pytest.approx(5.0 * 10 ** (1 / 7), rel=1e-12)  # 6.9747


def test_stability_shear_by_hand_day_and_night():
    p = WindParams(site_resource=False, hub_height_m=100.0)
    v = hub_wind(np.array([5.0, 5.0]), p, is_day=np.array([True, False]))
    assert v == pytest.approx([5.0 * 10**0.1, 5.0 * 10**0.3], rel=1e-12)  # 6.295, 9.976


def test_weibull_mapping_has_the_weibull_mean_and_keeps_the_hour_order():
    rng = np.random.default_rng(0)
    v = rng.gamma(3.0, 2.0, 8760)
    out = weibull_quantile_map(v, 7.0, 2.0)
    assert out.mean() == pytest.approx(7.0, rel=2e-3)
    c = 7.0 / math.gamma(1.5)  # mean = c Γ(1 + 1/k)
    assert np.median(out) == pytest.approx(c * math.log(2) ** 0.5, rel=2e-3)
    assert np.array_equal(np.argsort(out, kind="stable"), np.argsort(v, kind="stable"))


def test_site_resource_sets_the_mean_at_its_height():
    res = sites.WindResource(mean_speed_ms=6.0, height_m=100.0, weibull_k=None, source="test")
    rng = np.random.default_rng(2)
    v10 = rng.gamma(2.0, 1.5, 8760)
    day = (np.arange(8760) % 24 >= 7) & (np.arange(8760) % 24 < 19)
    p = WindParams(hub_height_m=100.0)
    assert hub_wind(v10, p, is_day=day, resource=res).mean() == pytest.approx(6.0, rel=1e-12)
    higher = hub_wind(v10, WindParams(hub_height_m=135.0), is_day=day, resource=res)
    assert higher.mean() > 6.0  # carried above the resource height with the same shear


def test_hub_wind_peaks_at_night_while_the_station_wind_peaks_by_day():
    ds, _ = site_weather(sites.load("yinchuan"))
    v10 = ds["wind_speed"].to_numpy()
    ghi = ds["ghi"].to_numpy()
    hub = hub_wind(v10, WindParams(), is_day=ghi > 0, resource=sites.load("yinchuan").wind)
    hour = np.arange(v10.size) % 24
    by_hour_10 = np.array([v10[hour == h].mean() for h in range(24)])
    by_hour_hub = np.array([hub[hour == h].mean() for h in range(24)])
    assert 10 <= int(np.argmax(by_hour_10)) <= 18  # surface wind: afternoon
    night = ghi.reshape(-1, 24).mean(axis=0) == 0
    assert night[int(np.argmax(by_hour_hub))]


def test_site_resource_is_the_default_and_gives_a_farm_like_capacity_factor():
    site = sites.load("yinchuan")
    ds, _ = site_weather(site)
    args = (ds["wind_speed"].to_numpy(), ds["t_db"].to_numpy(), ds["p_air"].to_numpy())
    cf_site = wind_unit_profile(*args, WindParams(), ghi=ds["ghi"].to_numpy(), resource=site.wind).mean()
    cf_raw = wind_unit_profile(*args, WindParams(site_resource=False, shear="constant")).mean()
    assert cf_raw < 0.15 < cf_site  # the 10 m station wind alone understates the farm


def test_low_capacity_factor_warns_in_the_cli(tmp_path, capsys):
    from twin.cli import main

    p = tmp_path / "w.toml"
    p.write_text(
        'site = "guian"\ndesign = "free_air"\n[facility]\nit_capacity_kw = 1000\n'
        "[green.wind]\ncapacity_mw = 2\nhub_mean_speed_ms = 3.0\n"
    )
    assert main(["run", str(p), "--no-output"]) == 0
    out = capsys.readouterr()
    assert "wind CF" in out.out
    assert "warning: wind-farm capacity factor" in out.err and "below 15%" in out.err


def test_hub_height_below_half_the_rotor_is_refused_naming_it():
    from twin.core.params import ConfigError
    from twin.supply.wind import WindParams, rotor_diameter_m

    d = rotor_diameter_m("E-126/4200")
    assert d == pytest.approx(127.0)  # windpowerlib's turbine library
    WindParams(hub_height_m=d / 2)
    with pytest.raises(ConfigError, match=r"green.wind.hub_height_m = 20 is below half the rotor diameter"):
        WindParams(hub_height_m=20.0)


@settings(max_examples=30, deadline=None)
@given(
    turbine=st.sampled_from(turbine_types()),
    speeds=st.lists(st.floats(0.0, 40.0), min_size=1, max_size=50),
    density=st.floats(0.8, 1.5),
)
def test_vectorised_density_corrected_power_equals_windpowerlib(turbine, speeds, density):
    ws, values, _ = turbine_power_curve(turbine)
    v = np.concatenate([np.array(speeds), ws, ws * (1.225 / density) ** (1 / 3)])  # knots, corrected knots
    rho = np.full(v.size, density)
    rho[::2] = 1.225
    ref = power_output.power_curve(v, ws, values, density=rho, density_correction=True)
    got = interp_rows(v, density_corrected_curves(ws, rho), values)
    assert np.max(np.abs(got - np.asarray(ref))) <= 1e-12 * values.max()


def test_wind_profile_of_a_real_year_equals_windpowerlibs_chain(real_weather):
    from windpowerlib import WindTurbine, density

    ds, _ = real_weather("yinchuan")
    v, t_air, p_air, ghi = (ds[k].to_numpy() for k in ("wind_speed", "t_db", "p_air", "ghi"))
    for p in (WindParams(), WindParams(turbine_type="V90/2000", hub_height_m=100.0, target_capacity_factor=0.3)):
        got = wind_unit_profile(v, t_air, p_air, p, ghi=ghi)
        turbine = WindTurbine(turbine_type=p.turbine_type, hub_height=p.hub_height_m)
        v_hub = hub_wind(v, p, 10.0, ghi > 0)
        rho = density.barometric(p_air, 2.0, p.hub_height_m, t_air + 273.15 - 0.0065 * (p.hub_height_m - 2.0))
        curve = turbine.power_curve
        scale = 1.0
        if p.target_capacity_factor is not None:  # the same bisection, on windpowerlib's curve
            lo, hi = 0.0, 15.0 / v_hub.mean()
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                out = power_output.power_curve(
                    v_hub * mid, curve["wind_speed"], curve["value"], density=rho, density_correction=True
                )
                cf = np.clip(np.asarray(out) / turbine.nominal_power, 0, 1).mean() * (1 - p.park_losses_pct / 100)
                lo, hi = (mid, hi) if cf < p.target_capacity_factor else (lo, mid)
            scale = hi
        ref = power_output.power_curve(
            v_hub * scale, curve["wind_speed"], curve["value"], density=rho, density_correction=True
        )
        ref = np.clip(np.asarray(ref) / turbine.nominal_power, 0.0, 1.0) * (1 - p.park_losses_pct / 100)
        assert np.max(np.abs(got - ref)) <= 1e-12
