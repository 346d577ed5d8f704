"""Direct air-side economiser ("free air") with evaporative assist and mechanical trim.

Outdoor air is drawn through the data hall. Each hour the controls pick, in order of cost:

0. **mix** — outdoor air colder than the supply setpoint is mixed with return air to reach it
   (humidified to the envelope's minimum dew point if it is too dry);
1. **outdoor** — 100 % outdoor air, supplied as it is, while it is within the supply band;
2. **evaporative** — too warm: direct evaporative cooling (saturation effectiveness ε) down
   to the band's top, as far as the envelope's dew-point and RH limits allow;
3. **evaporative + trim** / 4. **outdoor + trim** — mechanical (DX) cooling of what is left;
5. **closed** — outdoor air too humid (dew point above the envelope): dampers close and the
   DX unit cools recirculated air, drying it to the envelope's limit at the setpoint; the
   minimum outdoor air still drawn (``closed_outdoor_air``) adds its sensible and latent heat
   (dehumidification is not free).

Air mass flow follows the heat and the server air temperature rise: ``ṁ = Q / (c_p ΔT_IT)``;
the fans are N + R units sized for the design heat, at part load on the ASHRAE 90.1
Appendix G curve with a minimum speed (:func:`twin.building.cooling.components.fan_array_power`).
Hours in which the supply leaves the chosen ASHRAE envelope (trim capacity too small, no
humidifier, too humid with no DX) are flagged ``out_of_envelope``, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import (
    CP_AIR,
    ENVELOPES,
    H_FG,
    FanArrayParams,
    at_hours,
    fan_array_power,
    fan_power,
    vapour_compression_power,
)
from twin.building.cooling.contract import Columns, CoolingResult, HeatOther, ITFunction, ITResult, Weather
from twin.building.fluids import fluid_error
from twin.building.it_load import DT_CHIP_AIR
from twin.core.fmt import number, span
from twin.core.memo import LRU, of_values, of_weather
from twin.core.params import ConfigError, param
from weather import psychrometrics as psy

__all__ = ["EVAPORATIVE", "ConvergenceError", "FreeAirParams", "free_air_state", "simulate_free_air", "warm_hours"]

MAX_ITERATIONS = 50
"""Iterations of the supply-temperature fixed point with too little trim (it contracts ≈ 10× per step)."""


class ConvergenceError(ConfigError):
    """The fixed point did not settle; ``rows`` are the cases of the block (row indices) concerned."""

    def __init__(self, message: str, rows: np.ndarray) -> None:
        super().__init__(message)
        self.rows = rows


@dataclass(frozen=True)
class FreeAirParams(FanArrayParams):
    """Parameters of the free-air design."""

    section = "cooling.free_air"

    envelope: str = param("A1", choices=tuple(ENVELOPES), source="ASHRAE2021: Table 2.1")
    t_supply_setpoint: float = param(
        22.0, 5.0, 45.0, units="degC", source="assumption: within the recommended 18–27 °C"
    )
    t_supply_max: float = param(
        27.0, 5.0, 45.0, units="degC", source="assumption: top of the recommended band; ≤ envelope maximum"
    )
    delta_t_it: float = param(12.0, 3.0, 25.0, units="K", source="assumption: server air temperature rise 10–15 K")
    evaporative: bool = param(True)
    evap_effectiveness: float = param(0.85, 0.0, 1.0, source="Wang2001 §9.8: 0.75–0.95")
    trim_capacity: float = param(
        1.0, 0.0, 2.0, source="mechanical trim capacity / design heat (assumption: full backup)"
    )
    closed_outdoor_air: float = param(
        0.02,
        0.0,
        0.3,
        source="assumption: outdoor air still drawn when closed (pressurisation, ventilation), share of supply",
    )
    humidifier: bool = param(True)
    humidifier_kwh_per_kg: float = param(
        0.08, 0.0, 1.0, units="kW h kg-1", source="assumption: ultrasonic/adiabatic humidifier"
    )
    fan_pressure_pa: float = param(
        350.0,
        50.0,
        3000.0,
        units="Pa",
        source="assumption: the air handlers' own pressure rise (filter walls, coils, casing), 250–500 Pa; the "
        "racks' openings add theirs (facility.kw_per_rack, containment). At altitude the same Δp moves the larger "
        "volume: filters and coils are taken as enlarged for the site's air density",
    )
    fan_efficiency: float = param(0.65, 0.1, 1.0, source="assumption: fan × motor × drive (EC fan arrays)")
    refrigerant: str = param("R410A", source="CoolProp fluid of the DX trim", check=fluid_error)
    eta_isentropic: float = param(0.7, 0.3, 1.0, source="assumption: scroll compressor")
    eta_motor: float = param(0.9, 0.5, 1.0, source="assumption")
    evaporator_approach: float = param(8.0, 1.0, 20.0, units="K", source="assumption: T_evap below supply air")
    condenser_approach: float = param(
        12.0, 3.0, 30.0, units="K", source="assumption: air-cooled condenser over dry bulb"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = ENVELOPES[self.envelope][:2]
        for name in ("t_supply_setpoint", "t_supply_max"):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ConfigError(
                    f"{self.section}.{name} = {number(v, grouped=False)} °C is outside the {self.envelope} envelope ({span(lo, hi, '°C')})"
                )
        if self.t_supply_setpoint > self.t_supply_max:
            raise ConfigError(
                f"{self.section}.t_supply_setpoint = {number(self.t_supply_setpoint, grouped=False)} must not exceed t_supply_max = {number(self.t_supply_max, grouped=False)}"
            )


def _x_sat(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Vapour mole fraction at saturation (over ice below 0 °C), at t °C and p Pa."""
    return psy.vapor_mole_fraction(t, 100.0, p)


_TERMS = LRU(64)
"""Saturation terms of the parameters' temperatures (setpoints, the envelope's dew points), by value."""


def _saturation_terms(*temps: Any) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`weather.psychrometrics.saturation_terms` of several temperature arrays in one call
    (elementwise, so the same values), each of its own shape, read-only.

    The temperatures are the parameters' (a setpoint, an envelope's dew points: a few values per
    case, no weather), so the terms of equal temperatures are computed once per process
    (:func:`twin.core.memo.of_values`): on the few values a call holds, numpy's per-call
    overhead costs more than a year's hourly pass.
    """
    arrays = [np.asarray(t, dtype=float) for t in temps]

    def make() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        terms = psy.saturation_terms(np.concatenate([a.ravel() for a in arrays]))
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        start = 0
        for a in arrays:
            es, alpha, beta = (x[start : start + a.size].reshape(a.shape) for x in terms)
            out.append((es, alpha, beta))
            start += a.size
        return out

    return of_values(_TERMS, make, *arrays)


_AT_PRESSURE = LRU(8)
"""The state's saturation at the hourly pressure (:func:`_saturation_at_pressure`), by the weather's and the temperatures' values."""

AT_PRESSURE_MEMO_VALUES = 8
"""Most parameter values (temperatures, supply approach, the flag) of a memoised
:func:`_saturation_at_pressure`: a block of one site whose setpoints are one per block (a few
rows), not a sweep of them."""


def _saturation_at_pressure(
    t_o: np.ndarray,
    pa: np.ndarray,
    d_s: Any,
    ts: Any,
    tmax: Any,
    dew_points: tuple[float, float],
    outdoor_given: bool,
) -> dict[str, np.ndarray]:
    """What :func:`_state` reads of saturation at the hourly pressure ``pa`` (Pa) in every hour: at
    the server inlet at the supply setpoint ``ts`` (°C, plus the supply approach ``d_s``) and at
    the envelope's ``dew_points`` (high, low; stacked on a leading axis); at the band top ``tmax``
    + ``d_s`` in the hours the outdoor air ``t_o`` is warmer than ``tmax`` (the state reads it in
    the warm hours, which lie among those: NaN in the others, or, for one band top and one row of
    weather, every hour's value) and, unless ``outdoor_given``, at the outdoor air + ``d_s`` in the
    hours within 1 K of the setpoint or warmer (NaN in the others).

    For one row of weather, the temperatures evaluated in every hour (the inlet's of each case,
    the dew points, one band top) are the rows of one array against the hourly pressure: one
    pass of :func:`weather.psychrometrics.saturated_mole_fraction`, elementwise, so each value is
    the one a pass of its own gives (on a first year at a site numpy's per-call overhead, not
    the arithmetic, is most of this function's time).

    Depends on the weather and a few parameter values only: for one site and at most
    :data:`AT_PRESSURE_MEMO_VALUES` parameter values it is computed once per process for equal
    values (:func:`twin.core.memo.of_weather`: the weather's bytes compared, the parameters' in
    the key), the arrays read-only; an entry holds ≈ 0.35 MB of arrays for a year of one setpoint
    (and the weather's bytes).
    """

    def make() -> dict[str, np.ndarray]:
        inlet, top, dew = np.atleast_2d(ts + d_s), np.atleast_2d(tmax + d_s), np.array(dew_points)[:, None, None]
        out: dict[str, np.ndarray] = {}
        if inlet.ndim == 2 and inlet.shape[1] == 1 and np.ndim(pa) == 2 and np.shape(pa)[0] == 1:
            n, k, whole = inlet.shape[0], dew.shape[0], top.size == 1  # whole: the band top's every hour too
            rows = np.concatenate([inlet.ravel(), dew.ravel(), top.ravel()[: int(whole)]])[:, None]
            at_rows, at_tmax = _saturation_terms(rows, top)
            x = psy.saturated_mole_fraction(at_rows, pa)
            out.update(ts=x[:n], dew_points=x[n : n + k].reshape(k, 1, -1), **({"tmax": x[n + k :]} if whole else {}))
        else:
            at_ts, at_tmax, at_dp = _saturation_terms(inlet, top, dew)
            out.update(ts=psy.saturated_mole_fraction(at_ts, pa), dew_points=psy.saturated_mole_fraction(at_dp, pa))
        if "tmax" not in out:
            out["tmax"] = _on_hours(
                np.broadcast_shapes(top.shape, np.shape(pa)),
                t_o > tmax,
                lambda h: psy.saturated_mole_fraction(at_tmax, at_hours(pa, h)),
            )
        if not outdoor_given:
            out["outdoor"] = _on_hours(
                np.broadcast_shapes(np.shape(t_o), np.shape(d_s), np.shape(pa)),
                t_o > ts - 1.0,
                lambda h: _x_sat(at_hours(t_o, h) + d_s, at_hours(pa, h)),
            )
        return out

    return of_weather(
        _AT_PRESSURE, make, (t_o, pa), d_s, ts, tmax, dew_points, outdoor_given, most=AT_PRESSURE_MEMO_VALUES
    )


def _x_sat_setpoint(ts: Any, d_s: Any, pa: np.ndarray, xs_ts: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Saturation at the supply setpoint ``ts`` itself (°C) at the hourly pressure ``pa`` of the
    ``hours``: the server inlet's ``xs_ts`` (at ``ts`` + ``d_s``) there when the two temperatures
    are equal (no supply approach), else computed in those hours only (the too-humid ones)."""
    inlet = np.atleast_2d(ts + d_s)
    if inlet.shape == np.shape(ts) and bool(np.array_equal(inlet, ts)):
        return at_hours(xs_ts, hours)
    return psy.saturated_mole_fraction(_saturation_terms(ts)[0], at_hours(pa, hours))


def _w_of_x(x: np.ndarray) -> np.ndarray:
    return 0.621945 * x / (1.0 - x)


def _x_of_w(w: np.ndarray) -> np.ndarray:
    return w / (0.621945 + w)


def _any_hours(mask: Any) -> np.ndarray:
    """The hours (indices on the last axis) in which ``mask`` holds for some case."""
    rows = np.reshape(mask, (-1, np.shape(mask)[-1]))
    return np.flatnonzero(rows[0] if rows.shape[0] == 1 else rows.any(axis=0))


def _on_hours(
    shape: tuple[int, ...], mask: Any, fn: Callable[[np.ndarray], np.ndarray], hours: np.ndarray | None = None
) -> np.ndarray:
    """An array of ``shape`` (case, time) holding ``fn(hours)`` in the hours in which ``mask`` holds
    for some case (``hours``: :func:`_any_hours` of it, when known), and NaN in the others (a
    value no hour of those reads)."""
    hours = _any_hours(mask) if hours is None else hours
    out = np.full(shape, np.nan)
    if hours.size:
        out[..., hours] = fn(hours)
    return out


def _x_sat_supply(
    t_supply: np.ndarray, pa: np.ndarray, known: list[tuple[np.ndarray, np.ndarray]], offset: Any = 0.0
) -> np.ndarray:
    """x_sat at the supply temperature plus ``offset`` (the server inlet), reusing values at
    temperatures already evaluated (NaN in ``known``: not evaluated in that hour).

    The supply temperature of every hour is one of a few arrays (setpoint and band top per
    case, outdoor temperature per hour); their saturation values cost (case + time) work
    instead of case × time. Only the remaining hours (trim shortfall) are evaluated directly.
    """
    out = np.full(np.broadcast_shapes(t_supply.shape, pa.shape), np.nan)
    for t_ref, x_ref in known:
        hit = np.isnan(out) & (t_supply == t_ref)
        out = np.where(hit, x_ref, out)
    rest = np.isnan(out)
    if rest.any():
        pb = np.broadcast_to(pa, out.shape)
        tb = np.broadcast_to(t_supply, out.shape)
        out[rest] = _x_sat(tb[rest] + np.broadcast_to(offset, out.shape)[rest], pb[rest])
    return out


def free_air_state(wx: Weather, p: Columns) -> dict[str, np.ndarray]:
    """What happens per kg of supply air each hour: the part of :func:`simulate_free_air` before the load.

    Arrays broadcastable to (case, time), independent of the IT load: ``mode`` (int8), ``too_humid``,
    ``t_supply`` (°C, before any trim shortfall), ``trim_per_kg`` and ``closed_oa_per_kg``
    (kJ per kg of supply air the DX coil removes), ``fan_kw``, ``humid_kw`` (kW per kg/s),
    ``water`` (L/h per kg/s), ``out_of_envelope``, ``w_supply`` (kg/kg), ``rh_supply`` (%).
    The compiled kernel (:mod:`twin.engine.kernels`) takes the load part from here.
    """
    return _state(wx, p)[0]


EVAPORATIVE = ("evaporative", "evap_effectiveness")
"""The parameters :func:`free_air_state` reads in the warm hours only (:func:`warm_hours`)."""


def warm_hours(state: dict[str, np.ndarray]) -> np.ndarray:
    """The hours (indices on the last axis) in which a :func:`free_air_state` is warm for some
    case: the outdoor air not too humid and warmer than the band's top (modes 2–4: evaporative,
    evaporative + trim, outdoor + trim).

    Notes
    -----
    Only in these hours does the state read :data:`EVAPORATIVE` (how far direct evaporation
    cools the air towards the band's top, and the trim and water that follow); which hours
    are warm depends on the weather, the setpoints and the envelope, not on them. So in every
    other hour the state of parameters that differ from this state's in :data:`EVAPORATIVE`
    alone is this state, and each hour's state depends on that hour's weather alone: such a
    state is this one with :func:`free_air_state` of the warm hours' weather written into
    those hours (:func:`twin.engine.design_kernels.air_states`).
    """
    mode = state["mode"]
    return _any_hours((mode >= 2) & (mode <= 4))


def simulate_free_air(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Hourly free-air cooling for all cases of this design at once (the numpy reference).

    Parameters
    ----------
    wx : dict
        Weather arrays ``t_db``, ``t_wb``, ``w`` (kg/kg), ``p_air`` (Pa), broadcastable to
        (case, time).
    p : dict
        :class:`FreeAirParams` fields as (case, 1) arrays (``envelope`` etc. as scalars per
        group: one envelope per call).
    it_fn : callable
        ``it_fn(t_inlet, t_chip, has_server_fans) -> dict`` giving ``p_it`` (kW).
    heat_other : callable
        ``heat_other(p_it) -> kW``: heat other than IT that this system removes (UPS and
        distribution losses, lighting), from the hour's actual IT power.
    q_design : array_like
        Design heat, kW (sizes the trim).

    Returns
    -------
    dict
        Component powers (kW), water (L/h), mode (index into :data:`twin.building.cooling.modes.FREE_AIR`), supply
        conditions and ``out_of_envelope``; also the IT results from ``it_fn``.
    """
    return _simulate(wx, p, it_fn, heat_other, q_design)


def _state(wx: Weather, p: Columns) -> tuple[dict[str, Any], Callable[[np.ndarray], dict[str, np.ndarray]]]:
    """:func:`free_air_state`, and the supply air at other supply temperatures (for a trim shortfall).

    Only the state and what the second function reads outlive this call: the intermediate
    arrays are freed before the load is computed on top of them.
    """
    t_o, w_o, pa = wx["t_db"], wx["w"], wx["p_air"]
    env = ENVELOPES[p["envelope"]]
    t_lo, t_hi, dp_lo, dp_hi, rh_lo, rh_hi = env
    # The setpoints hold the server inlet: the air is supplied the supply approach colder.
    d_s, dt_units, dp_racks = from_columns(p)
    ts, tmax = p["t_supply_setpoint"] - d_s, p["t_supply_max"] - d_s
    # Saturation at the hourly pressure: at the few temperatures the supply can take (per case or
    # per hour) and at the envelope's dew points.
    outdoor_given = "x_sat" in wx and not np.any(d_s)
    sat = _saturation_at_pressure(t_o, pa, d_s, ts, tmax, (dp_hi, dp_lo), outdoor_given)
    xs_ts = sat["ts"]
    xs_o = wx["x_sat"] if outdoor_given else sat["outdoor"]
    w_dp_hi, w_dp_lo = _w_of_x(sat["dew_points"])
    # Too humid for the envelope at the warmer of outdoor and setpoint temperature.
    too_humid = w_o > np.minimum(w_dp_hi, _w_of_x(rh_hi / 100.0 * np.fmax(xs_o, xs_ts)))
    # Closed: the DX coil dries the air to the envelope's limit at the server inlet, and at most
    # to saturation at the (colder) supply temperature it delivers (too-humid hours only).
    humid_hours = _any_hours(too_humid)
    w_closed = _on_hours(
        np.broadcast_shapes(np.shape(ts), np.shape(pa), np.shape(xs_ts)),
        too_humid,
        lambda h: np.minimum(
            np.minimum(at_hours(w_dp_hi, h), _w_of_x(rh_hi / 100.0 * at_hours(xs_ts, h))),
            _w_of_x(_x_sat_setpoint(ts, d_s, pa, xs_ts, h)),
        ),
        humid_hours,
    )
    # What only the too-humid and the warm hours change is evaluated on those hours (of some
    # case; a few per cent of a year) and written into arrays of the other hours' value.
    humid_h = at_hours(too_humid, humid_hours)

    # Supply air temperature and humidity without capacity limits.
    dry = ~too_humid
    mix = dry & (t_o <= ts)
    outdoor = dry & (t_o > ts) & (t_o <= tmax)
    warm = dry & (t_o > tmax)
    # Evaporative: how far can we cool before hitting the humidity limit at tmax? Evaluated in
    # the warm hours only (of some case): every use of dw and evap_only is masked by warm, and
    # dw is NaN in the other hours.
    eps, evaporative, t_wb = p["evap_effectiveness"], p["evaporative"], wx["t_wb"]
    xs_tmax = np.full(np.broadcast_shapes(np.shape(np.atleast_2d(tmax + d_s)), np.shape(pa)), np.nan)
    full = np.broadcast_shapes(
        warm.shape,
        np.shape(w_o),
        np.shape(w_dp_hi),
        xs_tmax.shape,
        np.shape(eps),
        np.shape(evaporative),
        np.shape(t_wb),
    )
    dw = np.full(full, np.nan)
    evap_only = np.zeros(full, dtype=bool)
    trim_per_kg = np.zeros(full)  # kJ/kg to bring the evaporatively cooled air to tmax
    evap_water = np.zeros(full)  # kg water evaporated per kg supply air
    w_pre = np.array(
        np.broadcast_to(w_o, full), order="C"
    )  # supply humidity before humidification (C order: as np.where gave)
    # Supply temperature and its x_sat (at t_supply + d_s): too humid and mix the setpoint,
    # outdoor the outdoor air; warm hours: tmax, below.
    t_supply = np.where(outdoor, t_o, ts)
    xs_supply = np.where(outdoor, xs_o, xs_ts)
    warm_hours = _any_hours(warm)
    if warm_hours.size:
        h = warm_hours
        warm_h, t_h, w_h = at_hours(warm, h), at_hours(t_o, h), at_hours(w_o, h)
        xs_tmax[..., h] = xs_h = at_hours(sat["tmax"], h)
        w_max_at_tmax = np.minimum(at_hours(w_dp_hi, h), _w_of_x(rh_hi / 100.0 * xs_h))
        dw_to_tmax = CP_AIR * (t_h - tmax) / H_FG
        w_evap_full = w_h + CP_AIR * eps * (t_h - at_hours(t_wb, h)) / H_FG
        dw_possible = np.maximum(np.minimum(w_evap_full, w_max_at_tmax) - w_h, 0.0)
        if not np.all(evaporative):
            dw_possible = np.where(evaporative, dw_possible, 0.0)
        dw[..., h] = dw_h = np.minimum(dw_to_tmax, dw_possible)
        evap_only[..., h] = warm_h & (dw_to_tmax <= dw_possible + 1e-12)
        trim_per_kg[..., h] = np.where(warm_h, CP_AIR * ((t_h - dw_h * H_FG / CP_AIR) - tmax), 0.0)
        evap_water[..., h] = np.where(warm_h, dw_h, 0.0)
        w_pre[..., h] = np.where(warm_h, w_h + dw_h, w_h)
        t_supply[..., h] = np.where(warm_h, tmax, t_supply[..., h])
        xs_supply[..., h] = np.where(warm_h, xs_h, xs_supply[..., h])
    # The mode's code from the masks, which exclude each other (too humid, mix, outdoor, warm):
    # 0 mix (or none), 1 outdoor, warm: 2 evaporative, 3 evaporative + trim, 4 outdoor + trim;
    # 5 closed. Integer arithmetic on them: a where-chain of six costs several times more.
    # In int8 (booleans viewed as 0/1 bytes): a third of int64's time, codes 0–5.
    i8 = np.int8
    mode = (
        too_humid.view(i8) * i8(5)
        + outdoor.view(i8)
        + warm.view(i8) * (i8(4) - (dw > 0).view(i8) * (evap_only.view(i8) + i8(1)))
    )
    # Outdoor-air fraction of the mix: f = (T_return − T_supply) / (T_return − T_outdoor).
    frac_oa = np.where(mix, np.clip(dt_units / np.maximum(ts + dt_units - t_o, 1e-9), 0.0, 1.0), 1.0)

    def supply_air(t_sup: np.ndarray, xs_s: np.ndarray) -> dict[str, np.ndarray]:
        """Humidification and the supply air's humidity, density, RH and envelope check at t_sup
        (``xs_s``: x_sat at the server inlet, t_sup + d_s).

        Depends on the state only (weather and cooling parameters), not on the load: it is
        evaluated on the state's shape, and again per case only in hours of trim shortfall.
        """
        w_min = np.maximum(w_dp_lo, _w_of_x(rh_lo / 100.0 * xs_s))
        humidify = dry & (w_pre < w_min) & p["humidifier"]
        w_sup = np.where(humidify, w_min, w_pre)
        if humid_hours.size:  # closed: dried by the DX coil
            h = humid_hours
            w_sup[..., h] = np.where(humid_h, np.minimum(at_hours(w_o, h), at_hours(w_closed, h)), w_sup[..., h])
        rh_s = np.minimum(100.0 * _x_of_w(w_sup) / xs_s, 100.0)
        t_inlet = t_sup + d_s  # the envelope is the server inlet's
        out = (
            (t_inlet > t_hi + 1e-6)
            | (t_inlet < t_lo - 1e-6)
            | (w_sup > w_dp_hi * 1.0005)
            | (w_sup < w_dp_lo * 0.9995)
            | (rh_s > rh_hi + 0.5)
        )
        dw_humid = np.where(humidify, frac_oa * (w_min - w_pre), 0.0)  # kg water per kg supply air
        rho = psy.moist_air_density(t_sup, w_sup, pa)
        return {
            # per kg/s of supply air: fan kW, humidifier kW, water L/h
            "fan_kw": fan_power(1.0, rho, p["fan_pressure_pa"] + dp_racks, p["fan_efficiency"]),
            "humid_kw": dw_humid * 3600.0 * p["humidifier_kwh_per_kg"],
            "water": (evap_water + dw_humid) * 3600.0,
            "out_of_envelope": out,
            "w_supply": w_sup,
            "rh_supply": rh_s,
        }

    # Closed: the minimum outdoor air replaces return air; the coil takes its sensible and latent heat.
    oa = p["closed_outdoor_air"]
    closed_oa_per_kg = np.zeros(
        np.broadcast_shapes(too_humid.shape, np.shape(oa), np.shape(t_o), np.shape(dt_units), w_closed.shape)
    )
    if humid_hours.size:
        h = humid_hours
        t_h, w_h = at_hours(t_o, h), at_hours(w_o, h)
        heat = CP_AIR * (t_h - ts - at_hours(dt_units, h)) + H_FG * np.maximum(w_h - at_hours(w_closed, h), 0.0)
        closed_oa_per_kg[..., h] = np.where(humid_h, oa * heat, 0.0)
    state = {
        "mode": mode,
        "too_humid": too_humid,
        "t_supply": t_supply,
        "trim_per_kg": trim_per_kg,
        "closed_oa_per_kg": closed_oa_per_kg,
        **supply_air(t_supply, xs_supply),
    }
    known = [(ts, xs_ts), (tmax, xs_tmax), (t_o, xs_o)]

    def supply_at(t_sup: np.ndarray) -> dict[str, np.ndarray]:
        return supply_air(t_sup, _x_sat_supply(t_sup, pa, known, d_s))

    return state, supply_at


def _simulate(wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray) -> Any:
    """:func:`simulate_free_air`: the state (:func:`_state`) and the load on it."""
    state, supply_at = _state(wx, p)
    d_s, dt_units, _ = from_columns(p)
    too_humid, t_target = state["too_humid"], state["t_supply"]
    # trim of the evaporatively cooled air, or the closed mode's outdoor air, per kg of supply air
    mech_per_kg = state.pop("trim_per_kg") + state.pop("closed_oa_per_kg")
    cap = p["trim_capacity"] * q_design

    def load(t_sup: np.ndarray) -> tuple[ITResult, np.ndarray, np.ndarray, np.ndarray]:
        """IT power at this supply air, heat, airflow, and mechanical cooling asked for (kW, kg/s)."""
        t_inlet = t_sup + d_s
        it = it_fn(t_inlet, t_inlet + DT_CHIP_AIR, True)
        q = it["p_it"] + heat_other(it["p_it"])
        m_air = q * (1.0 / (CP_AIR * dt_units))
        # the trim, or all the heat when closed
        return it, q, m_air, m_air * mech_per_kg + q * too_humid

    # The supply temperature is known before the load: IT power follows from it, and from
    # here on the load only sets the air mass flow (what happens per kg of air is the state).
    it, q, m_air, q_mech = load(t_target)
    short = np.maximum(q_mech - cap, 0.0)
    t_supply, sup = t_target, state
    if np.any(short > 0.0):
        # The trim cannot hold the setpoint: the supply (and server inlet) runs warmer, the
        # servers' fans and leakage add heat, the shortfall grows. Fixed point on the supply
        # temperature (contraction ≈ 0.1 per step with the default IT parameters).
        for _ in range(MAX_ITERATIONS):
            t_new = t_target + short / np.maximum(m_air * CP_AIR, 1e-12)
            it, q, m_air, q_mech = load(t_new)
            short_new = np.maximum(q_mech - cap, 0.0)
            done = np.allclose(short_new, short, rtol=1e-10, atol=1e-9)
            short, previous = short_new, short
            if done:
                break
        else:
            now, before = np.broadcast_arrays(short, previous)
            rows, hours = np.nonzero(~np.isclose(now, before, rtol=1e-10, atol=1e-9))
            raise ConvergenceError(
                f"free air: the supply temperature with too little trim did not settle in {MAX_ITERATIONS} "
                f"iterations in {np.unique(hours).size} hours (the first, counted from 0 at the start of the year: "
                f"{', '.join(map(str, np.unique(hours)[:5]))}); the server fans' and leakage's heat grows faster "
                "than the air removes it: raise cooling.free_air.trim_capacity or lower facility.fan_speed_per_k "
                "/ leakage_per_k",
                rows=np.unique(rows),
            )
        q_mech = q_mech - short
        t_supply = t_target + short / np.maximum(m_air * CP_AIR, 1e-12)
        sup = supply_at(t_supply)
    del supply_at, short  # what only a shortfall reads: freed before the rest (the peak memory)
    t_evap = t_supply - p["evaporator_approach"]
    t_cond = wx["t_db"] + p["condenser_approach"]
    p_mech, cop = vapour_compression_power(
        q_mech, t_evap, t_cond, p["refrigerant"], p["eta_isentropic"], p["eta_motor"]
    )

    return {
        **it,
        "q_cooling": q,
        "p_cooling_fans": fan_array_power(m_air, q_design / (CP_AIR * dt_units), sup["fan_kw"], p),
        "p_pumps": 0.0,
        "p_compressor": p_mech,
        "p_heat_rejection": 0.0,
        "p_humidification": m_air * sup["humid_kw"],
        "water": m_air * sup["water"],
        "mode": state["mode"],
        "t_supply": t_supply,
        "w_supply": sup["w_supply"],
        "rh_supply": sup["rh_supply"],
        "cop_mech": lambda: np.where(q_mech > 0.0, cop, np.nan),  # hours it runs; only if kept
        "out_of_envelope": sup["out_of_envelope"],
    }
