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

Free air's kernel (:func:`free_air_loop`) runs the other way round: months outside, the cases,
then the month's hours inside, vectorised across hours with its sums reassociated into vector
lanes (:func:`~twin.engine.kernel_parts.reassociating`), and what depends on the hour and not
on the case (or only on parameters a run of cases shares) computed once per month, not per
case-hour: ≈ 22 machine instructions per case-hour where the cases-inside loop took ≈ 35.

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
from twin.core.jit import kernel_helper, use_compiled
from twin.engine.design_kernels import (
    _design_heat,
    air_part_states,
    air_rows,
    air_state,
    chilled_water_kernel,
    indirect_evap_kernel,
)
from twin.engine.kernel_parts import (
    A_PUE,
    MAX_FLOAT,
    R_DIST,
    R_FAN_K,
    R_LEAK_K,
    R_LEAK_SHARE,
    R_TR_0,
    SHARED_ROWS,
    Block,
    GridYear,
    StateMemo,
    case_matrix,
    column_cut,
    electrical_case,
    end_chunk,
    fill_it_rows,
    fill_row,
    hourly_state,
    indoor_losses,
    month_segments,
    order_bits,
    order_value,
    reassociating,
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


@reassociating
def free_air_loop(P, S, U, IT, consts, price, clean, month, p_out, acc, peaks, part):
    """Free air, no trim shortfall: :func:`~twin.building.cooling.free_air.simulate_free_air`'s
    load part, the electrical chain and the annual sums; months outside, then the cases, then
    the month's hours inside (vectorised across hours, the sums reassociated into vector lanes).

    ``consts``: c_p of air kJ/(kg K), the servers' reference inlet °C, chip minus inlet K, the
    fan curve's four coefficients. Returns the status (0, 1 trim short, 2 out of bounds).

    What depends on the hour and not on the case is computed once per month for all cases (the
    mechanical-load limit, price, clean share, the out-of-envelope hours), and what depends on
    the hour and a case's cooling and temperature parameters once per month for each run of
    cases that share them (:func:`air_hour_rows`: a sweep of utilisations computes it once per
    block). Per case-hour the heat ``q`` (IT and indoor losses) times the hour's factors gives
    the mechanical load, the cooling power besides the fans and the water: the reference's
    ``m_air * mech + q * humid``, ``max(q_mech, 0) / COP + m_air * humid_kw`` and
    ``m_air * water`` with ``m_air = q * per_kg`` and ``q > 0``, equal but for rounding; the
    transformer's throughput is ``q`` plus the cooling. The highest hourly PUE and the month's
    peak are running maxima of the values' bits (:func:`~twin.engine.kernel_parts.order_bits`:
    positive in every hour the kernel completes).

    The bounds of :func:`~twin.engine.kernel_parts.electrical_chain`, checked with five
    comparisons per case-hour instead of thirteen: where the electrical rows of ``P``, the air
    per kW and the hour's humidifier kW, water and 1/COP are ≥ 0 (checked once per call and per
    hour; else status 2), every part of the facility power but the fans' is ≥ 0 or NaN when the
    IT power is > 0, so the facility power is ≥ the IT power (a rounded sum of terms ≥ 0 does
    not fall below any of them, in any order) and a NaN or infinite part makes it not finite.
    What is left per case-hour: IT power > 0, fans ≥ 0, water and facility power finite, and
    the mechanical load at most the hour's limit (+∞, or 0 in an hour without a finite COP).
    """
    m = P.shape[1]
    nt = S.shape[1]
    r = len(SHARED_ROWS)
    if rows_nonnegative(P, R_DIST, R_TR_0 + 1) + rows_nonnegative(P, r + 1, r + 2) < 2:
        return 2
    a0, a1, a2, a3 = consts[3], consts[4], consts[5], consts[6]
    segs = month_segments(month)
    n_max = 0
    for k in range(segs.size - 1):
        n_max = max(n_max, segs[k + 1] - segs[k])
    X = np.empty((13, n_max))
    lk, s3, fk, c_mech, c_cool, c_water = X[0], X[1], X[2], X[3], X[4], X[5]
    mech_max, pr, cl, core, fans, pf = X[6], X[7], X[8], X[9], X[10], X[11]
    s_it, s_cool, s_w, s_out, s_ups, s_tr, s_pr, s_cl = part
    for k in range(segs.size - 1):
        t0, t1 = segs[k], segs[k + 1]
        n = t1 - t0
        mo = month[t0]
        n_bad = 0
        out_hours = 0.0
        for j in range(n):
            t = t0 + j
            hum_kw, water_kg, inv_cop = S[4, t], S[5, t], S[7, t]
            n_bad += 0 if (hum_kw >= 0.0) & (water_kg >= 0.0) & (inv_cop >= 0.0) else 1
            mech_max[j] = np.inf if S[8, t] == 0.0 else 0.0  # no mechanical load without a finite COP
            out_hours += S[6, t]
        fill_row(price, t0, n, 0, pr)
        fill_row(clean, t0, n, 0, cl)
        key = (np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)
        flags = 0
        for i in range(m):
            case_key = (P[r, i], P[R_FAN_K, i], P[R_LEAK_K, i], P[R_LEAK_SHARE, i], P[r + 5, i], P[r + 1, i])
            if case_key != key:
                key = case_key
                air_hour_rows(S, t0, n, case_key, consts, lk, s3, fk, c_mech, c_cool, c_water)
            fill_it_rows(P, U, IT, t0, n, i, core, fans)
            if price.shape[1] > 1:
                fill_row(price, t0, n, i, pr)
            if clean.shape[1] > 1:
                fill_row(clean, t0, n, i, cl)
            el = electrical_case(P, i)
            tr_k, tr_0 = el[6], el[7]
            cap, g, x_min = P[r + 2, i], P[r + 1, i] * P[r + 3, i], P[r + 4, i]
            a_it = a_cool = a_w = a_ups = a_tr = a_pr = a_cl = 0.0
            b_pue, b_peak = order_bits(acc[A_PUE, i]), order_bits(peaks[mo, i])
            fl = 0
            for j in range(n):
                p_it = core[j] + core[j] * lk[j] + fans[j] * s3[j]
                p_dist, p_ups, p_misc = indoor_losses(el, p_it)
                q = p_it + (p_dist + p_ups + p_misc)
                q_mech = q * c_mech[j]
                xf = max(q * g, x_min)
                p_fans = fk[j] * (((a3 * xf + a2) * xf + a1) * xf + a0)
                p_cool = p_fans + q * c_cool[j]
                water = q * c_water[j]
                through = q + p_cool
                p_tr = through * through * tr_k + tr_0
                p_f = through + p_tr
                pf[j] = p_f
                ok = (p_it > 0.0) & (p_fans >= 0.0) & (water <= MAX_FLOAT) & (p_f <= MAX_FLOAT)
                fl |= (0 if ok & (q_mech <= mech_max[j]) else 2) | (1 if q_mech - cap > 0.0 else 0)
                a_it += p_it
                a_cool += p_cool
                a_w += water
                a_ups += p_ups
                a_tr += p_tr
                a_pr += p_f * pr[j]
                a_cl += p_f * cl[j]
                b_pue = max(b_pue, order_bits(p_f / p_it))
                b_peak = max(b_peak, order_bits(p_f))
            flags |= fl
            s_it[i] += a_it
            s_cool[i] += a_cool
            s_w[i] += a_w
            s_out[i] += out_hours
            s_ups[i] += a_ups
            s_tr[i] += a_tr
            s_pr[i] += a_pr
            s_cl[i] += a_cl
            acc[A_PUE, i], peaks[mo, i] = order_value(b_pue), order_value(b_peak)
            if p_out.shape[0] == nt:  # a row per hour (else one row: the hourly power is not kept)
                for j in range(n):
                    p_out[t0 + j, i] = pf[j]
        if flags & 1:
            return 1
        if (flags & 2) or n_bad > 0:
            return 2
    end_chunk(part, acc, nt, nt)
    return 0


@kernel_helper
def air_hour_rows(S, t0, n, case_key, consts, lk, s3, fk, c_mech, c_cool, c_water):
    """The hours ``t0 … t0 + n`` of free air's state ``S`` as factors of one case's IT power and
    heat, for the cases whose ``case_key`` = (supply approach K, fan speed and leakage per K,
    leakage floor, fan power per kW of ``fan_kw``, air per kW) it is: the leakage fraction and
    server-fan speed cubed (:func:`~twin.engine.kernel_parts.it_power`'s), the air-handling fans'
    kW per unit of the fan curve, and per kW of heat the mechanical load, the cooling power
    besides the fans (compressor and humidifier) and the water."""
    d_s, fan_k, leak_k, leak_share, fan_scale, per_kg = case_key
    t_inlet_ref, dt_chip = consts[1], consts[2]
    t_chip_ref = t_inlet_ref + dt_chip
    for j in range(n):
        t = t0 + j
        t_in = S[0, t] + d_s
        lk[j] = max(leak_k * ((t_in + dt_chip) - t_chip_ref), -leak_share)
        speed = 1.0 + fan_k * max(t_in - t_inlet_ref, 0.0)
        s3[j] = speed * speed * speed
        fk[j] = fan_scale * S[3, t]
        mech = per_kg * S[2, t] + S[1, t]
        c_mech[j] = mech
        c_cool[j] = max(mech, 0.0) * S[7, t] + per_kg * S[4, t]
        c_water[j] = per_kg * S[5, t]


def _free_air(block: Block) -> dict[str, Any] | list[dict[str, Any] | None] | None:
    """Free air's entry of :data:`COMPILED_DESIGNS`; with ``block.parts`` (a batch of blocks of
    one site) the per-case columns are computed once for the batch and each block's hourly state
    from its own cooling columns (:data:`BATCHED_DESIGNS`), a result per block: blocks whose
    cooling differs in the evaporative parameters alone share the state's computation
    (:func:`~twin.engine.design_kernels.air_part_states`)."""
    design, wx, fac, ele, coo, design_kw, u, m, grid, want_hourly = block[:10]
    nt = int(np.shape(wx["t_db"])[-1])
    installed, overclock = installed_it(design, fac, coo, design_kw, nt)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}  # as facility_chain does
    d_s, dt_units, _ = from_columns(coo)  # as air_state reads them
    bounds = block.parts or ((0, m),)
    sets = [coo if (lo, hi) == (0, m) else {k: column_cut(v, lo, hi) for k, v in coo.items()} for lo, hi in bounds]

    def state(lo: int, hi: int) -> Any:  # a block's hourly state, from its own cooling columns
        return hourly_state(block, air_state, sets[bounds.index((lo, hi))])[0]

    parts = [(b, state if rows is None else rows) for b, rows in zip(bounds, air_part_states(block, sets), strict=True)]
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
