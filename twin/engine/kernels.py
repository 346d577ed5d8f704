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
from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import CP_AIR, vapour_compression_power
from twin.building.cooling.curves import FAN_CURVES
from twin.building.cooling.free_air import free_air_state
from twin.building.electrical import indoor_losses
from twin.building.facility import hall_air, installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import compiled, use_compiled
from twin.engine.metrics import FACILITY_SUMS

__all__ = ["COMPILED_DESIGNS", "SUMS", "facility_year", "free_air_loop", "kernel_for"]

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


def _free_air(
    design: Design, wx: Any, fac: Any, ele: Any, coo: Any, design_kw: np.ndarray, u: Any, m: int
) -> dict[str, np.ndarray] | None:
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}  # as facility_chain does
    d_s, dt_units, _ = from_columns(coo)
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

    def hourly(a: Any, dtype: type = float) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=dtype), (m, nt))

    def case(a: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=float), (m, 1))[:, 0]

    p_fac = np.empty((m, nt))
    sums = np.empty((m, len(SUMS)))
    status = compiled(free_air_loop)(
        hourly(u),
        hourly(installed),
        hourly(st["t_supply"]),
        hourly(st["too_humid"], bool),
        hourly(st["trim_per_kg"]),
        hourly(st["closed_oa_per_kg"]),
        hourly(st["fan_kw"]),
        hourly(st["humid_kw"]),
        hourly(st["water"]),
        hourly(st["out_of_envelope"], bool),
        hourly(cop),
        *(case(fac[k]) for k in ("idle_fraction", "fan_share", "fan_speed_per_k", "leakage_per_k", "leakage_share")),
        case(fac["performance_factor"]),
        case(overclock),
        case(design_kw),
        *(case(ele[k]) for k in ("distribution_loss", "ups_redundancy", "ups_loss_no_load", "ups_loss_linear")),
        case(ele["ups_loss_square"]),
        *(case(ele[k]) for k in ("lighting_misc", "transformer_rating_factor", "transformer_no_load")),
        case(ele["transformer_load_loss"]),
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
    if status != 0:
        return None
    return {"p_facility": p_fac, **{f"sum_{k}": sums[:, j] for j, k in enumerate(SUMS)}}


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


def kernel_for(case_years: float) -> str:
    """``"numba"`` or ``"reference"``: what ``kernel="auto"`` picks for a whole study of
    ``case_years`` (:func:`twin.core.jit.use_compiled`), for each of its blocks to run with
    whatever the block's size and whichever process runs it."""
    return "numba" if use_compiled("auto", case_years) else "reference"
