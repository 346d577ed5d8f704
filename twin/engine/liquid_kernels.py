"""Fused compiled kernels of the liquid designs: spray, cold plates, single- and two-phase immersion.

The same contract as free air's (:mod:`twin.engine.kernels`, :mod:`twin.engine.kernel_parts`):
hours outside, the block's cases inside; the hour's state (what depends on the weather and the
cooling parameters only) computed by the reference code once per hour
(:func:`~twin.building.cooling.liquid.liquid_state` for the coolant, the water target and the
pumps' design power; :func:`~twin.building.cooling.free_air.free_air_state` for the auxiliary air
system) into an ``(n_state, time)`` matrix; per case the load part here (:func:`liquid_heat`:
IT power at the coolant's chip temperature, the heat into the liquid and into the air;
:func:`drycooler_case`: the dry cooler with its pads; :func:`liquid_load`: with the coolant and
water pumps), the IT power, electrical chain and annual sums by the shared helpers.

Two passes per block. The auxiliary air system's trim is sized for each case's peak residual
heat over the year (``q_design`` of :func:`~twin.building.cooling.free_air.simulate_free_air`
is ``max_t q_air``): :func:`liquid_peak_loop` runs the load part once over the year for that
peak (and writes each case's hourly recoverable heat and return water temperature, which heat
reuse needs), then :func:`liquid_loop` runs the year with the air system sized. The heat reused
(:func:`twin.building.heat_reuse.reused_heat`) is computed from those hourly arrays by the
reference's numpy function where the block's heat customer is known
(:func:`twin.engine.simulate.annual_kpis`: a block carries no heat customer into the kernel);
the fluid loss, its CO2e and make-up cost are constant per case
(:func:`~twin.building.cooling.liquid.fluid_lost`, the reference itself).

In hours in which the auxiliary trim falls short of its setpoint in some case (humid hours near
the residual heat's peak: the trim is sized for that peak, the closed air system's outdoor air
adds to it), the supply runs warmer, which changes the air's density, humidity, envelope and the
trim's COP per case: :func:`_trim_short` runs the reference's air system on those hours'
columns only and the kernel takes its fans, compressor, humidifier, water and envelope there.

A status hands the block to the reference: ``1`` the trim short in an hour not so given, ``2``
a value out of bounds (or the trim running in an hour without a finite COP).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import CP_AIR, H_FG, dry_cooler, vapour_compression_power
from twin.building.cooling.curves import FAN_CURVES, PUMP_CURVES
from twin.building.cooling.free_air import FreeAirParams, free_air_state, simulate_free_air
from twin.building.cooling.liquid import fluid_lost, liquid_state
from twin.building.facility import hall_air, installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import compiled, kernel_helper
from twin.core.params import ConfigError
from twin.engine.design_kernels import _design_heat, _inv_cop
from twin.engine.kernel_parts import (
    SHARED_ROWS,
    Block,
    accumulate_hour,
    by_hour,
    case_matrix,
    electrical_hour,
    fill_column,
    fill_hour,
    hour_scratch,
    indoor_losses,
    it_power,
    record_cooling,
    run_kernel,
    shared_rows,
    state_groups,
)

__all__ = [
    "AUX_ROWS",
    "LIQUID_DESIGNS",
    "LIQUID_ROWS",
    "LIQUID_STATE",
    "drycooler_case",
    "liquid_heat",
    "liquid_kernel",
    "liquid_load",
    "liquid_loop",
    "liquid_peak_loop",
]

LIQUID_DESIGNS = ("spray", "cold_plate", "immersion_1p", "immersion_2p")
"""The designs :func:`liquid_kernel` runs (:func:`~twin.building.cooling.liquid.simulate_liquid`'s kinds)."""

LIQUID_STATE = (
    "t_coolant",
    "t_water_target",
    "t_db",
    "t_pad_air",
    "p_coolant_pump_design",
    "aux_too_humid",
    "aux_mech_per_kg",
    "aux_fan_kw",
    "aux_humid_kw",
    "aux_water",
    "aux_out_of_envelope",
    "aux_inv_cop",
    "aux_no_cop",
)
"""Rows of the liquid designs' state ``S``: coolant supply, water target, outdoor dry bulb, air
after the pads °C; the coolant pump's design kW (0 for two-phase); then the auxiliary free-air
system's state as free air's (:data:`twin.engine.kernels.FREE_AIR_STATE`, without the supply
temperature: the air system's "IT" is the residual heat, which does not depend on it)."""
LIQUID_ROWS = (
    "fans_kept",
    "dt_chip",
    "capture",
    "q_liquid_design",
    "approach_design",
    "p_drycooler_design",
    "adiabatic",
    "p_water_pump_design",
    "pump_min_flow",
    "constant_flow",
    "delta_t_water",
    "vapour_recovery",
    "pad_water",
)
"""Their rows of ``P`` after :data:`~twin.engine.kernel_parts.SHARED_ROWS`: 1 − capture, K, —,
kW, K (the dry cooler's approach with the glycol's penalty), kW, 0/1, kW, —, 0/1, K, kW/kW
(two-phase; 0 otherwise), L/h per K of pad cooling at full air flow."""
AUX_ROWS = ("per_kg", "trim_cap", "flow_x", "fan_min_flow", "fan_scale", "case")
"""The auxiliary air system's rows after those (as free air's): kg/s per kW, kW (sized for the
case's peak residual heat), 1/(kg/s), —, kg/s; then the case's index in the block."""

_DRY_COOLER_AIR_DT = inspect.signature(dry_cooler).parameters["air_delta_t_design"].default


@kernel_helper
def liquid_heat(P, i, installed, u, t_cool, t_air, t_inlet_ref, t_chip_ref):
    """IT power of case ``i`` with its chips at the coolant's temperature, and the heat left to
    the air and taken by the liquid (:func:`~twin.building.cooling.liquid.simulate_liquid`), kW:
    ``(p_it, q_air, q_liquid)``. ``t_cool`` the coolant supply, ``t_air`` the servers' inlet °C."""
    r = len(SHARED_ROWS)
    fans_kept, dt_chip, capture = P[r, i], P[r + 1, i], P[r + 2, i]
    p_it, _ = it_power(P, i, installed, u, t_air, t_cool + dt_chip, fans_kept, t_inlet_ref, t_chip_ref)
    p_dist, p_ups, p_misc = indoor_losses(P, i, p_it)
    return p_it, fans_kept * p_it + (p_dist + p_ups + p_misc), capture * p_it


@kernel_helper
def drycooler_case(need, adiabatic, t_target, t_db, t_pad):
    """The dry cooler (:func:`twin.building.cooling.components.dry_cooler`) for one case and hour:
    ``need`` the approach at this heat and full air flow K, ``adiabatic`` 1.0 with pads, the
    water target, dry bulb and padded air °C. Returns ``(ratio, t_water, t_air)``: the air-flow
    ratio, the water supply reached and the air entering °C (the padded air when the pads run)."""
    pad = (adiabatic > 0.0) & (need > max(t_target - t_db, 1e-9))
    t_in = t_pad if pad else t_db
    gap = t_target - t_in
    ratio = min(max(need / max(gap, 1e-9) if gap > 1e-9 else 1.0, 0.1), 1.0)
    return ratio, t_in + need / ratio, t_in


@kernel_helper
def liquid_load(P, i, installed, u, t_cool, t_wt, t_db, t_pad, p_cool_design, c):
    """The liquid part of case ``i`` for one hour (:func:`~twin.building.cooling.liquid.simulate_liquid`):
    ``(p_it, q_air, p_pumps, p_drycooler, water, short)``: kW, the heat left to the air kW, the
    pumps and dry-cooler fans kW, pad water L/h, 1.0 where the dry cooler cannot reach the water
    target (else 0.0). The state's coolant supply, water target, dry bulb and padded air °C and
    the coolant pump's design kW; ``c`` :func:`liquid_loop`'s ``consts``."""
    r = len(SHARED_ROWS)
    q_liq_d, approach, p_dc_d, adiabatic = P[r + 3, i], P[r + 4, i], P[r + 5, i], P[r + 6, i]
    p_water_d, min_flow, vapour = P[r + 7, i], P[r + 8, i], P[r + 11, i]
    p_it, q_air, q_liq = liquid_heat(P, i, installed, u, t_cool, c[0], c[1], c[2])
    load = q_liq / q_liq_d
    ratio, t_water, t_in = drycooler_case(approach * load, adiabatic, t_wt, t_db, t_pad)
    water = ratio * P[r + 12, i] * (t_db - t_in)  # 0 without the pads
    x = max(load, min_flow)
    curve = ((c[10] * x + c[9]) * x + c[8]) * x + c[7]
    p_coolant = vapour * q_liq if c[11] > 0.0 else p_cool_design * curve
    short = 1.0 if t_water > t_wt + 1e-6 else 0.0
    return p_it, q_air, p_coolant + p_water_d * curve, p_dc_d * (ratio * ratio * ratio), water, short


def liquid_peak_loop(P, S, U, IT, consts, q_peak, q_rec, t_ret, q_res):
    """First pass: each case's peak residual heat ``q_peak`` (kW, (case,)) over the year, and its
    hourly recoverable heat ``q_rec`` (kW), return water ``t_ret`` (°C) and residual heat
    ``q_res`` (kW), each (time, case). ``consts`` as :func:`liquid_loop`'s."""
    m = P.shape[1]
    nt = S.shape[1]
    r = len(SHARED_ROWS)
    t_air, t_inlet_ref, t_chip_ref = consts[0], consts[1], consts[2]
    u = np.empty(m)
    inst = np.empty(m)
    for i in range(m):
        q_peak[i] = -math.inf
    for t in range(nt):
        fill_column(U, t, u)
        fill_column(IT, t, inst)
        t_cool, t_wt, t_db, t_pad = S[0, t], S[1, t], S[2, t], S[3, t]
        for i in range(m):
            q_liq_d, approach, adiabatic = P[r + 3, i], P[r + 4, i], P[r + 6, i]
            min_flow, constant, dt_water = P[r + 8, i], P[r + 9, i], P[r + 10, i]
            _, q_air, q_liq = liquid_heat(P, i, inst[i], u[i], t_cool, t_air, t_inlet_ref, t_chip_ref)
            load = q_liq / q_liq_d
            _, t_water, _ = drycooler_case(approach * load, adiabatic, t_wt, t_db, t_pad)
            flow = 1.0 if constant > 0.0 else max(load, min_flow)
            q_peak[i] = max(q_peak[i], q_air)
            q_rec[t, i] = q_liq
            t_ret[t, i] = t_water + dt_water * load / flow
            q_res[t, i] = q_air


def liquid_loop(P, S, U, IT, consts, price, clean, month, day_end, grid, p_out, acc, peaks):
    """Second pass: :func:`liquid_case`, the auxiliary free-air system sized for the case's peak
    residual heat (fans, trim, humidifier, water), the electrical chain and the annual sums.

    ``consts``: the servers' inlet (the air system's setpoint), reference inlet and chip °C; the
    fan curve's four coefficients; the pump curve's four; 1.0 for two-phase (else 0.0); then the hours in
    which the air system's trim falls short of its setpoint in some case (:func:`_trim_short`):
    their count ``k``, the block's case count ``n``, the ``k`` hours, and per hour the reference's
    air-system fans, compressor, humidifier (kW), water (L/h) and out-of-envelope flag of every
    case of the block, ``(k, 5, n)`` flattened; the last row of ``P`` is each case's index in the
    block. Returns the status (0, 1 the trim short in an hour not given, 2 out of bounds or a
    trim without a COP).
    """
    m = P.shape[1]
    nt = S.shape[1]
    a0, a1, a2, a3 = consts[3], consts[4], consts[5], consts[6]
    c = consts
    ra = len(SHARED_ROWS) + len(LIQUID_ROWS)
    n_given, n_block = int(consts[12]), int(consts[13])
    base = 14 + n_given
    j = 0
    u, inst, pr, cl, C, E, part, day_ok = hour_scratch(m, acc)
    for t in range(nt):
        fill_hour(t, U, IT, price, clean, grid, u, inst, pr, cl)
        t_cool, t_wt, t_db, t_pad, p_cool_d = S[0, t], S[1, t], S[2, t], S[3, t], S[4, t]
        humid, mech, fan_kw, hum_kw, water_kg = S[5, t], S[6, t], S[7, t], S[8, t], S[9, t]
        out_aux, inv_cop, no_cop = S[10, t], S[11, t], S[12, t]
        n_short = 0
        n_bad = 0
        for i in range(m):
            p_it, q, p_pumps, p_dc, water_dc, short = liquid_load(
                P, i, inst[i], u[i], t_cool, t_wt, t_db, t_pad, p_cool_d, c
            )
            m_air = q * P[ra, i]
            q_mech = m_air * mech + q * humid
            n_short += 1 if q_mech - P[ra + 1, i] > 0.0 else 0
            p_mech = max(q_mech, 0.0) * inv_cop
            xf = max(m_air * P[ra + 2, i], P[ra + 3, i])
            p_fans = P[ra + 4, i] * fan_kw * (((a3 * xf + a2) * xf + a1) * xf + a0)
            p_hum = m_air * hum_kw
            water = water_dc + m_air * water_kg
            out = 1.0 if (short > 0.0) | (out_aux > 0.0) else 0.0
            ok = (p_fans >= 0.0) & (p_pumps >= 0.0) & (p_dc >= 0.0) & (p_hum >= 0.0)
            ok = ok & (water >= 0.0) & (water < math.inf) & ((q_mech <= 0.0) | (no_cop == 0.0))
            n_bad += 0 if ok else 1
            record_cooling(C, i, p_it, p_fans + p_pumps + p_mech + p_dc + p_hum, water, out)
        if j < n_given and int(consts[14 + j]) == t:  # the trim short in some case: the reference's air system
            n_short = 0
            for i in range(m):
                p_it, _, p_pumps, p_dc, water_dc, short = liquid_load(
                    P, i, inst[i], u[i], t_cool, t_wt, t_db, t_pad, p_cool_d, c
                )
                o = base + j * 5 * n_block + int(P[ra + 5, i])
                p_fans, p_mech, p_hum = consts[o], consts[o + n_block], consts[o + 2 * n_block]
                water_aux, out_aux = consts[o + 3 * n_block], consts[o + 4 * n_block]
                ok = (p_fans >= 0.0) & (p_mech >= 0.0) & (p_hum >= 0.0) & (water_aux >= 0.0) & (water_aux < math.inf)
                n_bad += 0 if ok else 1
                out = 1.0 if (short > 0.0) | (out_aux > 0.0) else 0.0
                record_cooling(C, i, p_it, p_fans + p_pumps + p_mech + p_dc + p_hum, water_dc + water_aux, out)
            j += 1
        if n_short > 0:
            return 1
        n_bad += electrical_hour(P, C, E)
        if n_bad > 0:
            return 2
        accumulate_hour(t, C, E, part, acc, pr, cl, month, day_end, grid, peaks, day_ok, p_out)
    return 0


def _aux_air(wx: Any, aux: Any) -> tuple[list[Any], list[Any]]:
    """The auxiliary free-air system's state rows and its ``(per_kg, dt_units)`` (free air's state)."""
    _, dt_units, _ = from_columns(aux)
    st = free_air_state(wx, aux)
    may_run = (st["too_humid"] | (st["trim_per_kg"] > 0.0)).astype(float)
    _, cop = vapour_compression_power(
        may_run,
        st["t_supply"] - aux["evaporator_approach"],
        wx["t_db"] + aux["condenser_approach"],
        str(aux["refrigerant"]),
        aux["eta_isentropic"],
        aux["eta_motor"],
    )
    state = [
        st["too_humid"],
        st["trim_per_kg"] + st["closed_oa_per_kg"],
        st["fan_kw"],
        st["humid_kw"],
        st["water"],
        st["out_of_envelope"],
        *_inv_cop(cop),
    ]
    return state, [1.0 / (CP_AIR * dt_units), dt_units]


def _peaks(P: np.ndarray, state: list[Any], hourly: tuple[Any, Any], consts: np.ndarray, m: int, nt: int) -> tuple:
    """The first pass over every group of equal state: ``q_peak`` (case,), ``q_rec`` and ``t_ret``
    (case, time; C-contiguous, as the reference's, for its sums), ``q_res`` (time, case)."""
    f = compiled(liquid_peak_loop)
    q_peak, out = np.empty(m), [np.empty((nt, m)) for _ in range(3)]
    U, inst = (by_hour(a, m, nt) for a in hourly)
    for idx, S in state_groups(state, m, nt):
        if idx.size == m:
            f(P, S, U, inst, consts, q_peak, *out)
            continue

        def cols(a: np.ndarray, idx: np.ndarray = idx) -> np.ndarray:
            return a if a.shape[1] == 1 else np.ascontiguousarray(a[:, idx])

        pk, sub = np.empty(idx.size), [np.empty((nt, idx.size)) for _ in range(3)]
        f(np.ascontiguousarray(P[:, idx]), S, cols(U), cols(inst), consts, pk, *sub)
        q_peak[idx] = pk
        for whole, part in zip(out, sub, strict=True):
            whole[:, idx] = part
    return q_peak, np.ascontiguousarray(out[0].T), np.ascontiguousarray(out[1].T), out[2]


def _trim_short(
    wx: Any, aux: Any, aux_state: list[Any], per_kg: Any, q_aux: np.ndarray, q_res: np.ndarray
) -> np.ndarray:
    """The hours in which the air system's trim falls short in some case (``q_res`` the residual
    heat, (time, case)), and the reference's
    air system (:func:`~twin.building.cooling.free_air.simulate_free_air`) in them, for
    :func:`liquid_loop`'s ``consts``.

    Short of its setpoint the supply runs warmer, which changes the air's density, humidity,
    envelope and the trim's COP per case: the reference computes those hours (on their columns
    only: its arithmetic is per case and hour, its fixed point settles in one step since the
    residual heat does not depend on the supply). Returns ``[k, n, hours…, values…]``.
    """
    nt, m = q_res.shape
    humid, mech = (np.asarray(a, dtype=float) for a in aux_state[:2])
    may = np.flatnonzero(
        np.any(np.broadcast_to((humid > 0.0) | (mech > 0.0), np.broadcast_shapes(humid.shape, mech.shape)), axis=0)
    )
    hours = may[:0]
    if may.size:
        q = q_res[may].T
        m_air = q * per_kg
        q_mech = m_air * mech[..., may] + q * humid[..., may]
        hours = may[np.any(q_mech - aux["trim_capacity"] * q_aux > 0.0, axis=0)]
    if not hours.size:
        return np.array([0.0, m])
    sub = {k: (np.asarray(v)[..., hours] if np.shape(v)[-1:] == (nt,) else v) for k, v in wx.items()}

    def residual_heat(t_in: Any, t_chip: Any, fans: Any, /) -> dict[str, np.ndarray]:
        return {"p_it": np.ascontiguousarray(q_res[hours].T)}

    r: dict[str, Any] = dict(simulate_free_air(sub, aux, residual_heat, lambda p_it: 0.0 * p_it, q_aux))  # type: ignore[arg-type]
    names = ("p_cooling_fans", "p_compressor", "p_humidification", "water", "out_of_envelope")
    values = np.stack([np.broadcast_to(np.asarray(r[k], dtype=np.float64), (m, hours.size)) for k in names])
    return np.concatenate([[hours.size, m], hours, values.transpose(2, 0, 1).ravel()])


def liquid_kernel(block: Block) -> dict[str, Any] | None:
    """The liquid designs' entry of :data:`twin.engine.kernels.COMPILED_DESIGNS`.

    The result is :func:`~twin.engine.kernel_parts.run_kernel`'s plus ``hourly``: the (case,
    time) ``q_recoverable`` and ``t_return`` (heat reuse) and ``fluid_loss``, ``fluid_co2e``,
    ``fluid_cost`` as the reference gives them.
    """
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block
    kind = design.name
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(kind, fac, coo, wx["p_air"])}  # as facility_chain does
    q_design = _design_heat(design_kw, ele)
    st = liquid_state(kind, wx, coo, q_design)
    two_phase = st["p_coolant_pump_design"] is None
    aux = st["aux"]
    aux_state, (per_kg, dt_units) = _aux_air(wx, aux)
    t_pad = wx["t_db"] - coo["adiabatic_effectiveness"] * (wx["t_db"] - wx["t_wb"])
    state = [
        st["t_coolant"],
        st["t_water_target"],
        wx["t_db"],
        t_pad,
        0.0 if two_phase else st["p_coolant_pump_design"],
        *aux_state,
    ]
    liquid_rows = [
        *shared_rows(fac, ele, design_kw, overclock),
        1.0 - coo["capture"],
        coo["dt_chip"],
        coo["capture"],
        st["q_liquid_design"],
        coo["drycooler_approach"] * st["glycol"]["approach"],
        coo["drycooler_fan_kw_per_kw"] * st["q_liquid_design"],
        coo["adiabatic"],
        st["p_water_pump_design"],
        coo["pump_min_flow"],
        float(coo["pump_control"] == "constant"),
        coo["delta_t_water"],
        coo["vapour_recovery_kw_per_kw"] if two_phase else 0.0,
        st["q_liquid_design"] / (CP_AIR * _DRY_COOLER_AIR_DT) * CP_AIR / H_FG * 3600.0,
    ]
    consts = np.array(
        [
            FreeAirParams().t_supply_setpoint,
            T_INLET_REF,
            T_INLET_REF + DT_CHIP_AIR,
            *FAN_CURVES[str(aux["fan_control"])],
            *PUMP_CURVES[str(coo["pump_control"])],
            float(two_phase),
        ],
        dtype=float,
    )
    P0 = case_matrix(liquid_rows, m)
    q_peak, q_rec, t_ret, q_res = _peaks(P0, state, (u, installed), consts, m, nt)
    q_aux = q_peak[:, None]  # the air system's design heat: the case's peak residual heat
    share = aux["fan_units"] / (aux["fan_units"] + aux["fan_redundant_units"])
    m_design = q_aux / (CP_AIR * dt_units)
    P = case_matrix(
        [
            *liquid_rows,
            per_kg,
            aux["trim_capacity"] * q_aux,
            share / np.maximum(m_design, 1e-12),
            aux["fan_min_flow"],
            m_design / share,
            np.arange(m)[:, None],
        ],
        m,
    )
    try:
        given_hours = _trim_short(wx, aux, aux_state, per_kg, q_aux, q_res)
    except ConfigError:  # (the reference's air system does not settle: the reference reports it)
        return None
    consts = np.concatenate([consts, given_hours])
    out = run_kernel(liquid_loop, P, state, (u, installed), consts, nt, grid, want_hourly)
    if out is None:
        return None
    lost = fluid_lost(st["fluid"], coo, st["q_liquid_design"], (m, nt))
    out["hourly"] = {"q_recoverable": q_rec, "t_return": t_ret, **lost}
    return out
