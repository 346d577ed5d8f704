"""The weather-only part of the hourly states (free air's saturation at the hourly pressure, chilled
water's supply-air density and tower wet-bulb terms), memoised by the weather's and the parameters' values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from twin.building.cooling import chilled_water, free_air
from twin.building.cooling.chilled_water import ChilledWaterParams, chilled_water_state
from twin.building.cooling.components import at_hours
from twin.building.cooling.free_air import FreeAirParams, free_air_state
from twin.building.facility import derive_psychrometrics, stack_columns
from weather import psychrometrics as psy

N = 240


def _weather(with_x_sat: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    t = rng.uniform(-10.0, 38.0, N)
    rh = rng.uniform(10.0, 95.0, N)
    p = rng.uniform(84_000.0, 86_000.0, N)
    wx = {"t_db": t, "rh": rh, "p_air": p, **derive_psychrometrics(t, rh, p)}
    if not with_x_sat:
        del wx["x_sat"]
    return {k: v[None, :] for k, v in wx.items()}


def _columns(approach: float = 1.5, **fields: float) -> dict:
    return {**stack_columns([FreeAirParams(**fields)]), "supply_approach": np.array([[approach]]),
            "dt_units": np.array([[12.0]]), "dp_distribution": np.array([[20.0]])}  # fmt: skip


def _fresh(wx: dict, p: dict) -> dict[str, np.ndarray]:
    """The state computed with the memo empty (what a first call computes)."""
    free_air._AT_PRESSURE = type(free_air._AT_PRESSURE)(8)
    return free_air_state(wx, p)


def _equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


@pytest.mark.parametrize("with_x_sat", [True, False])
def test_a_memoised_state_is_the_computed_one(with_x_sat: bool) -> None:
    wx, p = _weather(with_x_sat), _columns()
    first = _fresh(wx, p)
    assert len(free_air._AT_PRESSURE) == 1
    again = free_air_state({k: v.copy() for k, v in wx.items()}, p)  # equal values, other arrays
    assert len(free_air._AT_PRESSURE) == 1 and _equal(first, again)


@pytest.mark.parametrize("variable", ["p_air", "t_db"])
def test_weather_that_differs_inside_is_computed_again(variable: str) -> None:
    """The same ends (the memo's slot), one hour changed: the state of the changed weather."""
    wx, p = _weather(False), _columns()
    _fresh(wx, p)
    changed = {k: v.copy() for k, v in wx.items()}
    changed[variable][0, N // 2] += 8.0 if variable == "t_db" else 1_500.0
    assert not _equal(free_air_state(wx, p), free_air_state(changed, p))
    assert _equal(free_air_state(changed, p), _fresh(changed, p))


@pytest.mark.parametrize(
    "fields",
    [{"t_supply_setpoint": 20.0}, {"t_supply_max": 25.0}, {"envelope": "A2", "t_supply_max": 30.0}],
)
def test_other_temperatures_are_computed_again(fields: dict) -> None:
    wx = _weather(False)
    _fresh(wx, _columns())
    other = _columns(**fields)
    assert not _equal(free_air_state(wx, _columns()), free_air_state(wx, other))
    assert _equal(free_air_state(wx, other), _fresh(wx, other))


def test_another_supply_approach_is_computed_again() -> None:
    wx, p = _weather(False), _columns()
    _fresh(wx, p)
    q = {**p, "supply_approach": np.array([[3.0]])}
    assert _equal(free_air_state(wx, q), _fresh(wx, q))


def test_a_sweep_of_setpoints_is_not_memoised() -> None:
    wx = _weather(True)
    p = stack_columns([FreeAirParams(t_supply_setpoint=t) for t in np.linspace(18.0, 24.0, 12)])
    free_air._AT_PRESSURE = type(free_air._AT_PRESSURE)(8)
    free_air_state(wx, p)
    assert len(free_air._AT_PRESSURE) == 0


def _chilled(wx: dict, **fields: float) -> dict[str, np.ndarray]:
    p = {**stack_columns([ChilledWaterParams(**fields)]), "supply_approach": np.array([[1.5]]),
         "dt_units": np.array([[12.0]]), "dp_distribution": np.array([[20.0]])}  # fmt: skip
    return chilled_water_state(wx, p)


def _chilled_fresh(wx: dict, **fields: float) -> dict[str, np.ndarray]:
    chilled_water._DENSITY = type(chilled_water._DENSITY)(8)
    chilled_water._YORK_WB = type(chilled_water._YORK_WB)(8)
    return _chilled(wx, **fields)


@pytest.mark.parametrize(("variable", "fields"), [("p_air", {}), ("t_wb", {}), (None, {"t_supply_air": 20.0})])
def test_chilled_water_state_of_other_weather_or_supply_air_is_computed_again(
    variable: str | None, fields: dict
) -> None:
    wx = _weather(True)
    first = _chilled_fresh(wx)
    assert _equal(_chilled({k: v.copy() for k, v in wx.items()}), first) and len(chilled_water._YORK_WB) == 1
    changed = {k: v.copy() for k, v in wx.items()}
    if variable is not None:
        changed[variable][0, N // 2] = 12.345 if variable == "t_wb" else 70_000.0  # within the YorkCalc bounds
    again = _chilled(changed, **fields)
    assert not _equal(again, first) and _equal(again, _chilled_fresh(changed, **fields))


def _x_every_hour(t: np.ndarray, pa: np.ndarray) -> np.ndarray:
    return psy.saturated_mole_fraction(psy.saturation_terms(t), pa)


def _every_hour(
    t_o: np.ndarray, pa: np.ndarray, d_s: Any, ts: Any, tmax: Any, dew_points: tuple, outdoor_given: bool
) -> dict[str, np.ndarray]:
    """Saturation at every temperature in every hour, no memo: what the state's hourly subsets are cut from."""
    out = {
        "ts": _x_every_hour(np.atleast_2d(ts + d_s), pa),
        "dew_points": _x_every_hour(np.array(dew_points)[:, None, None], pa),
        "tmax": _x_every_hour(np.atleast_2d(tmax + d_s), pa),
    }
    if not outdoor_given:
        out["outdoor"] = _x_every_hour(t_o + d_s, pa)
    return out


@pytest.mark.parametrize("approach", [0.0, 1.5, 6.0])
@pytest.mark.parametrize("with_x_sat", [True, False])
def test_saturation_in_the_hours_read_gives_the_state_of_every_hour(
    monkeypatch: pytest.MonkeyPatch, approach: float, with_x_sat: bool
) -> None:
    """The band top's saturation in the hours warmer than it and the setpoint's in the too-humid
    hours (or the server inlet's, with no supply approach) give the state computed from
    saturation at every temperature in every hour, bit for bit."""
    wx, p = _weather(with_x_sat), _columns(approach)
    state = _fresh(wx, p)
    assert np.any(state["too_humid"]) and np.any(state["mode"] == 2) and np.any(state["mode"] == 3)
    monkeypatch.setattr(free_air, "_saturation_at_pressure", _every_hour)
    monkeypatch.setattr(
        free_air, "_x_sat_setpoint", lambda ts, d_s, pa, xs_ts, hours: at_hours(_x_every_hour(ts, pa), hours)
    )
    assert _equal(state, free_air_state(wx, p))


def test_given_x_sat_the_memo_still_compares_the_dry_bulb() -> None:
    """With the outdoor saturation given (no supply approach) the band top's hours come from the
    dry bulb: an hour made warm inside the year (the same ends) is computed again."""
    wx, p = _weather(True), _columns(0.0)
    _fresh(wx, p)
    hour = N // 2 + int(np.argmax(wx["t_db"][0, N // 2 :] < 20.0))
    changed = {k: v.copy() for k, v in wx.items()}
    changed["t_db"][0, hour], changed["w"][0, hour] = 36.0, 0.004  # warm and dry: read at the band top
    again = free_air_state(changed, p)
    assert again["mode"][0, hour] in (2, 3)
    assert _equal(again, _fresh(changed, p))


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shapes of every :func:`weather.psychrometrics.saturated_mole_fraction` result from now on."""
    shapes: list[tuple[int, ...]] = []
    real = psy.saturated_mole_fraction

    def counted(terms: Any, p_air: Any) -> np.ndarray:
        out = real(terms, p_air)
        shapes.append(np.shape(out))
        return out

    monkeypatch.setattr(psy, "saturated_mole_fraction", counted)
    return shapes


@pytest.mark.parametrize("approach", [0.0, 1.5])
def test_one_row_of_weather_takes_the_year_in_one_pass(monkeypatch: pytest.MonkeyPatch, approach: float) -> None:
    """One site and one band top: the inlet's, the dew points' and the band top's saturation are
    the rows of one pass over the hourly pressure (three passes before), each value the one its
    own pass gives, bit for bit (the band top's in the hours the state reads: the warm ones)."""
    wx, p = _weather(False), _columns(approach)
    d_s = p["supply_approach"]
    ts, tmax = p["t_supply_setpoint"] - d_s, p["t_supply_max"] - d_s
    dew = (17.0, -12.0)
    free_air._AT_PRESSURE = type(free_air._AT_PRESSURE)(8)
    shapes = _counting(monkeypatch)
    sat = free_air._saturation_at_pressure(wx["t_db"], wx["p_air"], d_s, ts, tmax, dew, False)
    assert shapes == [(4, N)]  # inlet, two dew points, band top
    own = _every_hour(wx["t_db"], wx["p_air"], d_s, ts, tmax, dew, False)
    warm = wx["t_db"] > tmax
    assert warm.any() and not warm.all()
    for k in ("ts", "dew_points"):
        assert sat[k].shape == own[k].shape and np.array_equal(sat[k].view(np.uint64), own[k].view(np.uint64))
    assert sat["tmax"].shape == own["tmax"].shape and np.array_equal(sat["tmax"][warm], own["tmax"][warm])


def test_a_sweep_of_band_tops_keeps_their_warm_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several band tops: theirs in the warm hours only (not a year per case), the same values."""
    wx = _weather(False)
    p = {**stack_columns([FreeAirParams(t_supply_max=t) for t in (24.0, 26.0, 27.0)]),
         "supply_approach": np.array([[1.0]])}  # fmt: skip
    ts, tmax = p["t_supply_setpoint"] - 1.0, p["t_supply_max"] - 1.0
    free_air._AT_PRESSURE = type(free_air._AT_PRESSURE)(8)
    shapes = _counting(monkeypatch)
    sat = free_air._saturation_at_pressure(wx["t_db"], wx["p_air"], 1.0, ts, tmax, (17.0, -12.0), False)
    hours = int(np.any(wx["t_db"] > tmax, axis=0).sum())
    assert shapes == [(3, N), (3, hours)]  # the setpoint (one for all) and the dew points; the band tops' hours
    own = _every_hour(wx["t_db"], wx["p_air"], 1.0, ts, tmax, (17.0, -12.0), False)
    warm = wx["t_db"] > tmax
    assert np.array_equal(sat["tmax"][warm], own["tmax"][warm])
    assert np.isnan(sat["tmax"][:, ~np.any(warm, axis=0)]).all()
