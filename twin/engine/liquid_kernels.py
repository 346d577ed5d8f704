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
a value out of bounds (or the trim running in an hour without a finite COP). A power part or the
water may fall below 0 by rounding (pad water at a saturated hour, whose wet bulb the solver puts
an ulp above the dry bulb) by :data:`~twin.building.facility.BOUND_SLACK` times the case-hour's
IT power: within the reference's bound (that share of the block's largest IT power), so the
kernel takes such an hour with the reference's value, and hands back what the reference refuses.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from twin.building.cooling.components import CP_AIR, H_FG, dry_cooler
from twin.building.cooling.curves import FAN_CURVES, PUMP_CURVES
from twin.building.cooling.free_air import FreeAirParams, simulate_free_air
from twin.building.cooling.liquid import fluid_lost, liquid_state
from twin.building.facility import BOUND_SLACK, hall_air, installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import kernel_helper
from twin.core.params import ConfigError
from twin.engine.design_kernels import _design_heat, air_rows, air_state
from twin.engine.kernel_parts import (
    MAX_FLOAT,
    SHARED_ROWS,
    Block,
    add_hour,
    by_hour,
    case_matrix,
    close_sums,
    compiled_kernel,
    electrical_case,
    electrical_chain,
    end_chunk,
    fill_hour,
    fill_it,
    hourly_state,
    indoor_losses,
    it_case,
    it_power,
    kernel_scratch,
    open_sums,
    read_only,
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
    "liquid_case",
    "liquid_heat",
    "liquid_hours",
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
def liquid_case(P, i):
    """Case ``i``'s :data:`LIQUID_ROWS` of ``P`` as a tuple of scalars (for :func:`liquid_heat`, :func:`liquid_load`)."""
    r = len(SHARED_ROWS)
    return (
        P[r, i],
        P[r + 1, i],
        P[r + 2, i],
        P[r + 3, i],
        P[r + 4, i],
        P[r + 5, i],
        P[r + 6, i],
        P[r + 7, i],
        P[r + 8, i],
        P[r + 9, i],
        P[r + 10, i],
        P[r + 11, i],
        P[r + 12, i],
    )


@kernel_helper
def liquid_heat(it, el, lq, core, fans, t_cool, t_air, t_inlet_ref, t_chip_ref):
    """IT power of one case with its chips at the coolant's temperature, its indoor losses, and
    the heat left to the air and taken by the liquid (:func:`~twin.building.cooling.liquid.simulate_liquid`),
    kW: ``(p_it, p_dist, p_ups, p_misc, q_air, q_liquid)``. ``it``, ``el``, ``lq`` the case's
    :func:`~twin.engine.kernel_parts.it_case`, :func:`~twin.engine.kernel_parts.electrical_case`,
    :func:`liquid_case`; ``t_cool`` the coolant supply, ``t_air`` the servers' inlet °C."""
    fans_kept, dt_chip, capture = lq[0], lq[1], lq[2]
    p_it, _ = it_power(it, core, fans, t_air, t_cool + dt_chip, fans_kept, t_inlet_ref, t_chip_ref)
    p_dist, p_ups, p_misc = indoor_losses(el, p_it)
    return p_it, p_dist, p_ups, p_misc, fans_kept * p_it + (p_dist + p_ups + p_misc), capture * p_it


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
def liquid_load(lq, q_liq, t_wt, t_db, t_pad, p_cool_design, pump, two_phase):
    """The liquid part of one case and hour (:func:`~twin.building.cooling.liquid.simulate_liquid`)
    at ``q_liq`` kW into the liquid: ``(p_pumps, p_drycooler, water, short, load, t_water)``: the
    pumps and dry-cooler fans kW, pad water L/h, 1.0 where the dry cooler cannot reach the water
    target (else 0.0), the liquid's part load and the water supply reached °C. ``lq`` the case's
    :func:`liquid_case`; the state's water target, dry bulb and padded air °C and the coolant
    pump's design kW; ``pump`` the pump curve's four coefficients, ``two_phase`` 1.0 or 0.0."""
    q_liq_d, approach, p_dc_d, adiabatic = lq[3], lq[4], lq[5], lq[6]
    p_water_d, min_flow, vapour, pad_water = lq[7], lq[8], lq[11], lq[12]
    load = q_liq / q_liq_d
    ratio, t_water, t_in = drycooler_case(approach * load, adiabatic, t_wt, t_db, t_pad)
    water = ratio * pad_water * (t_db - t_in)  # 0 without the pads
    x = max(load, min_flow)
    curve = ((pump[3] * x + pump[2]) * x + pump[1]) * x + pump[0]
    p_coolant = vapour * q_liq if two_phase > 0.0 else p_cool_design * curve
    short = 1.0 if t_water > t_wt + 1e-6 else 0.0
    return p_coolant + p_water_d * curve, p_dc_d * (ratio * ratio * ratio), water, short, load, t_water


def liquid_peak_loop(P, S, U, IT, consts, q_peak, q_rec, t_ret, q_res):
    """First pass: each case's peak residual heat ``q_peak`` (kW, (case,)) over the year, and its
    hourly recoverable heat ``q_rec`` (kW), return water ``t_ret`` (°C) and residual heat
    ``q_res`` (kW), each (time, case). ``consts`` as :func:`liquid_loop`'s."""
    m = P.shape[1]
    nt = S.shape[1]
    t_air, t_inlet_ref, t_chip_ref = consts[0], consts[1], consts[2]
    pump = (consts[7], consts[8], consts[9], consts[10])
    two_phase = consts[11]
    core = np.empty(m)
    fans = np.empty(m)
    for i in range(m):
        q_peak[i] = -math.inf
    for t in range(nt):
        fill_it(t, P, U, IT, core, fans)
        t_cool, t_wt, t_db, t_pad, p_cool_d = S[0, t], S[1, t], S[2, t], S[3, t], S[4, t]
        for i in range(m):
            it = it_case(P, i)
            el = electrical_case(P, i)
            lq = liquid_case(P, i)
            _, _, _, _, q_air, q_liq = liquid_heat(it, el, lq, core[i], fans[i], t_cool, t_air, t_inlet_ref, t_chip_ref)
            _, _, _, _, load, t_water = liquid_load(lq, q_liq, t_wt, t_db, t_pad, p_cool_d, pump, two_phase)
            flow = 1.0 if lq[9] > 0.0 else max(load, lq[8])
            q_peak[i] = max(q_peak[i], q_air)
            q_rec[t, i] = q_liq
            t_ret[t, i] = t_water + lq[10] * load / flow
            q_res[t, i] = q_air


def liquid_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Second pass: the liquid part (:func:`liquid_heat`, :func:`liquid_load`), the auxiliary
    free-air system sized for the case's peak residual heat (fans, trim, humidifier, water), the
    electrical chain and the annual sums; hours outside, the cases inside, one loop per hour (as
    :func:`twin.engine.kernels.free_air_loop`).

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
    t_air, t_inlet_ref, t_chip_ref = consts[0], consts[1], consts[2]
    a0, a1, a2, a3 = consts[3], consts[4], consts[5], consts[6]
    pump = (consts[7], consts[8], consts[9], consts[10])
    two_phase = consts[11]
    ra = len(SHARED_ROWS) + len(LIQUID_ROWS)
    n_given, n_block = int(consts[12]), int(consts[13])
    base = 14 + n_given
    j = 0
    G = np.zeros((5, m))  # a given hour's air system per case: fans, compressor, humidifier, water, out
    H, segs, hourly = kernel_scratch(month, p_out, m)
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        mo = month[t0]
        n_short = 0
        n_bad = 0
        for t in range(t0, t1):
            fill_hour(t, P, U, IT, price, clean, H)
            t_cool, t_wt, t_db, t_pad, p_cool_d = S[0, t], S[1, t], S[2, t], S[3, t], S[4, t]
            humid, mech, fan_kw, hum_kw, water_kg = S[5, t], S[6, t], S[7, t], S[8, t], S[9, t]
            out_aux, inv_cop, no_cop = S[10, t], S[11, t], S[12, t]
            given = (j < n_given) and (int(consts[14 + j]) == t)  # the trim short in some case: the reference's
            if given:
                for i in range(m):
                    o = base + j * 5 * n_block + int(P[ra + 5, i])
                    for q in range(5):
                        G[q, i] = consts[o + q * n_block]
                j += 1
            row = t * hourly
            for i in range(m):
                it = it_case(P, i)
                el = electrical_case(P, i)
                lq = liquid_case(P, i)
                per_kg, cap, flow_x, x_min, fan_scale = P[ra, i], P[ra + 1, i], P[ra + 2, i], P[ra + 3, i], P[ra + 4, i]
                p_it, p_dist, p_ups, p_misc, q, q_liq = liquid_heat(
                    it, el, lq, H[0, i], H[1, i], t_cool, t_air, t_inlet_ref, t_chip_ref
                )
                p_pumps, p_dc, water_dc, short, _, _ = liquid_load(
                    lq, q_liq, t_wt, t_db, t_pad, p_cool_d, pump, two_phase
                )
                m_air = q * per_kg
                q_mech = m_air * mech + q * humid
                xf = max(m_air * flow_x, x_min)
                p_fans = G[0, i] if given else fan_scale * fan_kw * (((a3 * xf + a2) * xf + a1) * xf + a0)
                p_mech = G[1, i] if given else max(q_mech, 0.0) * inv_cop
                p_hum = G[2, i] if given else m_air * hum_kw
                water = water_dc + (G[3, i] if given else m_air * water_kg)
                out_a = G[4, i] if given else out_aux
                n_short += 0 if given else (1 if q_mech - cap > 0.0 else 0)
                out = 1.0 if (short > 0.0) | (out_a > 0.0) else 0.0
                low = -BOUND_SLACK * p_it  # the reference's bound is the block's largest IT power's: looser
                ok = (p_fans >= low) & (p_pumps >= low) & (p_dc >= low) & (p_hum >= low) & (p_mech >= low)
                ok = ok & (water >= low) & (water <= MAX_FLOAT) & (given | (q_mech <= 0.0) | (no_cop == 0.0))
                p_cool = p_fans + p_pumps + p_mech + p_dc + p_hum
                p_tr, p_f, bad = electrical_chain(el, p_it, p_dist, p_ups, p_misc, p_cool)
                n_bad += bad + (0 if ok else 1)
                s = open_sums(part, acc, peaks, mo, i)
                s = add_hour(s, p_it, p_cool, water, out, p_f, p_ups, p_tr, H[2, i], H[3, i])
                close_sums(part, acc, peaks, mo, i, s)
                p_out[row, i] = p_f
        end_chunk(part, acc, t1, nt)
        if n_short > 0:
            return 1
        if n_bad > 0:
            return 2
    return 0


def _peaks(P: np.ndarray, state: list[Any], hourly: tuple[Any, Any], consts: np.ndarray, m: int, nt: int) -> tuple:
    """The first pass over every group of equal state: ``q_peak`` (case,), ``q_rec`` and ``t_ret``
    (case, time; C-contiguous, as the reference's, for its sums), ``q_res`` (time, case)."""
    f = compiled_kernel(liquid_peak_loop)
    q_peak, out = np.empty(m), [np.empty((nt, m)) for _ in range(3)]
    U, inst = (by_hour(a, m, nt) for a in hourly)
    for idx, S in state_groups(state, m, nt):
        S = read_only(S)
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


def liquid_hours(wx: Any, kind: str, coo: Any, q_design: Any) -> tuple[dict[str, Any], list[Any], Any, Any]:
    """A liquid design's hourly state: :func:`~twin.building.cooling.liquid.liquid_state`, its
    auxiliary air system's (:func:`~twin.engine.design_kernels.air_state`: rows and ΔT units K)
    and the adiabatic pad's air °C."""
    st = liquid_state(kind, wx, coo, q_design)
    air, _, dt_units = air_state(wx, st["aux"])
    t_pad = wx["t_db"] - coo["adiabatic_effectiveness"] * (wx["t_db"] - wx["t_wb"])
    return st, air, dt_units, t_pad


def liquid_kernel(block: Block) -> dict[str, Any] | None:
    """The liquid designs' entry of :data:`twin.engine.kernels.COMPILED_DESIGNS`.

    The result is :func:`~twin.engine.kernel_parts.run_kernel`'s plus ``hourly``: the (case,
    time) ``q_recoverable`` and ``t_return`` (heat reuse) and ``fluid_loss``, ``fluid_co2e``,
    ``fluid_cost`` as the reference gives them.
    """
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block[:10]
    kind = design.name
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(kind, fac, coo, wx["p_air"])}  # as facility_chain does
    q_design = _design_heat(design_kw, ele)
    st, air, dt_units, t_pad = hourly_state(block, liquid_hours, kind, coo, q_design)
    two_phase = st["p_coolant_pump_design"] is None
    aux = st["aux"]
    aux_state = air[1:]  # the air system's "IT" is the residual heat: no supply temperature in it
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
    air_p = air_rows(aux, q_aux, dt_units)
    P = case_matrix([*liquid_rows, *air_p, np.arange(m)[:, None]], m)
    try:
        given_hours = _trim_short(wx, aux, aux_state, air_p[0], q_aux, q_res)
    except ConfigError:  # (the reference's air system does not settle: the reference reports it)
        return None
    consts = np.concatenate([consts, given_hours])
    out = run_kernel(liquid_loop, P, state, (u, installed), consts, nt, grid, want_hourly)
    if out is None:
        return None
    lost = fluid_lost(st["fluid"], coo, st["q_liquid_design"], (m, nt))
    out["hourly"] = {"q_recoverable": q_rec, "t_return": t_ret, **lost}
    return out
