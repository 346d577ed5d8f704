"""Fused compiled kernels: a block's per-case-hour physics and its annual sums in one pass.

Designs with a kernel (:data:`COMPILED_DESIGNS`): free air (here, the worked example), chilled
water (EIR or CoolProp cycle chillers) and indirect evaporative cooling (:mod:`twin.engine.design_kernels`),
the liquid designs (:mod:`twin.engine.liquid_kernels`).

The numpy functions stay the documented reference; each kernel here is a plain Python
function of scalar loops doing their arithmetic, compiled by numba
(:func:`twin.core.jit.compiled`, cached on disk). What depends only on the weather and the
cooling parameters (the hour's *state*: mode, supply temperature, per-kg figures, COP) is
still computed by the reference code, once per hour, into an ``(n_state, time)`` matrix; the
kernel runs hours outside and the block's cases inside, one loop over the cases per hour whose
body does everything for the case-hour in scalars (the compiler vectorises it): IT power, the
load part of the design, the electrical chain (the shared helpers of
:mod:`twin.engine.kernel_parts`) and the sums :func:`twin.engine.metrics.annual_figures` needs.
It writes the hourly facility power only when the caller asks (a block with a green plant: the
supply step's input); for a block without, it takes the grid's sums too (Σ p·price, Σ p·clean
share, monthly peaks), and no (case, time) array is formed.

A kernel returns a status instead of raising: ``0`` done; ``1`` the trim cannot hold the
setpoint (the reference's fixed point on the supply temperature is needed); ``2`` a value
outside its physical bounds (the reference decides and names the parameters). The caller
then runs the reference for that block, so results and errors are the reference's.

The contract of a design's kernel (what it receives and returns, the helpers, the status
codes, :data:`COMPILED_DESIGNS`): :func:`facility_year` and :mod:`twin.engine.kernel_parts`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.building.cooling import Design
from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import CP_AIR
from twin.building.cooling.curves import FAN_CURVES
from twin.building.facility import hall_air, installed_it
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF
from twin.core.jit import use_compiled
from twin.engine.design_kernels import _design_heat, air_rows, air_state, chilled_water_kernel, indirect_evap_kernel
from twin.engine.kernel_parts import (
    MAX_FLOAT,
    R_DIST,
    R_TR_0,
    SHARED_ROWS,
    Block,
    GridYear,
    StateMemo,
    add_hour,
    case_matrix,
    close_sums,
    column_cut,
    electrical_case,
    end_chunk,
    facility_power,
    fill_hour,
    hourly_state,
    indoor_losses,
    it_case,
    it_power,
    kernel_scratch,
    open_sums,
    rows_nonnegative,
    run_kernel_parts,
    shared_rows,
)
from twin.engine.liquid_kernels import LIQUID_DESIGNS, liquid_kernel
from twin.engine.metrics import FACILITY_SUMS

__all__ = ["BATCHED_DESIGNS", "COMPILED_DESIGNS", "SUMS", "facility_year", "free_air_loop", "kernel_for"]

SUMS = FACILITY_SUMS
"""Columns of a kernel's ``sums``: annual kWh (L for water, hours for ``out_of_envelope``) and,
for ``pue``, the highest hourly PUE."""

FREE_AIR_STATE = (
    "t_supply",
    "too_humid",
    "mech_per_kg",
    "fan_kw",
    "humid_kw",
    "water",
    "out_of_envelope",
    "inv_cop",
    "no_cop",
)
"""Rows of free air's state ``S``: °C, 0/1, kJ/kg (trim + closed outdoor air), kW per kg/s,
kW per kg/s, L/h per kg/s, 0/1, 1/COP (0 where none), 0/1 (no finite COP)."""
FREE_AIR_ROWS = ("supply_approach", "per_kg", "trim_cap", "flow_x", "fan_min_flow", "fan_scale")
"""free air's rows of ``P`` after :data:`SHARED_ROWS`: K, kg/s per kW, kW, 1/(kg/s), —, kg/s."""


def free_air_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Free air, no trim shortfall: :func:`~twin.building.cooling.free_air.simulate_free_air`'s
    load part, the electrical chain and the annual sums; hours outside, the cases inside, one
    loop per hour (:mod:`twin.engine.kernel_parts`).

    ``consts``: c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K, the
    fan curve's four coefficients. Returns the status (0, 1 trim short, 2 out of bounds).

    The bounds of :func:`~twin.engine.kernel_parts.electrical_chain`, checked with five
    comparisons per case-hour instead of thirteen: where the electrical rows of ``P``, the air
    per kW and the hour's humidifier kW, water and 1/COP are ≥ 0 (checked once per call and per
    hour; else status 2), every part of the facility power but the fans' is ≥ 0 or NaN when the
    IT power is > 0, so the facility power is ≥ the IT power (a rounded sum of terms ≥ 0 does
    not fall below its first) and a NaN or infinite part makes it not finite. What is left per
    case-hour: IT power > 0, fans ≥ 0, water and facility power finite, and the mechanical load
    at most the hour's limit (+∞, or 0 in an hour without a finite COP). A block handed back
    before is handed back still (some with an out-of-range sign, which the parameter classes
    refuse, also where the reference would have run them).
    """
    m = P.shape[1]
    nt = S.shape[1]
    t_inlet_ref, dt_chip = consts[1], consts[2]
    t_chip_ref = t_inlet_ref + dt_chip
    a0, a1, a2, a3 = consts[3], consts[4], consts[5], consts[6]
    r = len(SHARED_ROWS)
    H, segs, hourly = kernel_scratch(month, p_out, m)
    if rows_nonnegative(P, R_DIST, R_TR_0 + 1) + rows_nonnegative(P, r + 1, r + 2) < 2:
        return 2
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        mo = month[t0]
        n_short = 0
        n_bad = 0
        for t in range(t0, t1):
            fill_hour(t, P, U, IT, price, clean, H)
            t_sup, humid, mech, fan_kw = S[0, t], S[1, t], S[2, t], S[3, t]
            hum_kw, water_kg, out, inv_cop, no_cop = S[4, t], S[5, t], S[6, t], S[7, t], S[8, t]
            n_bad += 0 if (hum_kw >= 0.0) & (water_kg >= 0.0) & (inv_cop >= 0.0) else 1
            mech_max = np.inf if no_cop == 0.0 else 0.0  # no mechanical load without a finite COP
            row = t * hourly
            for i in range(m):
                it = it_case(P, i)
                el = electrical_case(P, i)
                d_s, per_kg, cap = P[r, i], P[r + 1, i], P[r + 2, i]
                flow_x, x_min, fan_scale = P[r + 3, i], P[r + 4, i], P[r + 5, i]
                t_in = t_sup + d_s
                p_it, _ = it_power(it, H[0, i], H[1, i], t_in, t_in + dt_chip, 1.0, t_inlet_ref, t_chip_ref)
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                m_air = q * per_kg
                q_mech = m_air * mech + q * humid
                n_short += 1 if q_mech - cap > 0.0 else 0
                p_mech = max(q_mech, 0.0) * inv_cop
                xf = max(m_air * flow_x, x_min)
                p_fans = fan_scale * fan_kw * (((a3 * xf + a2) * xf + a1) * xf + a0)
                p_hum = m_air * hum_kw
                water = m_air * water_kg
                p_cool = p_fans + p_mech + p_hum
                p_tr, p_f = facility_power(el, p_it, p_dist, p_ups, p_misc, p_cool)
                ok = (p_it > 0.0) & (p_fans >= 0.0) & (water <= MAX_FLOAT) & (p_f <= MAX_FLOAT)
                n_bad += 0 if ok & (q_mech <= mech_max) else 1
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


def _free_air(block: Block) -> dict[str, Any] | list[dict[str, Any] | None] | None:
    """Free air's entry of :data:`COMPILED_DESIGNS`; with ``block.parts`` (a batch of blocks of
    one site) the per-case columns are computed once for the batch and each block's hourly state
    from its own cooling columns (:data:`BATCHED_DESIGNS`), a result per block."""
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block[:10]
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}  # as facility_chain does
    d_s, dt_units, _ = from_columns(coo)  # as air_state reads them

    def state(lo: int, hi: int) -> Any:  # a block's hourly state, from its own cooling columns
        part = coo if (lo, hi) == (0, m) else {k: column_cut(v, lo, hi) for k, v in coo.items()}
        return hourly_state(block, air_state, part)[0]

    parts = [((lo, hi), state) for lo, hi in block.parts or ((0, m),)]
    q_design = _design_heat(design_kw, ele)
    P = case_matrix([*shared_rows(fac, ele, design_kw, overclock), d_s, *air_rows(coo, q_design, dt_units)], m)
    consts = np.array([CP_AIR, T_INLET_REF, DT_CHIP_AIR, *FAN_CURVES[str(coo["fan_control"])]], dtype=float)
    out = run_kernel_parts(free_air_loop, P, parts, (u, installed), consts, nt, grid, want_hourly, block.run)
    return out if block.parts else out[0]


COMPILED_DESIGNS = {
    "free_air": _free_air,
    "chilled_water": chilled_water_kernel,
    "indirect_evap": indirect_evap_kernel,
    **dict.fromkeys(LIQUID_DESIGNS, liquid_kernel),
}
"""Designs with a fused kernel: ``{name: fn(block) -> result or None}`` with ``block`` a
:class:`~twin.engine.kernel_parts.Block`, the result as :func:`facility_year`'s
(:func:`~twin.engine.kernel_parts.run_kernel` returns it)."""

BATCHED_DESIGNS = frozenset({"free_air"})
"""Designs whose kernel entry also takes a batch of blocks (:attr:`~twin.engine.kernel_parts.Block.parts`):
their per-case columns computed once for the batch, a result per block."""


def facility_year(
    design: Design,
    wx: Any,
    fac: Any,
    ele: Any,
    coo: Any,
    design_kw: np.ndarray,
    u: Any,
    m: int,
    grid: GridYear | None = None,
    want_hourly: bool = True,
    weather: tuple[int, ...] | None = None,
    states: StateMemo | None = None,
    parts: tuple[tuple[int, int], ...] | None = None,
    run: Any = None,
) -> Any:
    """A block's annual sums (and hourly facility power) by the design's fused kernel.

    Same arguments as :func:`twin.building.facility.facility_chain` and the block's case count
    ``m``; ``grid`` the grid's hourly inputs of a block without green supply (then the grid
    sums are taken too); ``want_hourly`` whether the hourly facility power is needed; ``states``
    the run's memo of hourly states (:class:`~twin.engine.kernel_parts.StateMemo`: blocks of
    equal weather and cooling parameters share one), with ``weather`` the key of the block's
    weather rows (its site indices in the run).

    Returns
    -------
    dict or None
        ``sums``: ``{name: (case,)}`` for :data:`SUMS` (and with ``grid``
        :data:`twin.engine.kernel_parts.GRID_SUMS`); ``peaks`` (case, month) kW with ``grid``;
        ``p_facility`` (case, time) kW with ``want_hourly``; for the liquid designs ``hourly``,
        the (case, time) arrays heat reuse and the fluid KPIs read (``q_recoverable``,
        ``t_return``, ``fluid_loss``, ``fluid_co2e``, ``fluid_cost``). None when the design has
        no kernel or the block needs the reference (trim shortfall, a value out of bounds).
        With ``parts`` (a batch of the plan's blocks of one site, each ``(start, stop)`` among
        the ``m`` cases; ``run(items, fn)`` runs them, e.g. on threads): a list of such results,
        one per block, or None when the design takes no batch (:data:`BATCHED_DESIGNS`).
    """
    fn = COMPILED_DESIGNS.get(design.name)
    if fn is None or (parts is not None and design.name not in BATCHED_DESIGNS):
        return None
    return fn(Block(design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly, weather, states, parts, run))


def kernel_for(case_years: float, kernel: str = "auto") -> str:
    """``"numba"`` or ``"reference"``: what ``kernel`` (``"auto"`` by default) picks for a whole
    study of ``case_years`` (:func:`twin.core.jit.use_compiled`), for each of its blocks to run
    with whatever the block's size and whichever process runs it."""
    return "numba" if use_compiled(kernel, case_years) else "reference"


def kernel_mark(case_years: float, chosen: str) -> dict[str, str]:
    """A study checkpoint's record of its implementation: ``{"kernel": chosen}`` when ``chosen``
    (from :func:`kernel_for`) is not what ``"auto"`` picks for ``case_years``, else nothing, so
    a checkpoint written before the choice existed (always ``"auto"``) still resumes, and a
    resumption on the other implementation is refused."""
    return {} if chosen == kernel_for(case_years) else {"kernel": chosen}
