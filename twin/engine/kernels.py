"""Fused compiled kernels: a block's per-case-hour physics and its annual sums in one pass.

The numpy functions stay the documented reference; each kernel here is a plain Python
function of scalar loops doing their arithmetic in the same order, compiled by numba
(:func:`twin.core.jit.compiled`, cached on disk). What depends only on the weather and the
cooling parameters (the hour's *state*: mode, supply temperature, per-kg figures, COP) is
still computed by the reference code, once per hour; the kernel does the rest for every case
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
from twin.building.cooling.components import CP_AIR, vapour_compression_power
from twin.building.cooling.curves import FAN_CURVES
from twin.building.cooling.free_air import free_air_state
from twin.building.electrical import indoor_losses
from twin.building.facility import installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import compiled
from twin.engine.metrics import HOURLY_NEEDS

__all__ = ["COMPILED_DESIGNS", "SUMS", "facility_year", "free_air_loop"]

SUMS = HOURLY_NEEDS
"""Columns of a kernel's ``sums``: annual kWh (L for water, hours for ``out_of_envelope``) and,
for ``pue``, the highest hourly PUE."""

CHUNK = 128
"""Hours summed before a partial sum joins the year's (as numpy's pairwise sums keep rounding small)."""

T_CHIP_REF = T_INLET_REF + DT_CHIP_AIR
"""Chip temperature at the reference inlet, °C (:func:`twin.building.it_load.it_power`)."""


def free_air_loop(
    # (time or 1, case): utilisation and installed IT power, kW
    u,
    installed,
    # (state row, time): the free-air state; cases lo[r] … hi[r] − 1 read row r
    t_supply,
    too_humid,
    trim_per_kg,
    closed_oa_per_kg,
    fan_kw,
    humid_kw,
    water_per_kg,
    out,
    cop,
    lo,
    hi,
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
    # (case,): free air's own (twin.building.cooling.free_air, components.fan_array_power)
    delta_t_it,
    trim_cap,
    m_design,
    fan_units,
    fan_redundant,
    fan_min_flow,
    curve,
    # outputs: (time, case) facility power kW, (len(SUMS), case) annual sums
    p_fac,
    sums,
):
    """Free air, no trim shortfall: :func:`~twin.building.cooling.free_air.simulate_free_air`'s
    load part, :func:`~twin.building.electrical.electrical_losses` and the annual sums, per case
    and hour. Hours outside, cases inside (contiguous: vector instructions); returns the status."""
    nt, m = p_fac.shape
    a0, a1, a2, a3 = curve[0], curve[1], curve[2], curve[3]
    # per-case constants of the chain
    rating = ups_redundancy * design_kw
    ups_x = (1.0 + dist_loss) / rating
    p_misc = lighting_misc * design_kw
    rating_t = tr_factor * design_kw
    tr_k = tr_load_loss / rating_t
    tr_0 = rating_t * tr_no_load
    per_kg = 1.0 / (CP_AIR * delta_t_it)
    share = fan_units / (fan_units + fan_redundant)
    m_des = np.maximum(m_design, 1e-12)
    part = np.zeros((8, m))  # sums of the current chunk of hours (rounding as numpy's pairwise sums)
    sums[:] = 0.0
    sums[10, :] = -math.inf
    short = False
    bad = False
    for t in range(nt):
        tu = t if u.shape[0] > 1 else 0
        ti = t if installed.shape[0] > 1 else 0
        for r in range(lo.size):
            t_in = t_supply[r, t]  # IT power at the supply temperature (it_power; chip = inlet + DT_CHIP_AIR)
            d_chip = t_in + DT_CHIP_AIR - T_CHIP_REF
            warm = max(t_in - T_INLET_REF, 0.0)
            k_mech = trim_per_kg[r, t] + closed_oa_per_kg[r, t]
            humid = 1.0 if too_humid[r, t] else 0.0
            c = cop[r, t]
            no_cop = not c < math.inf  # the compressor must not run in this hour
            f_kw, h_kw, w_kg = fan_kw[r, t], humid_kw[r, t], water_per_kg[r, t]
            n_out = 1.0 if out[r, t] else 0.0
            for i in range(lo[r], hi[r]):
                load = (idle[i] + (1.0 - idle[i]) * u[tu, i]) / performance[i]
                p_core = installed[ti, i] * (1.0 - fan_share[i]) * load * overclock[i]
                p_leak = p_core * max(leakage_per_k[i] * d_chip, -leakage_share[i])
                speed = 1.0 + fan_speed_per_k[i] * warm
                p_sfan = installed[ti, i] * fan_share[i] * load * (speed * speed * speed)
                p_it = p_core + p_leak + p_sfan
                # indoor losses (indoor_losses): distribution, UPS R (c0 + c1 x + c2 x²)
                p_dist = p_it * dist_loss[i]
                x = p_it * ups_x[i]
                p_ups = (x * (rating[i] * ups_c2[i]) + rating[i] * ups_c1[i]) * x + rating[i] * ups_c0[i]
                q = p_it + (p_dist + p_ups + p_misc[i])
                # free air's load: air mass flow, mechanical cooling asked for, capacity
                m_air = q * per_kg[i]
                q_mech = m_air * k_mech + q * humid
                short |= q_mech - trim_cap[i] > 0.0
                bad |= no_cop & (q_mech > 0.0)
                p_mech = max(q_mech, 0.0) / c
                xf = max(m_air / m_des[i] * share[i], fan_min_flow[i])
                p_fans = m_design[i] * f_kw / share[i] * (((a3 * xf + a2) * xf + a1) * xf + a0)
                p_hum = m_air * h_kw
                water = m_air * w_kg
                p_cool = p_fans + p_mech + p_hum
                # electrical_losses: the transformer carries everything, R_t (n0 + n_l (P/R_t)²)
                through = p_it + p_dist + p_ups + p_cool + p_misc[i]
                p_tr = through * through * tr_k[i] + tr_0[i]
                p_f = p_it + p_cool + p_ups + p_dist + p_tr + p_misc[i]
                pue = p_f / p_it
                # bounds (& without short-circuit: no branches in the loop); check_bounds decides on failure
                ok = (p_it > 0.0) & (p_fans >= 0.0) & (p_mech >= 0.0) & (p_hum >= 0.0) & (water >= 0.0)
                ok &= (p_ups >= 0.0) & (p_dist >= 0.0) & (p_tr >= 0.0) & (p_misc[i] >= 0.0)
                ok &= (pue >= 1.0 - 1e-12) & (p_f < math.inf) & (water < math.inf)
                bad |= not ok
                p_fac[t, i] = p_f
                part[0, i] += p_f
                part[1, i] += p_it
                part[2, i] += p_cool
                part[3, i] += p_ups
                part[4, i] += p_dist
                part[5, i] += p_tr
                part[6, i] += installed[ti, i] * u[tu, i]
                part[7, i] += water
                sums[9, i] += n_out
                sums[10, i] = max(sums[10, i], pue)
        if (t + 1) % CHUNK == 0 or t == nt - 1:
            for k in range(8):
                for i in range(m):
                    sums[k if k < 6 else k + 1, i] += part[k, i]
                    part[k, i] = 0.0
    for i in range(m):
        sums[6, i] = p_misc[i] * nt
    return 1 if short else (2 if bad else 0)


def _free_air(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    st = free_air_state(wx, coo)
    indoor = indoor_losses(design_kw, design_kw, ele)
    q_design = design_kw + (indoor["p_dist_loss"] + indoor["p_ups_loss"] + indoor["p_misc"])
    # COP in the hours any case may run the compressor (too humid, or trim after evaporation)
    may_run = (st["too_humid"] | (st["trim_per_kg"] > 0.0)).astype(float)
    t_evap = st["t_supply"] - coo["evaporator_approach"]
    t_cond = wx["t_db"] + coo["condenser_approach"]
    _, cop = vapour_compression_power(
        may_run, t_evap, t_cond, coo["refrigerant"], coo["eta_isentropic"], coo["eta_motor"]
    )
    state = [st[k] for k in STATE] + [cop]
    rows = max(np.shape(a)[0] if np.ndim(a) == 2 else 1 for a in state)  # 1: every case reads one row

    def by_row(a: Any) -> np.ndarray:
        dtype = bool if np.asarray(a).dtype == bool else float
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=dtype), (rows, nt)))

    def by_hour(a: Any) -> np.ndarray:  # (time or 1, case)
        a = np.asarray(a, dtype=float)
        return np.ascontiguousarray(np.broadcast_to(a, (m, nt if np.shape(a)[-1] > 1 else 1)).T)

    def case(a: Any) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=float), (m, 1))[:, 0])

    lo, hi = (np.array([0]), np.array([m])) if rows == 1 else (np.arange(m), np.arange(1, m + 1))
    p_fac = np.empty((nt, m))
    sums = np.empty((len(SUMS), m))
    status = compiled(free_air_loop)(
        by_hour(u),
        by_hour(installed),
        *(by_row(a) for a in state),
        lo,
        hi,
        *(case(fac[k]) for k in ("idle_fraction", "fan_share", "fan_speed_per_k", "leakage_per_k", "leakage_share")),
        case(fac["performance_factor"]),
        case(overclock),
        case(design_kw),
        *(case(ele[k]) for k in ("distribution_loss", "ups_redundancy", "ups_loss_no_load", "ups_loss_linear")),
        case(ele["ups_loss_square"]),
        *(case(ele[k]) for k in ("lighting_misc", "transformer_rating_factor", "transformer_no_load")),
        case(ele["transformer_load_loss"]),
        case(coo["delta_t_it"]),
        case(coo["trim_capacity"] * q_design),
        case(q_design / (CP_AIR * coo["delta_t_it"])),
        *(case(coo[k]) for k in ("fan_units", "fan_redundant_units", "fan_min_flow")),
        np.asarray(FAN_CURVES[str(coo["fan_control"])], dtype=float),
        p_fac,
        sums,
    )
    if status != 0:
        return None
    return {"p_facility": p_fac.T, **{f"sum_{k}": sums[j] for j, k in enumerate(SUMS)}}


STATE = (
    "t_supply",
    "too_humid",
    "trim_per_kg",
    "closed_oa_per_kg",
    "fan_kw",
    "humid_kw",
    "water",
    "out_of_envelope",
)
"""The free-air state the kernel reads (:func:`~twin.building.cooling.free_air.free_air_state`), then the COP."""


COMPILED_DESIGNS = {"free_air": _free_air}
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
