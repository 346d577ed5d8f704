"""Fused compiled kernels: a block's per-case-hour physics and its annual sums in one pass.

Designs with a kernel (:data:`COMPILED_DESIGNS`): free air, chilled water (EIR chillers; the
CoolProp-cycle chillers run the reference) and indirect evaporative cooling.

The numpy functions stay the documented reference; each kernel here is a plain Python
function of scalar loops doing their arithmetic in the same order, compiled by numba
(:func:`twin.core.jit.compiled`, cached on disk). What depends only on the weather and the
cooling parameters (the hour's *state*: mode, supply temperature, per-kg figures, COP,
YorkCalc's wet-bulb terms) is still computed by the reference code, once per hour
(:func:`~twin.building.cooling.free_air.free_air_state`,
:func:`~twin.building.cooling.chilled_water.chilled_water_state`,
:func:`~twin.building.cooling.indirect_evap.indirect_evap_state`); the kernel does the rest for every case
and hour without intermediate arrays: IT power, the load part of the design, the electrical
chain and the sums :func:`twin.engine.metrics.annual_figures` needs, writing only the hourly
facility power (the green-power step's input).

Inputs are 2-D ``(case, time)`` and 1-D ``(case,)`` arrays, broadcast views (stride 0 where a
value is shared): a parameter that becomes per-case (or per-hour) needs no kernel change, and
a new per-case scalar is one more argument.

A kernel returns a status instead of raising: ``0`` done; ``1`` the trim cannot hold the
setpoint (the reference's fixed point on the supply temperature is needed); ``2`` a value
outside its physical bounds (the reference decides and names the parameters). The caller
then runs the reference for that block, so results and errors are the reference's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from twin.building.cooling import Design
from twin.building.cooling.air_management import from_columns
from twin.building.cooling.chilled_water import chilled_water_plant, chilled_water_state
from twin.building.cooling.components import CP_AIR, ENVELOPES, H_FG, vapour_compression_power
from twin.building.cooling.curves import FAN_CURVES, PUMP_CURVES
from twin.building.cooling.free_air import free_air_state
from twin.building.cooling.indirect_evap import indirect_evap_state
from twin.building.electrical import indoor_losses
from twin.building.facility import hall_air, installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import compiled, use_compiled
from twin.engine.metrics import FACILITY_SUMS

__all__ = [
    "COMPILED_DESIGNS",
    "SUMS",
    "chilled_water_loop",
    "facility_year",
    "free_air_loop",
    "indirect_evap_loop",
    "kernel_for",
]

SUMS = FACILITY_SUMS
"""Columns of a kernel's ``sums``: annual kWh (L for water, hours for ``out_of_envelope``) and,
for ``pue``, the highest hourly PUE."""

CHUNK = 128
"""Hours summed before a partial sum joins the year's (as numpy's pairwise sums keep rounding small)."""


def free_air_loop(
    # (case, time): utilisation, installed IT kW, then the free-air state per hour
    u,
    installed,
    t_supply,
    too_humid,
    trim_per_kg,
    closed_oa_per_kg,
    fan_kw,
    humid_kw,
    water_per_kg,
    out,
    cop,
    # (case,): IT parameters (twin.building.it_load.it_power)
    idle,
    fan_share,
    fan_speed_per_k,
    leakage_per_k,
    leakage_share,
    performance,
    overclock,
    # (case,): electrical chain (twin.building.electrical)
    design_kw,
    dist_loss,
    ups_redundancy,
    ups_c0,
    ups_c1,
    ups_c2,
    lighting_misc,
    tr_factor,
    tr_no_load,
    tr_load_loss,
    # (case,): free air's own (twin.building.cooling.free_air, components.fan_array_power) and the
    # hall's air management (twin.building.cooling.air_management: inlet = supply + approach)
    supply_approach,
    dt_units,
    trim_cap,
    m_design,
    fan_units,
    fan_redundant,
    fan_min_flow,
    curve,
    # physical constants, passed in (numba's disk cache would keep values frozen from other modules):
    # c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K
    consts,
    # outputs
    p_fac,
    sums,
):
    """Free air, no trim shortfall: :func:`~twin.building.cooling.free_air.simulate_free_air`'s
    load part, :func:`~twin.building.electrical.electrical_losses` and the annual sums, per case
    and hour. Writes ``p_fac`` (case, time) kW and ``sums`` (case, len(SUMS)); returns the status."""
    m, nt = p_fac.shape
    a0, a1, a2, a3 = curve[0], curve[1], curve[2], curve[3]
    cp_air, t_inlet_ref, dt_chip = consts[0], consts[1], consts[2]
    t_chip_ref = t_inlet_ref + dt_chip
    for i in range(m):
        rating = ups_redundancy[i] * design_kw[i]
        ups_x = (1.0 + dist_loss[i]) / rating
        p_misc = lighting_misc[i] * design_kw[i]
        rating_t = tr_factor[i] * design_kw[i]
        tr_k = tr_load_loss[i] / rating_t
        tr_0 = rating_t * tr_no_load[i]
        per_kg = 1.0 / (cp_air * dt_units[i])
        share = fan_units[i] / (fan_units[i] + fan_redundant[i])
        m_des = max(m_design[i], 1e-12)
        e_fac = e_it = e_cool = e_ups = e_dist = e_tr = e_comp = e_water = 0.0
        n_out = 0.0
        pue_max = -math.inf
        for t0 in range(0, nt, CHUNK):  # sums per chunk of hours, then of chunks (rounding as numpy's)
            f_fac = f_it = f_cool = f_ups = f_dist = f_tr = f_comp = f_water = 0.0
            for t in range(t0, min(t0 + CHUNK, nt)):
                # IT power at the server inlet (it_power; chip = inlet + dt_chip)
                t_in = t_supply[i, t] + supply_approach[i]
                load = (idle[i] + (1.0 - idle[i]) * u[i, t]) / performance[i]
                p_core = installed[i, t] * (1.0 - fan_share[i]) * load * overclock[i]
                p_leak = p_core * max(leakage_per_k[i] * (t_in + dt_chip - t_chip_ref), -leakage_share[i])
                speed = 1.0 + fan_speed_per_k[i] * max(t_in - t_inlet_ref, 0.0)
                p_sfan = installed[i, t] * fan_share[i] * load * speed**3
                p_it = p_core + p_leak + p_sfan
                # indoor losses (indoor_losses): distribution, UPS R (c0 + c1 x + c2 x²)
                p_dist = p_it * dist_loss[i]
                x = p_it * ups_x
                p_ups = (x * (rating * ups_c2[i]) + rating * ups_c1[i]) * x + rating * ups_c0[i]
                q = p_it + (p_dist + p_ups + p_misc)
                # free air's load: air mass flow, mechanical cooling asked for, capacity
                m_air = q * per_kg
                q_mech = m_air * (trim_per_kg[i, t] + closed_oa_per_kg[i, t])
                if too_humid[i, t]:
                    q_mech += q
                if q_mech - trim_cap[i] > 0.0:
                    return 1
                p_mech = max(q_mech, 0.0) / cop[i, t]
                if q_mech > 0.0 and not cop[i, t] < math.inf:
                    return 2  # no COP where the compressor runs: the reference decides
                xf = max(m_air / m_des * share, fan_min_flow[i])
                p_fans = m_design[i] * fan_kw[i, t] / share * (((a3 * xf + a2) * xf + a1) * xf + a0)
                p_hum = m_air * humid_kw[i, t]
                water = m_air * water_per_kg[i, t]
                p_cool = p_fans + p_mech + p_hum
                # electrical_losses: the transformer carries everything, R_t (n0 + n_l (P/R_t)²)
                through = p_it + p_dist + p_ups + p_cool + p_misc
                p_tr = through * through * tr_k + tr_0
                p_f = p_it + p_cool + p_ups + p_dist + p_tr + p_misc
                pue = p_f / p_it
                ok = p_it > 0.0 and p_fans >= 0.0 and p_mech >= 0.0 and p_hum >= 0.0 and water >= 0.0
                ok = ok and p_ups >= 0.0 and p_dist >= 0.0 and p_tr >= 0.0 and p_misc >= 0.0
                if not (ok and pue >= 1.0 - 1e-12 and p_f < math.inf and water < math.inf):
                    return 2
                p_fac[i, t] = p_f
                f_fac += p_f
                f_it += p_it
                f_cool += p_cool
                f_ups += p_ups
                f_dist += p_dist
                f_tr += p_tr
                f_comp += installed[i, t] * u[i, t]
                f_water += water
                if out[i, t]:
                    n_out += 1.0
                pue_max = max(pue_max, pue)
            e_fac += f_fac
            e_it += f_it
            e_cool += f_cool
            e_ups += f_ups
            e_dist += f_dist
            e_tr += f_tr
            e_comp += f_comp
            e_water += f_water
        sums[i, 0] = e_fac
        sums[i, 1] = e_it
        sums[i, 2] = e_cool
        sums[i, 3] = e_ups
        sums[i, 4] = e_dist
        sums[i, 5] = e_tr
        sums[i, 6] = p_misc * nt
        sums[i, 7] = e_comp
        sums[i, 8] = e_water
        sums[i, 9] = n_out
        sums[i, 10] = pue_max
    return 0


def indirect_evap_loop(
    # (case, time): utilisation, installed IT kW, server inlet °C, then the indirect-evaporative state
    u,
    installed,
    t_in,
    t_set,
    t_ret,
    t_after,
    dry,
    secondary_ratio,
    kw_primary,
    kw_secondary,
    cop,
    # (case,): IT parameters (twin.building.it_load.it_power)
    idle,
    fan_share,
    fan_speed_per_k,
    leakage_per_k,
    leakage_share,
    performance,
    overclock,
    # (case,): electrical chain (twin.building.electrical)
    design_kw,
    dist_loss,
    ups_redundancy,
    ups_c0,
    ups_c1,
    ups_c2,
    lighting_misc,
    tr_factor,
    tr_no_load,
    tr_load_loss,
    # (case,): the design's own (twin.building.cooling.indirect_evap)
    supply_approach,
    dt_units,
    trim_cap,
    m_design,
    secondary_flow,
    cycles,
    fan_units,
    fan_redundant,
    fan_min_flow,
    curve,
    # c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K, h_fg kJ/kg,
    # the envelope's lowest and highest inlet °C
    consts,
    p_fac,
    sums,
):
    """Indirect evaporative cooling: :func:`~twin.building.cooling.indirect_evap.simulate_indirect_evap`'s
    load part, the electrical chain and the annual sums, per case and hour (as :func:`free_air_loop`)."""
    m, nt = p_fac.shape
    a0, a1, a2, a3 = curve[0], curve[1], curve[2], curve[3]
    cp_air, t_inlet_ref, dt_chip, h_fg, env_lo, env_hi = (
        consts[0],
        consts[1],
        consts[2],
        consts[3],
        consts[4],
        consts[5],
    )
    t_chip_ref = t_inlet_ref + dt_chip
    for i in range(m):
        rating = ups_redundancy[i] * design_kw[i]
        ups_x = (1.0 + dist_loss[i]) / rating
        p_misc = lighting_misc[i] * design_kw[i]
        rating_t = tr_factor[i] * design_kw[i]
        tr_k = tr_load_loss[i] / rating_t
        tr_0 = rating_t * tr_no_load[i]
        share = fan_units[i] / (fan_units[i] + fan_redundant[i])
        m_des = max(m_design[i], 1e-12)
        m_des_s = m_design[i] * secondary_flow[i]
        m_des_s_min = max(m_des_s, 1e-12)
        per_kg = cp_air * dt_units[i]
        water_factor = 1.0 + 1.0 / (cycles[i] - 1.0)
        e_fac = e_it = e_cool = e_ups = e_dist = e_tr = e_comp = e_water = 0.0
        n_out = 0.0
        pue_max = -math.inf
        for t0 in range(0, nt, CHUNK):
            f_fac = f_it = f_cool = f_ups = f_dist = f_tr = f_comp = f_water = 0.0
            for t in range(t0, min(t0 + CHUNK, nt)):
                ti = t_in[i, t]
                load = (idle[i] + (1.0 - idle[i]) * u[i, t]) / performance[i]
                p_core = installed[i, t] * (1.0 - fan_share[i]) * load * overclock[i]
                p_leak = p_core * max(leakage_per_k[i] * (ti + dt_chip - t_chip_ref), -leakage_share[i])
                speed = 1.0 + fan_speed_per_k[i] * max(ti - t_inlet_ref, 0.0)
                p_sfan = installed[i, t] * fan_share[i] * load * speed**3
                p_it = p_core + p_leak + p_sfan
                p_dist = p_it * dist_loss[i]
                x = p_it * ups_x
                p_ups = (x * (rating * ups_c2[i]) + rating * ups_c1[i]) * x + rating * ups_c0[i]
                q = p_it + (p_dist + p_ups + p_misc)
                # the design's load part
                m_air = q / per_kg
                q_want = m_air * cp_air * (t_after[i, t] - t_set[i, t])
                q_trim = min(q_want, trim_cap[i])
                t_sup = t_set[i, t] + (q_want - q_trim) / max(m_air * cp_air, 1e-12)
                p_mech = max(q_trim, 0.0) / cop[i, t]
                if q_trim > 0.0 and not cop[i, t] < math.inf:
                    return 2
                xf = max(m_air / m_des * share, fan_min_flow[i])
                p_pri = m_design[i] * kw_primary[i, t] / share * (((a3 * xf + a2) * xf + a1) * xf + a0)
                xs = max(m_air * secondary_flow[i] * secondary_ratio[i, t] / m_des_s_min * share, fan_min_flow[i])
                p_sec = m_des_s * kw_secondary[i, t] / share * (((a3 * xs + a2) * xs + a1) * xs + a0)
                water = 0.0
                if not dry[i, t]:
                    water = m_air * cp_air * (t_ret[i, t] - t_after[i, t]) / h_fg * 3600.0 * water_factor
                p_cool = p_pri + p_mech + p_sec
                through = p_it + p_dist + p_ups + p_cool + p_misc
                p_tr = through * through * tr_k + tr_0
                p_f = p_it + p_cool + p_ups + p_dist + p_tr + p_misc
                pue = p_f / p_it
                ok = p_it > 0.0 and p_pri >= 0.0 and p_mech >= 0.0 and p_sec >= 0.0 and water >= 0.0
                ok = ok and p_ups >= 0.0 and p_dist >= 0.0 and p_tr >= 0.0 and p_misc >= 0.0
                if not (ok and pue >= 1.0 - 1e-12 and p_f < math.inf and water < math.inf):
                    return 2
                p_fac[i, t] = p_f
                f_fac += p_f
                f_it += p_it
                f_cool += p_cool
                f_ups += p_ups
                f_dist += p_dist
                f_tr += p_tr
                f_comp += installed[i, t] * u[i, t]
                f_water += water
                if t_sup + supply_approach[i] > env_hi + 1e-6 or t_sup + supply_approach[i] < env_lo - 1e-6:
                    n_out += 1.0
                pue_max = max(pue_max, pue)
            e_fac += f_fac
            e_it += f_it
            e_cool += f_cool
            e_ups += f_ups
            e_dist += f_dist
            e_tr += f_tr
            e_comp += f_comp
            e_water += f_water
        sums[i, 0] = e_fac
        sums[i, 1] = e_it
        sums[i, 2] = e_cool
        sums[i, 3] = e_ups
        sums[i, 4] = e_dist
        sums[i, 5] = e_tr
        sums[i, 6] = p_misc * nt
        sums[i, 7] = e_comp
        sums[i, 8] = e_water
        sums[i, 9] = n_out
        sums[i, 10] = pue_max
    return 0


def chilled_water_loop(
    # (case, time): utilisation, installed IT kW, server inlet °C, then the chilled-water state:
    # CRAH fan kW per kg/s, outdoor wet and dry bulb °C
    u,
    installed,
    t_in,
    kw_per_kg,
    t_wb,
    t_db,
    # (9, case, time): YorkCalc's wet-bulb terms (twin.building.cooling.curves.york_wet_bulb_terms)
    york,
    # (case,): IT parameters (twin.building.it_load.it_power)
    idle,
    fan_share,
    fan_speed_per_k,
    leakage_per_k,
    leakage_share,
    performance,
    overclock,
    # (case,): electrical chain (twin.building.electrical)
    design_kw,
    dist_loss,
    ups_redundancy,
    ups_c0,
    ups_c1,
    ups_c2,
    lighting_misc,
    tr_factor,
    tr_no_load,
    tr_load_loss,
    # (len(CHILLED_WATER_PARAMS), case): the plant (twin.building.cooling.chilled_water)
    par,
    fan_curve,
    pump_curve,
    # the chiller's EIR record (CHILLER_RECORD)
    chiller,
    # c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K, h_fg kJ/kg
    consts,
    p_fac,
    sums,
):
    """Chilled water with EIR chillers: :func:`~twin.building.cooling.chilled_water.simulate_chilled_water`'s
    load part (CRAH fans, pumps, tower cells staged with the heat and their YorkCalc fan speed,
    economiser, staged chillers, basin heaters, tower water), the electrical chain and the
    annual sums, per case and hour (as :func:`free_air_loop`)."""
    m, nt = p_fac.shape
    f0, f1, f2, f3 = fan_curve[0], fan_curve[1], fan_curve[2], fan_curve[3]
    g0, g1, g2, g3 = pump_curve[0], pump_curve[1], pump_curve[2], pump_curve[3]
    cap0, cap1, cap2, cap3, cap4, cap5 = chiller[0], chiller[1], chiller[2], chiller[3], chiller[4], chiller[5]
    eir0, eir1, eir2, eir3, eir4, eir5 = chiller[6], chiller[7], chiller[8], chiller[9], chiller[10], chiller[11]
    plr0, plr1, plr2 = chiller[12], chiller[13], chiller[14]
    plr_min, plr_unload, cop_ref = chiller[15], chiller[16], chiller[17]
    chw_lo, chw_hi, cw_lo, cw_hi = chiller[18], chiller[19], chiller[20], chiller[21]
    cp_air, t_inlet_ref, dt_chip, h_fg = consts[0], consts[1], consts[2], consts[3]
    t_chip_ref = t_inlet_ref + dt_chip
    for i in range(m):
        rating = ups_redundancy[i] * design_kw[i]
        ups_x = (1.0 + dist_loss[i]) / rating
        p_misc = lighting_misc[i] * design_kw[i]
        rating_t = tr_factor[i] * design_kw[i]
        tr_k = tr_load_loss[i] / rating_t
        tr_0 = rating_t * tr_no_load[i]
        (q_design, dt_units, m_design, fan_units, fan_redundant, fan_min_flow, p_chw_design, pump_min_flow) = (
            par[0, i],
            par[1, i],
            par[2, i],
            par[3, i],
            par[4, i],
            par[5, i],
            par[6, i],
            par[7, i],
        )
        (cop_design, q_rej_design, n_ch, constant, t_range_d, lg_d, econ, econ_app) = (
            par[8, i],
            par[9, i],
            par[10, i],
            par[11, i],
            par[12, i],
            par[13, i],
            par[14, i],
            par[15, i],
        )
        (t_chw, t_chw_ret, t_min_water, t_cw_min, min_air, dt_chw, q_ref, p_cw_cell) = (
            par[16, i],
            par[17, i],
            par[18, i],
            par[19, i],
            par[20, i],
            par[21, i],
            par[22, i],
            par[23, i],
        )
        (p_tower_d, basin_k, basin_set, latent, cycles, out_env) = (
            par[24, i],
            par[25, i],
            par[26, i],
            par[27, i],
            par[28, i],
            par[29, i],
        )
        share = fan_units / (fan_units + fan_redundant)
        m_des = max(m_design, 1e-12)
        per_kg = cp_air * dt_units
        rej_factor = 1.0 + 1.0 / cop_design
        water_factor = 1.0 + 1.0 / (cycles - 1.0)
        g = min(lg_d, 8.0)
        hi = min(lg_d / min_air, 8.0)
        x_chw = min(max(t_chw, chw_lo), chw_hi)
        e_fac = e_it = e_cool = e_ups = e_dist = e_tr = e_comp = e_water = 0.0
        n_out = 0.0
        pue_max = -math.inf
        for t0 in range(0, nt, CHUNK):
            f_fac = f_it = f_cool = f_ups = f_dist = f_tr = f_comp = f_water = 0.0
            for t in range(t0, min(t0 + CHUNK, nt)):
                ti = t_in[i, t]
                load = (idle[i] + (1.0 - idle[i]) * u[i, t]) / performance[i]
                p_core = installed[i, t] * (1.0 - fan_share[i]) * load * overclock[i]
                p_leak = p_core * max(leakage_per_k[i] * (ti + dt_chip - t_chip_ref), -leakage_share[i])
                speed = 1.0 + fan_speed_per_k[i] * max(ti - t_inlet_ref, 0.0)
                p_sfan = installed[i, t] * fan_share[i] * load * speed**3
                p_it = p_core + p_leak + p_sfan
                p_dist = p_it * dist_loss[i]
                x = p_it * ups_x
                p_ups = (x * (rating * ups_c2[i]) + rating * ups_c1[i]) * x + rating * ups_c0[i]
                q = p_it + (p_dist + p_ups + p_misc)
                # CRAH fans and chilled-water pumps
                part = q / q_design
                m_air = q / per_kg
                xf = max(m_air / m_des * share, fan_min_flow)
                p_crah = m_design * kw_per_kg[i, t] / share * (((f3 * xf + f2) * xf + f1) * xf + f0)
                xp = max(part, pump_min_flow)
                p_chw = p_chw_design * (((g3 * xp + g2) * xp + g1) * xp + g0)
                # tower cells staged with the heat; YorkCalc at this range
                rej = min(part * rej_factor * q_design / q_rej_design, 1.0)
                cells = 1.0 if constant else max(np.ceil(rej * n_ch - 1e-9), 1.0) / n_ch
                r = min(max(t_range_d * rej / cells, 1.1), 22.2)
                wb = t_wb[i, t]
                c0 = york[0, i, t] + r * (york[1, i, t] + r * york[2, i, t])
                c1 = york[3, i, t] + r * (york[4, i, t] + r * york[5, i, t])
                c2 = york[6, i, t] + r * (york[7, i, t] + r * york[8, i, t])
                app_full = c0 + g * (c1 + g * c2)
                target = t_cw_min
                if econ and wb + app_full + econ_app < t_chw_ret:
                    target = t_min_water
                wanted = target - wb
                disc = c1 * c1 - 4.0 * c2 * (c0 - wanted)
                sq = math.sqrt(disc) if disc >= 0.0 else math.nan
                root = (-c1 + sq) / (2.0 * c2)
                if not (root >= lg_d and root <= hi):
                    root = (-c1 - sq) / (2.0 * c2)
                if wanted <= c0 + lg_d * (c1 + lg_d * c2):
                    lg = lg_d
                elif wanted >= c0 + hi * (c1 + hi * c2):
                    lg = hi
                else:
                    lg = min(max(lg_d if math.isnan(root) else root, lg_d), hi)
                air_ratio = lg_d / lg
                gl = min(lg, 8.0)
                t_tower = max(wb + (c0 + gl * (c1 + gl * c2)), target)
                frac = 0.0
                if econ:
                    frac = min(max((t_chw_ret - (t_tower + econ_app)) / dt_chw, 0.0), 1.0)
                # chillers: EIR record, staged on
                q_ch = max(q * (1.0 - frac), 0.0)
                y = min(max(max(t_tower, t_cw_min), cw_lo), cw_hi)
                q_avail = q_ref * (cap0 + x_chw * (cap1 + cap2 * x_chw) + y * (cap3 + cap4 * y) + cap5 * x_chw * y)
                running = min(max(np.ceil(q_ch / q_avail - 1e-9), 0.0), n_ch)
                short = q_ch > n_ch * q_avail * (1.0 + 1e-9)
                plr = min(q_ch / max(running * q_avail, 1e-12), 1.0) if running > 0 else 0.0
                pl = max(plr, plr_unload)
                eir = (eir0 + x_chw * (eir1 + eir2 * x_chw) + y * (eir3 + eir4 * y) + eir5 * x_chw * y) * (
                    (plr2 * pl + plr1) * pl + plr0
                )
                p_comp = running * q_avail * eir / cop_ref * min(plr / plr_min, 1.0)
                p_pumps = p_chw + cells * p_cw_cell
                p_hr = p_tower_d * cells * air_ratio**3 + basin_k * (1.0 - cells) * max(basin_set - t_db[i, t], 0.0)
                water = latent * (q + p_comp) / h_fg * 3600.0 * water_factor
                p_cool = p_crah + p_pumps + p_comp + p_hr
                through = p_it + p_dist + p_ups + p_cool + p_misc
                p_tr = through * through * tr_k + tr_0
                p_f = p_it + p_cool + p_ups + p_dist + p_tr + p_misc
                pue = p_f / p_it
                ok = p_it > 0.0 and p_crah >= 0.0 and p_pumps >= 0.0 and p_comp >= 0.0 and p_hr >= 0.0
                ok = ok and water >= 0.0 and p_ups >= 0.0 and p_dist >= 0.0 and p_tr >= 0.0 and p_misc >= 0.0
                if not (ok and pue >= 1.0 - 1e-12 and p_f < math.inf and water < math.inf):
                    return 2
                p_fac[i, t] = p_f
                f_fac += p_f
                f_it += p_it
                f_cool += p_cool
                f_ups += p_ups
                f_dist += p_dist
                f_tr += p_tr
                f_comp += installed[i, t] * u[i, t]
                f_water += water
                if out_env or short:
                    n_out += 1.0
                pue_max = max(pue_max, pue)
            e_fac += f_fac
            e_it += f_it
            e_cool += f_cool
            e_ups += f_ups
            e_dist += f_dist
            e_tr += f_tr
            e_comp += f_comp
            e_water += f_water
        sums[i, 0] = e_fac
        sums[i, 1] = e_it
        sums[i, 2] = e_cool
        sums[i, 3] = e_ups
        sums[i, 4] = e_dist
        sums[i, 5] = e_tr
        sums[i, 6] = p_misc * nt
        sums[i, 7] = e_comp
        sums[i, 8] = e_water
        sums[i, 9] = n_out
        sums[i, 10] = pue_max
    return 0


def _hourly(a: Any, m: int, nt: int, dtype: type = float) -> np.ndarray:
    """``a`` as a (case, time) view (stride 0 along what it shares)."""
    return np.broadcast_to(np.asarray(a, dtype=dtype), (m, nt))


def _case(a: Any, m: int) -> np.ndarray:
    """A (case, 1) column (or a value shared by the block) as a (case,) view."""
    return np.broadcast_to(np.asarray(a, dtype=float), (m, 1))[:, 0]


def _chain(design: Design, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int, nt: int) -> tuple:
    """What every kernel takes before its design's own arguments, and the design heat.

    Returns the (case, time) utilisation and installed IT, the (case,) IT and electrical
    parameters in the kernels' order, and the design heat (kW: design IT plus its indoor
    losses, as :func:`~twin.building.facility.facility_chain` sizes the plant).
    """
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    indoor = indoor_losses(design_kw, design_kw, ele)
    q_design = design_kw + (indoor["p_dist_loss"] + indoor["p_ups_loss"] + indoor["p_misc"])
    it = (
        *(_case(fac[k], m) for k in ("idle_fraction", "fan_share", "fan_speed_per_k", "leakage_per_k")),
        _case(fac["leakage_share"], m),
        _case(fac["performance_factor"], m),
        _case(overclock, m),
    )
    electrical = (
        _case(design_kw, m),
        *(_case(ele[k], m) for k in ("distribution_loss", "ups_redundancy", "ups_loss_no_load", "ups_loss_linear")),
        _case(ele["ups_loss_square"], m),
        *(_case(ele[k], m) for k in ("lighting_misc", "transformer_rating_factor", "transformer_no_load")),
        _case(ele["transformer_load_loss"], m),
    )
    return (_hourly(u, m, nt), _hourly(installed, m, nt)), (*it, *electrical), q_design


def _result(status: int, p_fac: np.ndarray, sums: np.ndarray) -> dict[str, np.ndarray] | None:
    if status != 0:
        return None
    return {"p_facility": p_fac, **{f"sum_{k}": sums[:, j] for j, k in enumerate(SUMS)}}


def _free_air(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    nt = int(np.shape(wx["t_db"])[-1])
    load, chain, q_design = _chain(design, fac, ele, coo, design_kw, u, m, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}  # as facility_chain does
    d_s, dt_units, _ = from_columns(coo)
    st = free_air_state(wx, coo)
    # COP in the hours any case may run the compressor (too humid, or trim after evaporation)
    may_run = (st["too_humid"] | (st["trim_per_kg"] > 0.0)).astype(float)
    t_evap = st["t_supply"] - coo["evaporator_approach"]
    t_cond = wx["t_db"] + coo["condenser_approach"]
    _, cop = vapour_compression_power(
        may_run, t_evap, t_cond, coo["refrigerant"], coo["eta_isentropic"], coo["eta_motor"]
    )

    def hourly(a: Any, dtype: type = float) -> np.ndarray:
        return _hourly(a, m, nt, dtype)

    def case(a: Any) -> np.ndarray:
        return _case(a, m)

    p_fac = np.empty((m, nt))
    sums = np.empty((m, len(SUMS)))
    status = compiled(free_air_loop)(
        *load,
        hourly(st["t_supply"]),
        hourly(st["too_humid"], bool),
        hourly(st["trim_per_kg"]),
        hourly(st["closed_oa_per_kg"]),
        hourly(st["fan_kw"]),
        hourly(st["humid_kw"]),
        hourly(st["water"]),
        hourly(st["out_of_envelope"], bool),
        hourly(cop),
        *chain,
        case(d_s),
        case(dt_units),
        case(coo["trim_capacity"] * q_design),
        case(q_design / (CP_AIR * dt_units)),
        *(case(coo[k]) for k in ("fan_units", "fan_redundant_units", "fan_min_flow")),
        np.asarray(FAN_CURVES[str(coo["fan_control"])], dtype=float),
        np.array([CP_AIR, T_INLET_REF, DT_CHIP_AIR]),
        p_fac,
        sums,
    )
    return _result(status, p_fac, sums)


def _indirect_evap(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    nt = int(np.shape(wx["t_db"])[-1])
    load, chain, q_design = _chain(design, fac, ele, coo, design_kw, u, m, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}
    st = indirect_evap_state(wx, coo)
    may_run = (st["t_after"] > st["t_set"]).astype(float)  # the hours any case may run the DX trim
    _, cop = vapour_compression_power(
        may_run, st["t_evap"], st["t_cond"], str(coo["refrigerant"]), coo["eta_isentropic"], coo["eta_motor"]
    )
    lo, hi = ENVELOPES[str(coo["envelope"])][:2]
    p_fac = np.empty((m, nt))
    sums = np.empty((m, len(SUMS)))
    status = compiled(indirect_evap_loop)(
        *load,
        *(_hourly(st[k], m, nt) for k in ("t_in", "t_set", "t_ret", "t_after")),
        _hourly(st["dry"], m, nt, bool),
        *(_hourly(st[k], m, nt) for k in ("secondary_ratio", "kw_primary", "kw_secondary")),
        _hourly(cop, m, nt),
        *chain,
        _case(st["d_s"], m),
        _case(st["dt_units"], m),
        _case(coo["trim_capacity"] * q_design, m),
        _case(q_design / (CP_AIR * st["dt_units"]), m),
        _case(coo["secondary_flow_ratio"], m),
        _case(coo["cycles_of_concentration"], m),
        *(_case(coo[k], m) for k in ("fan_units", "fan_redundant_units", "fan_min_flow")),
        np.asarray(FAN_CURVES[str(coo["fan_control"])], dtype=float),
        np.array([CP_AIR, T_INLET_REF, DT_CHIP_AIR, H_FG, lo, hi]),
        p_fac,
        sums,
    )
    return _result(status, p_fac, sums)


def _chilled_water(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    if coo["chiller_model"] != "eir":
        return None  # the CoolProp cycle's COP varies with the load's condenser water: the reference
    nt = int(np.shape(wx["t_db"])[-1])
    load, chain, q_design = _chain(design, fac, ele, coo, design_kw, u, m, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}
    st = chilled_water_state(wx, coo)
    plant = chilled_water_plant(coo, q_design, st["t_chw"])
    ch = plant["chiller"]
    lo, hi = ENVELOPES[str(coo["envelope"])][:2]
    par = np.stack(
        [
            _case(a, m)
            for a in (
                q_design,
                st["dt_units"],
                q_design / (CP_AIR * st["dt_units"]),
                coo["fan_units"],
                coo["fan_redundant_units"],
                coo["fan_min_flow"],
                plant["p_chw_design"],
                coo["pump_min_flow"],
                plant["cop_design"],
                plant["q_rej_design"],
                coo["chiller_count"],
                float(coo["pump_control"] == "constant"),
                coo["tower_range"],
                plant["lg_design"],
                coo["economiser"],
                coo["economiser_approach"],
                st["t_chw"],
                st["t_chw_return"],
                coo["tower_min_water"],
                coo["t_cond_water_min"],
                coo["tower_min_air_flow"],
                coo["delta_t_chw"],
                plant["q_ref"],
                plant["p_cw_cell"],
                plant["p_tower_design"],
                plant["basin_kw_per_k"],
                coo["basin_heater_setpoint"],
                coo["tower_latent_fraction"],
                coo["cycles_of_concentration"],
                (st["t_in"][..., :1] > hi) | (st["t_in"][..., :1] < lo),
            )
        ]
    )
    york = np.broadcast_to(np.reshape(st["york_wb"], (9, *np.shape(st["york_wb"])[2:])), (9, m, nt))
    p_fac = np.empty((m, nt))
    sums = np.empty((m, len(SUMS)))
    status = compiled(chilled_water_loop)(
        *load,
        _hourly(st["t_in"], m, nt),
        _hourly(st["kw_per_kg"], m, nt),
        _hourly(wx["t_wb"], m, nt),
        _hourly(wx["t_db"], m, nt),
        york,
        *chain,
        par,
        np.asarray(FAN_CURVES[str(coo["fan_control"])], dtype=float),
        np.asarray(PUMP_CURVES[str(coo["pump_control"])], dtype=float),
        np.array(
            [
                *ch.capft,
                *ch.eirft,
                *ch.eirfplr,
                ch.plr_min,
                ch.plr_min_unload,
                ch.cop_ref,
                *ch.t_chw_range,
                *ch.t_cw_range,
            ]
        ),
        np.array([CP_AIR, T_INLET_REF, DT_CHIP_AIR, H_FG]),
        p_fac,
        sums,
    )
    return _result(status, p_fac, sums)


COMPILED_DESIGNS = {"free_air": _free_air, "chilled_water": _chilled_water, "indirect_evap": _indirect_evap}
"""Designs with a fused kernel: ``{name: fn(design, wx, fac, ele, coo, design_kw, u, m)}``."""


def facility_year(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    """A block's hourly facility power and annual sums by the design's fused kernel.

    Same arguments as :func:`twin.building.facility.facility_chain` and the block's case count
    ``m``. Returns ``p_facility`` (case, time) and ``sum_<name>`` (case,) for each of
    :data:`SUMS`; None when the design has no kernel or the block needs the reference (trim
    shortfall, a value out of bounds).
    """
    fn = COMPILED_DESIGNS.get(design.name)
    return None if fn is None else fn(design, wx, fac, ele, coo, design_kw, u, m)


def kernel_for(case_years: float) -> str:
    """``"numba"`` or ``"reference"``: what ``kernel="auto"`` picks for a whole study of
    ``case_years`` (:func:`twin.core.jit.use_compiled`), for each of its blocks to run with
    whatever the block's size and whichever process runs it."""
    return "numba" if use_compiled("auto", case_years) else "reference"
