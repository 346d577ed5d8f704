"""Fused compiled kernels of chilled water (EIR or cycle chillers) and indirect evaporative cooling.

The same contract as free air's (:mod:`twin.engine.kernels`, :mod:`twin.engine.kernel_parts`):
hours outside, the block's cases inside; the hour's state (what depends on the weather and the
cooling parameters only) computed by the reference code once per hour
(:func:`~twin.building.cooling.chilled_water.chilled_water_state`,
:func:`~twin.building.cooling.indirect_evap.indirect_evap_state`) into an ``(n_state, time)``
matrix; per case the design's load part written here, the IT power, electrical chain and the
annual sums by the shared helpers. Each load part does the reference's arithmetic on scalars;
the tests hold every KPI equal to the reference's to 1e-12.

Chilled water has one kernel per chiller model on the same plant (:func:`chilled_water_plant_hour`:
fans, pumps, tower, economiser): EIR records (:func:`chilled_water_loop`) and the CoolProp
cycle (:func:`chilled_water_cycle_loop`), whose COP depends on each case-hour's condenser water
and is interpolated in the kernel from the reference's cycle table (:func:`~twin.building.fluids.cycle_cop`, the same
arithmetic as :class:`~twin.building.fluids.CycleTable`). Status ``2``
(out of bounds, or a DX trim running in an hour without a finite COP) hands a block to the
reference as for free air.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from twin.building.cooling.air_management import from_columns
from twin.building.cooling.chilled_water import chilled_water_plant, chilled_water_state
from twin.building.cooling.components import CP_AIR, ENVELOPES, H_FG, at_hours, vapour_compression_power
from twin.building.cooling.curves import FAN_CURVES, PUMP_CURVES
from twin.building.cooling.free_air import EVAPORATIVE, free_air_state, warm_hours
from twin.building.cooling.indirect_evap import indirect_evap_state
from twin.building.electrical import indoor_losses as indoor_losses_reference
from twin.building.facility import hall_air, installed_it
from twin.building.fluids import cycle_cop, cycle_table
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import kernel_helper
from twin.core.memo import LRU, of_arrays
from twin.engine.kernel_parts import (
    MAX_FLOAT,
    SHARED_ROWS,
    Block,
    add_hour,
    case_matrix,
    close_sums,
    electrical_case,
    electrical_chain,
    end_chunk,
    fill_hour,
    hourly_state,
    indoor_losses,
    it_case,
    it_power,
    kernel_scratch,
    open_sums,
    per_case,
    run_kernel,
    shared_rows,
    value_key,
)

__all__ = [
    "CHILLED_WATER_ROWS",
    "CHILLED_WATER_STATE",
    "CYCLE_ROWS",
    "INDIRECT_EVAP_ROWS",
    "INDIRECT_EVAP_STATE",
    "air_part_states",
    "air_rows",
    "air_state",
    "air_states",
    "chilled_water_case",
    "chilled_water_cycle_loop",
    "chilled_water_hour",
    "chilled_water_kernel",
    "chilled_water_loop",
    "chilled_water_plant_hour",
    "chilled_water_total",
    "indirect_evap_hours",
    "indirect_evap_kernel",
    "indirect_evap_loop",
    "weather_air_states",
]

INDIRECT_EVAP_STATE = (
    "t_in",
    "t_set",
    "t_ret",
    "t_after",
    "dry",
    "secondary_ratio",
    "kw_primary",
    "kw_secondary",
    "inv_cop",
    "no_cop",
)
"""Rows of indirect evaporative cooling's state ``S``: server inlet, supply held, return and
primary air after the exchanger °C, 0/1, scavenger flow share, fan kW per kg/s (primary,
secondary), 1/COP of the trim (0 where none), 0/1 (no finite COP)."""
INDIRECT_EVAP_ROWS = (
    "cp_dt",
    "supply_approach",
    "trim_cap",
    "m_design",
    "share",
    "fan_min_flow",
    "secondary_flow",
    "water_factor",
)
"""Its rows of ``P`` after :data:`~twin.engine.kernel_parts.SHARED_ROWS`: kJ/(s K) per kg/s × K
(c_p ΔT_units), K, kW, kg/s, N/(N + R), —, —, 1 + 1/(CoC − 1)."""

CHILLED_WATER_STATE = ("t_in", "kw_per_kg", "t_wb", "t_db", *(f"york_{k}{j}" for k in range(3) for j in range(3)))
"""Rows of chilled water's state ``S``: server inlet °C, CRAH fan kW per kg/s, outdoor wet and
dry bulb °C, YorkCalc's wet-bulb terms (:func:`~twin.building.cooling.curves.york_wet_bulb_terms`)."""
CHILLED_WATER_ROWS = (
    "q_design",
    "cp_dt",
    "m_design",
    "share",
    "fan_min_flow",
    "p_chw_design",
    "pump_min_flow",
    "rej_factor",
    "q_rej_design",
    "chiller_count",
    "constant_flow",
    "tower_range",
    "lg_design",
    "lg_min_air",
    "economiser",
    "economiser_approach",
    "t_chw",
    "t_chw_return",
    "tower_min_water",
    "t_cond_water_min",
    "delta_t_chw",
    "q_ref",
    "p_cw_cell",
    "p_tower_design",
    "basin_kw_per_k",
    "basin_setpoint",
    "latent_fraction",
    "water_factor",
    "out_of_envelope",
)
"""Its rows of ``P`` after :data:`~twin.engine.kernel_parts.SHARED_ROWS` (the plant per case,
:func:`~twin.building.cooling.chilled_water.chilled_water_plant`; ``t_chw`` clipped to the
chiller record's range, ``lg_min_air`` the liquid-to-gas ratio at the tower's minimum air)."""
CYCLE_ROWS = ("t_evap", "condenser_approach", "eta_isentropic", "eta_motor")
"""The cycle chillers' rows of ``P`` after :data:`CHILLED_WATER_ROWS`: evaporating temperature °C
(the chilled water minus the evaporator approach), condenser approach K, the compressor's
isentropic and the motor's efficiency."""


def indirect_evap_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Indirect evaporative cooling: :func:`~twin.building.cooling.indirect_evap.simulate_indirect_evap`'s
    load part (primary and scavenger fans, DX trim and its shortfall, spray water), the
    electrical chain and the annual sums; hours outside, the cases inside, one loop per hour
    (as :func:`twin.engine.kernels.free_air_loop`).

    ``consts``: c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K,
    h_fg kJ/kg, the envelope's lowest and highest inlet °C, the fan curve's four coefficients.
    Returns the status (0, 2 out of bounds or a trim without a COP).
    """
    m = P.shape[1]
    nt = S.shape[1]
    cp_air, t_inlet_ref, dt_chip, h_fg, env_lo, env_hi = (
        consts[0],
        consts[1],
        consts[2],
        consts[3],
        consts[4],
        consts[5],
    )
    a0, a1, a2, a3 = consts[6], consts[7], consts[8], consts[9]
    t_chip_ref = t_inlet_ref + dt_chip
    r = len(SHARED_ROWS)
    H, segs, hourly = kernel_scratch(month, p_out, m)
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        mo = month[t0]
        n_bad = 0
        for t in range(t0, t1):
            fill_hour(t, P, U, IT, price, clean, H)
            t_in, t_set, t_ret, t_after, dry = S[0, t], S[1, t], S[2, t], S[3, t], S[4, t]
            sec_ratio, kw_pri, kw_sec, inv_cop, no_cop = S[5, t], S[6, t], S[7, t], S[8, t], S[9, t]
            row = t * hourly
            for i in range(m):
                it = it_case(P, i)
                el = electrical_case(P, i)
                cp_dt, d_s, trim_cap, m_design = P[r, i], P[r + 1, i], P[r + 2, i], P[r + 3, i]
                share, x_min, sec_flow, water_factor = P[r + 4, i], P[r + 5, i], P[r + 6, i], P[r + 7, i]
                p_it, _ = it_power(it, H[0, i], H[1, i], t_in, t_in + dt_chip, 1.0, t_inlet_ref, t_chip_ref)
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                m_air = q / cp_dt
                q_want = m_air * cp_air * (t_after - t_set)
                q_trim = min(q_want, trim_cap)
                t_sup = t_set + (q_want - q_trim) / max(m_air * cp_air, 1e-12)
                p_mech = max(q_trim, 0.0) * inv_cop
                xf = max(m_air / max(m_design, 1e-12) * share, x_min)
                p_pri = m_design * kw_pri / share * (((a3 * xf + a2) * xf + a1) * xf + a0)
                m_des_s = m_design * sec_flow
                xs = max(m_air * sec_flow * sec_ratio / max(m_des_s, 1e-12) * share, x_min)
                p_sec = m_des_s * kw_sec / share * (((a3 * xs + a2) * xs + a1) * xs + a0)
                wet = 1.0 - dry
                water = wet * (m_air * cp_air * (t_ret - t_after) / h_fg * 3600.0) * water_factor
                t_inlet = t_sup + d_s
                out = 1.0 if (t_inlet > env_hi + 1e-6) | (t_inlet < env_lo - 1e-6) else 0.0
                ok = (p_pri >= 0.0) & (p_sec >= 0.0) & (p_mech >= 0.0) & (water >= 0.0) & (water <= MAX_FLOAT)
                ok = ok & ((q_trim <= 0.0) | (no_cop == 0.0))
                p_cool = p_pri + p_mech + p_sec
                p_tr, p_f, bad = electrical_chain(el, p_it, p_dist, p_ups, p_misc, p_cool)
                n_bad += bad + (0 if ok else 1)
                s = open_sums(part, acc, peaks, mo, i)
                s = add_hour(s, p_it, p_cool, water, out, p_f, p_ups, p_tr, H[2, i], H[3, i])
                close_sums(part, acc, peaks, mo, i, s)
                p_out[row, i] = p_f
        end_chunk(part, acc, t1, nt)
        if n_bad > 0:
            return 2
    return 0


@kernel_helper
def chilled_water_case(P, i):
    """Case ``i``'s :data:`CHILLED_WATER_ROWS` of ``P`` (from row ``len(SHARED_ROWS)``) as a tuple
    of scalars (for :func:`chilled_water_plant_hour`)."""
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
        P[r + 13, i],
        P[r + 14, i],
        P[r + 15, i],
        P[r + 16, i],
        P[r + 17, i],
        P[r + 18, i],
        P[r + 19, i],
        P[r + 20, i],
        P[r + 21, i],
        P[r + 22, i],
        P[r + 23, i],
        P[r + 24, i],
        P[r + 25, i],
        P[r + 26, i],
        P[r + 27, i],
        P[r + 28, i],
    )


@kernel_helper
def chilled_water_hour(S, t):
    """Hour ``t``'s :data:`CHILLED_WATER_STATE` (column ``t`` of ``S``) as a tuple of scalars."""
    return (
        S[0, t],
        S[1, t],
        S[2, t],
        S[3, t],
        S[4, t],
        S[5, t],
        S[6, t],
        S[7, t],
        S[8, t],
        S[9, t],
        S[10, t],
        S[11, t],
        S[12, t],
    )


@kernel_helper
def chilled_water_plant_hour(cw, hr, curves, q):
    """The chilled-water plant of one case-hour before its chillers
    (:func:`~twin.building.cooling.chilled_water.simulate_chilled_water`): CRAH fans, chilled-water
    pumps, tower cells staged with the heat and their YorkCalc fan speed, economiser, condenser
    pumps, basin heaters of the idle cells.

    ``cw`` the case's :func:`chilled_water_case`, ``hr`` the hour's :func:`chilled_water_hour`,
    ``curves`` the CRAH fan curve's and the chilled-water pump curve's four coefficients, ``q``
    the heat removed kW. Returns ``(p_plant, ok, q_chiller, t_tower)``: the power of the CRAH
    fans, pumps and heat rejection kW (summed in that order), whether each is not negative, the
    chillers' heat kW (not negative) and the tower's water °C.
    """
    f0, f1, f2, f3, g0, g1, g2, g3 = curves
    _, kw_per_kg, wb, t_db, y00, y01, y02, y10, y11, y12, y20, y21, y22 = hr
    q_design, cp_dt, m_design, share, x_min, p_chw_d, pump_min, rej_factor = (
        cw[0],
        cw[1],
        cw[2],
        cw[3],
        cw[4],
        cw[5],
        cw[6],
        cw[7],
    )
    q_rej_d, n_ch, constant, range_d, lo, hi, econ, econ_app = (
        cw[8],
        cw[9],
        cw[10],
        cw[11],
        cw[12],
        cw[13],
        cw[14],
        cw[15],
    )
    t_chw_ret, t_min_water, t_cw_min, dt_chw = cw[17], cw[18], cw[19], cw[20]
    p_cw_cell, p_tower_d, basin_k, basin_set = cw[22], cw[23], cw[24], cw[25]
    # CRAH fans, pumps
    load = q / q_design
    m_air = q / cp_dt
    xf = max(m_air / max(m_design, 1e-12) * share, x_min)
    p_crah = m_design * kw_per_kg / share * (((f3 * xf + f2) * xf + f1) * xf + f0)
    xp = max(load, pump_min)
    p_chw = p_chw_d * (((g3 * xp + g2) * xp + g1) * xp + g0)
    # tower cells staged with the heat, YorkCalc's coefficients at their range
    rej = min(load * rej_factor * q_design / q_rej_d, 1.0)
    staged = max(np.ceil(rej * n_ch - 1e-9), 1.0) / n_ch
    cells = 1.0 if constant > 0.0 else staged
    rng = min(max(range_d * rej / cells, 1.1), 22.2)
    c0 = y00 + rng * (y01 + rng * y02)
    c1 = y10 + rng * (y11 + rng * y12)
    c2 = y20 + rng * (y21 + rng * y22)
    g = min(lo, 8.0)
    # tower water wanted: as cold as allowed while the economiser can use it
    useful = (econ > 0.0) & (wb + (c0 + g * (c1 + g * c2)) + econ_app < t_chw_ret)
    target = t_min_water if useful else t_cw_min
    wanted = target - wb
    # the air-flow ratio giving that approach (the quadratic's root in [lo, hi], else lo)
    disc = c1 * c1 - 4.0 * c2 * (c0 - wanted)
    sq = math.sqrt(max(disc, 0.0))
    r1 = (-c1 + sq) / (2.0 * c2)
    r2 = (-c1 - sq) / (2.0 * c2)
    root = r1 if (r1 >= lo) & (r1 <= hi) else r2
    root = lo if (disc < 0.0) | (root != root) else root
    clipped = min(max(root, lo), hi)
    app_hi = c0 + hi * (c1 + hi * c2)
    lg = lo if wanted <= c0 + lo * (c1 + lo * c2) else (hi if wanted >= app_hi else clipped)
    air_ratio = lo / lg
    gl = min(lg, 8.0)
    t_tower = max(wb + (c0 + gl * (c1 + gl * c2)), target)
    frac_econ = min(max((t_chw_ret - (t_tower + econ_app)) / dt_chw, 0.0), 1.0)
    frac = frac_econ if econ > 0.0 else 0.0
    # condenser pumps, tower fans, basin heaters of the idle cells
    p_pumps = p_chw + cells * p_cw_cell
    p_hr = p_tower_d * cells * (air_ratio * air_ratio * air_ratio)
    p_hr = p_hr + basin_k * (1.0 - cells) * max(basin_set - t_db, 0.0)
    ok = (p_crah >= 0.0) & (p_pumps >= 0.0) & (p_hr >= 0.0)
    return p_crah + p_pumps + p_hr, ok, max(q * (1.0 - frac), 0.0), t_tower


@kernel_helper
def chilled_water_total(cw, h_fg, q, p_plant, p_comp):
    """One case-hour's cooling power kW (the plant's :func:`chilled_water_plant_hour` and the
    chillers'), tower water L/h (evaporation and blowdown of the heat and the chillers' power)
    and whether both are within their bounds: ``(p_cooling, water, ok)``. ``cw`` the case's
    :func:`chilled_water_case`, ``h_fg`` kJ/kg, the rest kW."""
    latent, water_factor = cw[26], cw[27]
    water = latent * (q + p_comp) / h_fg * 3600.0 * water_factor
    return p_plant + p_comp, water, (p_comp >= 0.0) & (water >= 0.0) & (water <= MAX_FLOAT)


def chilled_water_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Chilled water with EIR chillers: :func:`~twin.building.cooling.chilled_water.simulate_chilled_water`'s
    load part (:func:`chilled_water_plant_hour`, then the staged chillers of the EIR record and
    the tower's water), the electrical chain and the annual sums; hours outside, the cases
    inside, one loop per hour (as :func:`twin.engine.kernels.free_air_loop`).

    ``consts``: c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K,
    h_fg kJ/kg, the CRAH fan curve's and the chilled-water pump curve's four coefficients, then
    the chiller record: CAPFT (6), EIRFT (6), EIRFPLR (3), minimum and unloading part-load
    ratio, reference COP, chilled- and condenser-water ranges (°C, 2 each). Returns the status
    (0, 2 out of bounds).
    """
    m = P.shape[1]
    nt = S.shape[1]
    t_inlet_ref, dt_chip, h_fg = consts[1], consts[2], consts[3]
    curves = (consts[4], consts[5], consts[6], consts[7], consts[8], consts[9], consts[10], consts[11])
    cap0, cap1, cap2, cap3, cap4, cap5 = consts[12], consts[13], consts[14], consts[15], consts[16], consts[17]
    eir0, eir1, eir2, eir3, eir4, eir5 = consts[18], consts[19], consts[20], consts[21], consts[22], consts[23]
    plr0, plr1, plr2 = consts[24], consts[25], consts[26]
    plr_min, plr_unload, cop_ref = consts[27], consts[28], consts[29]
    cw_lo, cw_hi = consts[32], consts[33]
    t_chip_ref = t_inlet_ref + dt_chip
    H, segs, hourly = kernel_scratch(month, p_out, m)
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        mo = month[t0]
        n_bad = 0
        for t in range(t0, t1):
            fill_hour(t, P, U, IT, price, clean, H)
            hr = chilled_water_hour(S, t)
            t_in = hr[0]
            row = t * hourly
            for i in range(m):
                it = it_case(P, i)
                el = electrical_case(P, i)
                cw = chilled_water_case(P, i)
                n_ch, x, t_cw_min, q_ref, out_env = cw[9], cw[16], cw[19], cw[21], cw[28]
                # IT power and the heat the plant removes
                p_it, _ = it_power(it, H[0, i], H[1, i], t_in, t_in + dt_chip, 1.0, t_inlet_ref, t_chip_ref)
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                p_plant, ok_plant, q_ch, t_tower = chilled_water_plant_hour(cw, hr, curves, q)
                # chillers (EIR record), staged on; the tower's water
                y = min(max(max(t_tower, t_cw_min), cw_lo), cw_hi)
                q_avail = q_ref * (cap0 + x * (cap1 + cap2 * x) + y * (cap3 + cap4 * y) + cap5 * x * y)
                running = min(max(np.ceil(q_ch / q_avail - 1e-9), 0.0), n_ch)
                plr_on = min(q_ch / max(running * q_avail, 1e-12), 1.0)
                plr = plr_on if running > 0.0 else 0.0
                pl = max(plr, plr_unload)
                eirft = eir0 + x * (eir1 + eir2 * x) + y * (eir3 + eir4 * y) + eir5 * x * y
                p_comp = (
                    running * q_avail * (eirft * ((plr2 * pl + plr1) * pl + plr0)) / cop_ref * min(plr / plr_min, 1.0)
                )
                out = 1.0 if (out_env > 0.0) | (q_ch > n_ch * q_avail * (1.0 + 1e-9)) else 0.0
                p_cool, water, ok = chilled_water_total(cw, h_fg, q, p_plant, p_comp)
                ok = ok & ok_plant
                p_tr, p_f, bad = electrical_chain(el, p_it, p_dist, p_ups, p_misc, p_cool)
                n_bad += bad + (0 if ok else 1)
                s = open_sums(part, acc, peaks, mo, i)
                s = add_hour(s, p_it, p_cool, water, out, p_f, p_ups, p_tr, H[2, i], H[3, i])
                close_sums(part, acc, peaks, mo, i, s)
                p_out[row, i] = p_f
        end_chunk(part, acc, t1, nt)
        if n_bad > 0:
            return 2
    return 0


def chilled_water_cycle_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Chilled water with CoolProp cycle chillers: as :func:`chilled_water_loop`, the chillers'
    power the load over the cycle's COP at each case-hour's condenser water
    (:func:`~twin.building.cooling.components.vapour_compression_power`, :func:`~twin.building.fluids.cycle_cop`):
    ``T_cond = max(T_tower, T_cw,min) + range + condenser approach``, the evaporator at the
    chilled water minus its approach; never short of capacity.

    Three loops over the cases per hour (measured on the bench's 1,000-case sweep): the plant
    (:func:`chilled_water_plant_hour`), keeping its power, the chillers' heat and the condenser
    temperature per case; the COP alone (:func:`~twin.building.fluids.cycle_cop` reads the table at indices that
    differ per case, which the compiler does not vectorise: in one body with the rest it kept
    the whole body scalar, 2.5× slower); then the IT power and losses again (cheaper than a
    fourth kept array, with which the first loop was no longer vectorised), the chillers, the
    electrical chain and the sums.

    ``consts``: as :func:`chilled_water_loop`'s first twelve, then :attr:`~twin.building.fluids.CycleTable.flat`. ``P``:
    :data:`CHILLED_WATER_ROWS`, then :data:`CYCLE_ROWS`. Returns the status (0, 2 out of bounds).
    """
    m = P.shape[1]
    nt = S.shape[1]
    t_inlet_ref, dt_chip, h_fg = consts[1], consts[2], consts[3]
    curves = (consts[4], consts[5], consts[6], consts[7], consts[8], consts[9], consts[10], consts[11])
    tab = consts[12:]
    t_chip_ref = t_inlet_ref + dt_chip
    r = len(SHARED_ROWS) + len(CHILLED_WATER_ROWS)
    H, segs, hourly = kernel_scratch(month, p_out, m)
    w_cond, w_plant, w_ch = np.empty(m), np.empty(m), np.empty(m)
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        mo = month[t0]
        n_bad = 0
        for t in range(t0, t1):
            fill_hour(t, P, U, IT, price, clean, H)
            hr = chilled_water_hour(S, t)
            t_in = hr[0]
            row = t * hourly
            for i in range(m):  # the plant, up to the condenser
                it = it_case(P, i)
                el = electrical_case(P, i)
                cw = chilled_water_case(P, i)
                p_it, _ = it_power(it, H[0, i], H[1, i], t_in, t_in + dt_chip, 1.0, t_inlet_ref, t_chip_ref)
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                p_plant, ok_plant, q_ch, t_tower = chilled_water_plant_hour(cw, hr, curves, q)
                n_bad += 0 if ok_plant else 1
                w_plant[i] = p_plant
                w_ch[i] = q_ch
                w_cond[i] = max(t_tower, cw[19]) + cw[11] + P[r + 1, i]  # entering water + range + approach
            for i in range(m):  # the cycle's COP at T_evap, T_cond, times the compressor's and motor's efficiencies
                w_cond[i] = cycle_cop(tab, P[r, i], w_cond[i]) * P[r + 2, i] * P[r + 3, i]
            for i in range(m):  # the chillers, the electrical chain, the sums
                it = it_case(P, i)
                el = electrical_case(P, i)
                cw = chilled_water_case(P, i)
                p_it, _ = it_power(it, H[0, i], H[1, i], t_in, t_in + dt_chip, 1.0, t_inlet_ref, t_chip_ref)
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                p_plant = w_plant[i]
                p_comp = w_ch[i] / w_cond[i]
                out = 1.0 if cw[28] > 0.0 else 0.0  # never short of capacity
                p_cool, water, ok = chilled_water_total(cw, h_fg, q, p_plant, p_comp)
                p_tr, p_f, bad = electrical_chain(el, p_it, p_dist, p_ups, p_misc, p_cool)
                n_bad += bad + (0 if ok else 1)
                s = open_sums(part, acc, peaks, mo, i)
                s = add_hour(s, p_it, p_cool, water, out, p_f, p_ups, p_tr, H[2, i], H[3, i])
                close_sums(part, acc, peaks, mo, i, s)
                p_out[row, i] = p_f
        end_chunk(part, acc, t1, nt)
        if n_bad > 0:
            return 2
    return 0


def _design_heat(design_kw: Any, ele: Any) -> Any:
    """Design heat, kW: design IT plus its indoor losses (as :func:`~twin.building.facility.facility_chain` sizes the plant)."""
    indoor = indoor_losses_reference(design_kw, design_kw, ele)
    return design_kw + (indoor["p_dist_loss"] + indoor["p_ups_loss"] + indoor["p_misc"])


def _inv_cop(cop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``1/COP`` (0 where there is none) and the flag of no finite COP."""
    finite = np.isfinite(cop)
    return np.where(finite, 1.0 / np.where(finite, cop, 1.0), 0.0), ~finite


def air_state(wx: Any, coo: Any) -> tuple[list[Any], Any, Any]:
    """Free air's hourly state rows (:data:`twin.engine.kernels.FREE_AIR_STATE`), with the DX
    trim's COP in the hours any case may run it (too humid, or trim after evaporation), and the
    hall's supply approach and ΔT units K (:func:`~twin.building.cooling.air_management.from_columns`).
    Free air's and the liquid designs' auxiliary air system's."""
    return _air_state(wx, coo, free_air_state(wx, coo))


def _air_state(wx: Any, coo: Any, st: dict[str, Any], own_rows: bool = False) -> tuple[list[Any], Any, Any]:
    """:func:`air_state` from the :func:`~twin.building.cooling.free_air.free_air_state` ``st``;
    ``own_rows``: each row's COP in the hours that row may run it only (+inf in the others, as
    a state of that row alone has it), not in the hours any row may."""
    d_s, dt_units, _ = from_columns(coo)
    may_run = (st["too_humid"] | (st["trim_per_kg"] > 0.0)).astype(float)
    _, cop = vapour_compression_power(
        may_run,
        st["t_supply"] - coo["evaporator_approach"],
        wx["t_db"] + coo["condenser_approach"],
        str(coo["refrigerant"]),
        coo["eta_isentropic"],
        coo["eta_motor"],
    )
    if own_rows:
        cop = np.where(may_run > 0.0, cop, np.inf)
    state = [
        st["t_supply"],
        st["too_humid"],
        st["trim_per_kg"] + st["closed_oa_per_kg"],
        st["fan_kw"],
        st["humid_kw"],
        st["water"],
        st["out_of_envelope"],
        *_inv_cop(cop),
    ]
    return state, d_s, dt_units


def air_states(wx: Any, sets: list[dict[str, Any]]) -> list[np.ndarray]:
    """:func:`air_state`'s rows of each of the cooling column sets ``sets`` (one value per
    column each; equal but for :data:`~twin.building.cooling.free_air.EVAPORATIVE`) as an
    ``(n_state, time)`` matrix per set, the same values bit for bit: the first set's over the
    year, the others' in its warm hours only (:func:`~twin.building.cooling.free_air.warm_hours`,
    the only hours in which they differ), in one call on those hours' weather with their values
    stacked as rows, and the first set's rows in the other hours. A sweep of evaporative
    effectiveness pays one year's state and a few hundred hours per further value, not a year
    per value."""
    st = free_air_state(wx, sets[0])
    base = _air_state(wx, sets[0], st)[0]
    nt = np.shape(wx["t_db"])[-1]
    S = np.empty((len(base), nt))
    for k, row in enumerate(base):
        S[k] = np.reshape(np.broadcast_to(row, (1, nt)), -1)
    hours = warm_hours(st)
    if len(sets) == 1 or hours.size == 0:
        return [S] * len(sets)
    stacked = {**sets[0], **{k: np.concatenate([np.reshape(s[k], (1, 1)) for s in sets[1:]]) for k in EVAPORATIVE}}
    sub = {k: at_hours(v, hours) for k, v in wx.items()}
    warm = _air_state(sub, stacked, free_air_state(sub, stacked), own_rows=True)[0]
    W = np.stack([np.broadcast_to(row, (len(sets) - 1, hours.size)) for row in warm], axis=1)  # (set, state, hour)
    out = [S]
    for Wj in W:
        Sj = S.copy()
        Sj[:, hours] = Wj
        out.append(Sj)
    return out


def air_part_states(block: Block, sets: list[dict[str, Any]]) -> list[np.ndarray | None]:
    """The :func:`air_state` rows of each part of a batch of one site (an ``(n_state, time)``
    matrix), from the parts' cooling columns ``sets``, where parts of one value per column
    share all but :data:`~twin.building.cooling.free_air.EVAPORATIVE` and differ in those
    (:func:`air_states` computes them together); None for the other parts (a part of several
    values of a column, or one whose state no other part's shares all but those): they compute
    their own (:func:`~twin.engine.kernel_parts.hourly_state`). Only the columns that are not
    one object in every part (a column of the batch with one value is) are compared."""
    out: list[np.ndarray | None] = [None] * len(sets)
    if len(sets) < 2 or np.shape(block.wx["t_db"])[0] != 1:
        return out
    varying = [k for k in sets[0] if any(s[k] is not sets[0][k] for s in sets)]
    groups: dict[Any, dict[Any, list[int]]] = {}
    for j, s in enumerate(sets):
        if not per_case([s[k] for k in varying]):
            rest = value_key([s[k] for k in varying if k not in EVAPORATIVE])
            groups.setdefault(rest, {}).setdefault(value_key([s[k] for k in EVAPORATIVE]), []).append(j)
    for by_value in groups.values():
        if len(by_value) > 1:
            js = list(by_value.values())
            for S, same in zip(weather_air_states(block.wx, [sets[j[0]] for j in js]), js, strict=True):
                for j in same:
                    out[j] = S
    return out


_AIR_STATES = LRU(2)
"""Free air's hourly states of a batch's sets of cooling columns (:func:`weather_air_states`), by the
weather's and the columns' values."""

AIR_STATES_MEMO_SETS = 16
"""Most column sets of a memoised :func:`weather_air_states` entry: an entry holds an
``(n_state, time)`` matrix per set (≈ 0.63 MB for a year), and the weather's bytes."""


def weather_air_states(wx: Any, sets: list[dict[str, Any]]) -> list[np.ndarray]:
    """:func:`air_states` of one site's weather ``wx`` (rows of one hour each) and the column sets
    ``sets``, memoised by their values (:func:`twin.core.memo.of_arrays`: the weather's bytes
    compared, the columns' values in the key) for at most :data:`AIR_STATES_MEMO_SETS` sets: the
    same arrays, read-only, for every call that asks for equal values (a sweep run in blocks of
    cases, a re-run at the site); :func:`twin.core.memo.clear_array_memos` empties it.

    What it holds depends on the weather and the cooling parameters only, never on what the
    process ran before: a hit is the value a computation gives, bit for bit.
    """
    if len(sets) > AIR_STATES_MEMO_SETS:
        return air_states(wx, sets)
    names = sorted(wx)
    return of_arrays(_AIR_STATES, lambda: air_states(wx, sets), [wx[k] for k in names], tuple(names), value_key(sets))


def air_rows(coo: Any, q_design: Any, dt_units: Any) -> list[Any]:
    """Free air's rows of ``P`` after the supply approach (:data:`twin.engine.kernels.FREE_AIR_ROWS`
    from ``per_kg``) for an air system sized for ``q_design`` kW."""
    share = coo["fan_units"] / (coo["fan_units"] + coo["fan_redundant_units"])
    m_design = q_design / (CP_AIR * dt_units)
    return [
        1.0 / (CP_AIR * dt_units),
        coo["trim_capacity"] * q_design,
        share / np.maximum(m_design, 1e-12),
        coo["fan_min_flow"],
        m_design / share,
    ]


def indirect_evap_hours(wx: Any, coo: Any) -> tuple[dict[str, Any], np.ndarray]:
    """Indirect evaporative cooling's hourly state (:func:`~twin.building.cooling.indirect_evap.indirect_evap_state`)
    and the DX trim's COP in the hours any case may run it."""
    st = indirect_evap_state(wx, coo)
    may_run = (st["t_after"] > st["t_set"]).astype(float)
    _, cop = vapour_compression_power(
        may_run, st["t_evap"], st["t_cond"], str(coo["refrigerant"]), coo["eta_isentropic"], coo["eta_motor"]
    )
    return st, cop


def indirect_evap_kernel(block: Block) -> dict[str, Any] | None:
    """Indirect evaporative cooling's entry of :data:`twin.engine.kernels.COMPILED_DESIGNS`."""
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block[:10]
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}  # as facility_chain does
    st, cop = hourly_state(block, indirect_evap_hours, coo)
    q_design = _design_heat(design_kw, ele)
    P = case_matrix(
        [
            *shared_rows(fac, ele, design_kw, overclock),
            CP_AIR * st["dt_units"],
            st["d_s"],
            coo["trim_capacity"] * q_design,
            q_design / (CP_AIR * st["dt_units"]),
            coo["fan_units"] / (coo["fan_units"] + coo["fan_redundant_units"]),
            coo["fan_min_flow"],
            coo["secondary_flow_ratio"],
            1.0 + 1.0 / (coo["cycles_of_concentration"] - 1.0),
        ],
        m,
    )
    state = [*(st[k] for k in INDIRECT_EVAP_STATE[:8]), *_inv_cop(cop)]
    lo, hi = ENVELOPES[str(coo["envelope"])][:2]
    consts = np.array(
        [CP_AIR, T_INLET_REF, DT_CHIP_AIR, H_FG, lo, hi, *FAN_CURVES[str(coo["fan_control"])]], dtype=float
    )
    return run_kernel(indirect_evap_loop, P, state, (u, installed), consts, nt, grid, want_hourly)


def chilled_water_kernel(block: Block) -> dict[str, Any] | None:
    """Chilled water's entry of :data:`twin.engine.kernels.COMPILED_DESIGNS`: EIR chillers
    (:func:`chilled_water_loop`) or CoolProp cycle chillers (:func:`chilled_water_cycle_loop`)."""
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block[:10]
    eir = coo["chiller_model"] == "eir"
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}
    st = hourly_state(block, chilled_water_state, coo)
    q_design = _design_heat(design_kw, ele)
    plant = chilled_water_plant(coo, q_design, st["t_chw"])
    ch = plant["chiller"]
    lo, hi = ENVELOPES[str(coo["envelope"])][:2]
    t_in = np.asarray(st["t_in"])[..., :1]  # the inlet the CRAHs hold: one value per case
    rows = [
        *shared_rows(fac, ele, design_kw, overclock),
        q_design,
        CP_AIR * st["dt_units"],
        q_design / (CP_AIR * st["dt_units"]),
        coo["fan_units"] / (coo["fan_units"] + coo["fan_redundant_units"]),
        coo["fan_min_flow"],
        plant["p_chw_design"],
        coo["pump_min_flow"],
        1.0 + 1.0 / plant["cop_design"],
        plant["q_rej_design"],
        coo["chiller_count"],
        float(coo["pump_control"] == "constant"),
        coo["tower_range"],
        plant["lg_design"],
        np.minimum(plant["lg_design"] / coo["tower_min_air_flow"], 8.0),
        coo["economiser"],
        coo["economiser_approach"],
        np.clip(st["t_chw"], *ch.t_chw_range) if eir else st["t_chw"],
        st["t_chw_return"],
        coo["tower_min_water"],
        coo["t_cond_water_min"],
        coo["delta_t_chw"],
        plant["q_ref"] if eir else 0.0,
        plant["p_cw_cell"],
        plant["p_tower_design"],
        plant["basin_kw_per_k"],
        coo["basin_heater_setpoint"],
        coo["tower_latent_fraction"],
        1.0 + 1.0 / (coo["cycles_of_concentration"] - 1.0),
        (t_in > hi) | (t_in < lo),
    ]
    york = np.asarray(st["york_wb"])
    state = [st["t_in"], st["kw_per_kg"], wx["t_wb"], wx["t_db"], *york.reshape(9, *york.shape[2:])]
    head = [
        CP_AIR,
        T_INLET_REF,
        DT_CHIP_AIR,
        H_FG,
        *FAN_CURVES[str(coo["fan_control"])],
        *PUMP_CURVES[str(coo["pump_control"])],
    ]
    if not eir:
        rows += [
            st["t_chw"] - coo["evaporator_approach"],
            coo["condenser_approach"],
            coo["eta_isentropic"],
            coo["eta_motor"],
        ]
        consts = np.concatenate([np.asarray(head, dtype=float), cycle_table(str(coo["refrigerant"]), 1.0).flat])
        return run_kernel(
            chilled_water_cycle_loop, case_matrix(rows, m), state, (u, installed), consts, nt, grid, want_hourly
        )
    record = [
        *ch.capft,
        *ch.eirft,
        *ch.eirfplr,
        ch.plr_min,
        ch.plr_min_unload,
        ch.cop_ref,
        *ch.t_chw_range,
        *ch.t_cw_range,
    ]
    consts = np.asarray([*head, *record], dtype=float)
    return run_kernel(chilled_water_loop, case_matrix(rows, m), state, (u, installed), consts, nt, grid, want_hourly)
