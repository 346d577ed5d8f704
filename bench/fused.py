"""The fused reference loop of ``make bench``: a free-air utilisation sweep as one plain numba loop.

What the twin's free-air sweep computes per case and hour (IT power, indoor losses, airflow,
trim, fans, humidifier, water, transformer, facility power) and its annual sums, written as
the fastest simple loop: hours outside, cases inside (contiguous, so the compiler can use
vector instructions), every per-hour value loaded once, no hourly arrays, no orchestration.
The hourly state (mode, supply temperature, per-kg figures, COP) is the twin's own
(:func:`twin.building.cooling.free_air.free_air_state`, with the hall's air management:
supply approach, air rise across the units, rack pressure drop), computed once per cooling
parameter set inside the timed region, as the twin does. Default facility and electrical parameters,
flat utilisation; :func:`check` holds its KPIs equal to the twin's to 1e-12.
"""

from __future__ import annotations

import numpy as np

CP_AIR = 1.006


def _loop(u, t_sup, humid, trim, closed, fan_kw, hum_kw, water_kg, out, cop, sc, curve, sums):
    """Hours outside, cases inside; ``sc`` holds the scalar parameters (see :func:`sweep`)."""
    m = u.size
    nt = t_sup.size
    (idle, fan_share, fan_k, leak_k, leak_share, design, dist, red, c0, c1, c2, misc, trf, n0, nl) = sc[:15]
    dt_units, cap, m_design, share, min_flow, d_s = sc[15:21]
    rating = red * design
    ups_x = (1.0 + dist) / rating
    p_misc = misc * design
    rating_t = trf * design
    tr_k = nl / rating_t
    tr_0 = rating_t * n0
    per_kg = 1.0 / (CP_AIR * dt_units)
    m_des = max(m_design, 1e-12)
    a0, a1, a2, a3 = curve[0], curve[1], curve[2], curve[3]
    bad = 0
    for t in range(nt):
        t_in = t_sup[t] + d_s
        leak = max(leak_k * (t_in + 40.0 - 67.0), -leak_share)
        speed = 1.0 + fan_k * max(t_in - 27.0, 0.0)
        s3 = speed**3
        k_mech = trim[t] + closed[t]
        th = 1.0 if humid[t] else 0.0
        inv_cop = 1.0 / cop[t] if cop[t] < np.inf else 0.0
        fkw = m_design * fan_kw[t] / share
        o = 1.0 if out[t] else 0.0
        for i in range(m):
            load = idle + (1.0 - idle) * u[i]
            p_core = design * (1.0 - fan_share) * load
            p_it = p_core + p_core * leak + design * fan_share * load * s3
            p_dist = p_it * dist
            x = p_it * ups_x
            p_ups = (x * (rating * c2) + rating * c1) * x + rating * c0
            q = p_it + (p_dist + p_ups + p_misc)
            m_air = q * per_kg
            q_mech = m_air * k_mech + q * th
            bad |= q_mech > cap
            xf = max(m_air / m_des * share, min_flow)
            p_cool = fkw * (((a3 * xf + a2) * xf + a1) * xf + a0) + max(q_mech, 0.0) * inv_cop + m_air * hum_kw[t]
            through = p_it + p_dist + p_ups + p_cool + p_misc
            p_f = p_it + p_cool + p_ups + p_dist + (through * through * tr_k + tr_0) + p_misc
            sums[0, i] += p_f
            sums[1, i] += p_it
            sums[2, i] += p_cool
            sums[3, i] += m_air * water_kg[t]
            sums[4, i] += o
            sums[5, i] = max(sums[5, i], p_f / p_it)
    return bad


_JIT = {}


def _compiled():
    if "loop" not in _JIT:
        import numba

        _JIT["loop"] = numba.njit(cache=True, error_model="numpy")(_loop)
    return _JIT["loop"]


def prepare(wx_all: dict, site: str):
    """Weather arrays of one site as the twin's state function reads them, (1, time)."""
    ds = wx_all[site][0]
    return {k: ds[k].to_numpy()[None, :] for k in ("t_db", "t_wb", "w", "p_air", "x_sat")}


def sweep(wx: dict, utilisation: np.ndarray, effectiveness: np.ndarray) -> dict[str, np.ndarray]:
    """KPIs of the (effectiveness × utilisation) free-air sweep, default parameters otherwise.

    Returns (len(effectiveness) × len(utilisation),) arrays: ``pue``, ``energy_facility`` (MWh),
    ``wue`` (L/kWh), ``hours_out_of_envelope``, ``pue_max_hourly``.
    """
    from twin.building.cooling.air_management import from_columns
    from twin.building.cooling.components import vapour_compression_power
    from twin.building.cooling.curves import FAN_CURVES
    from twin.building.cooling.free_air import FreeAirParams, free_air_state
    from twin.building.electrical import ElectricalParams
    from twin.building.facility import hall_air, stack_columns
    from twin.building.it_load import ITParams

    f, e = ITParams(), ElectricalParams()
    loop = _compiled()
    nt = wx["t_db"].shape[-1]

    def row(a, dtype=float):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=dtype), (1, nt))[0])

    out = []
    u = np.ascontiguousarray(utilisation, dtype=float)
    for eff in effectiveness:
        p = FreeAirParams(evap_effectiveness=float(eff))
        col = stack_columns([p])
        col = {**col, **hall_air("free_air", stack_columns([f]), col, wx["p_air"])}  # the hall's air management
        d_s, dt_units, _ = (float(np.asarray(v).ravel()[0]) for v in from_columns(col))
        st = free_air_state(wx, col)
        design = f.design_kw
        rating = e.ups_redundancy * design
        x = design * ((1.0 + e.distribution_loss) / rating)
        ups = (x * (rating * e.ups_loss_square) + rating * e.ups_loss_linear) * x + rating * e.ups_loss_no_load
        q_design = design + (design * e.distribution_loss + ups + e.lighting_misc * design)
        may_run = (st["too_humid"] | (st["trim_per_kg"] > 0.0)).astype(float)
        _, cop = vapour_compression_power(
            may_run,
            st["t_supply"] - p.evaporator_approach,
            wx["t_db"] + p.condenser_approach,
            p.refrigerant,
            p.eta_isentropic,
            p.eta_motor,
        )

        sc = np.array(
            [
                f.idle_fraction,
                f.fan_share,
                f.fan_speed_per_k,
                f.leakage_per_k,
                f.leakage_share,
                design,
                e.distribution_loss,
                e.ups_redundancy,
                e.ups_loss_no_load,
                e.ups_loss_linear,
                e.ups_loss_square,
                e.lighting_misc,
                e.transformer_rating_factor,
                e.transformer_no_load,
                e.transformer_load_loss,
                dt_units,
                p.trim_capacity * q_design,
                q_design / (CP_AIR * dt_units),
                p.fan_units / (p.fan_units + p.fan_redundant_units),
                p.fan_min_flow,
                d_s,
            ]
        )
        sums = np.zeros((6, u.size))
        sums[5] = -np.inf
        bad = loop(
            u,
            row(st["t_supply"]),
            row(st["too_humid"], bool),
            row(st["trim_per_kg"]),
            row(st["closed_oa_per_kg"]),
            row(st["fan_kw"]),
            row(st["humid_kw"]),
            row(st["water"]),
            row(st["out_of_envelope"], bool),
            row(cop),
            sc,
            np.asarray(FAN_CURVES[p.fan_control], dtype=float),
            sums,
        )
        if bad:
            raise ValueError("the fused loop has no trim-shortfall iteration: keep the sweep within the trim")
        e_f, e_it = sums[0], sums[1]
        out.append(
            {
                "pue": e_f / e_it,
                "energy_facility": e_f / 1000.0,
                "wue": sums[3] / (e_it / 1000.0 * 1000.0),
                "hours_out_of_envelope": sums[4],
                "pue_max_hourly": sums[5],
            }
        )
    return {k: np.concatenate([o[k] for o in out]) for k in out[0]}


def check(twin_kpis, fused: dict[str, np.ndarray], rtol: float = 1e-12) -> float:
    """Largest relative difference between the fused loop's KPIs and the twin's; raises above ``rtol``.

    ``twin_kpis``: the twin's KPI Dataset of the same sweep (cases matched by their coordinates).
    """
    order = np.lexsort(
        (twin_kpis["facility.utilisation"].to_numpy(), twin_kpis["cooling.free_air.evap_effectiveness"].to_numpy())
    )
    worst = 0.0
    for k, v in fused.items():
        want = np.asarray(twin_kpis[k], dtype=float)[order]
        d = float(np.max(np.abs(v - want) / np.maximum(np.abs(want), 1e-300)))
        if not d <= rtol:
            raise AssertionError(f"fused loop {k} differs from the twin's by {d:.2e} (relative)")
        worst = max(worst, d)
    return worst
