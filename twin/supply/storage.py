"""Battery storage: parameters, the Minning preset, green-first dispatch and an LP optimum.

Bookkeeping as PyPSA does it, with an explicit step ``dt`` (h) and the recursion

``soc[t+1] = soc_min + (soc[t] − soc_min)(1 − σ dt) + η_c p_charge[t] dt − p_discharge[t] dt / η_d``

(energy in kWh, power in kW). Self-discharge acts on the usable energy above the reserve
``soc_min`` (an approximation: it keeps the state of charge inside its limits when the
battery stands idle; the reserve is topped up by the battery management, not modelled).

**The year ends where it began** (PyPSA's ``cyclic_state_of_charge``): the state of charge at
the start of the year equals the state at its end, so every kWh discharged was charged in the
same year and no energy comes from nowhere. The LP states it as a constraint; green-first finds
the start state as the fixed point of the year's map (start state → end state):
:data:`CYCLIC_PASSES` passes from ``soc_initial`` (the second from the first's end state) settle
every store that fills or empties in the year; a store still unsettled (one whose time constant
is years, such as a tiny power rating on a large store) is solved by :func:`cyclic_start`.
What the year still ends below its start (at most the tolerance ``1e-9 (soc_max − soc_min) E``)
is returned as ``deficit`` (kWh), which the accounting buys from the grid.

A store that cannot charge or discharge (a power rating of 0 MW, or an energy rating of 0 MWh)
is idle: it holds no energy, so none leaks away to the grid's account; its cost is still counted.

The green-first rule is the only loop over time in the twin; it runs over all cases at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.core.fmt import number
from twin.core.params import ConfigError, Params, param
from twin.money.economics import demand_cost
from twin.supply.kernels import green_first

__all__ = [
    "MINNING",
    "StorageParams",
    "dispatch_green_first",
    "dispatch_lp",
    "fade_factor",
    "years_to_end_of_life",
]

# LFP capacity retention at 1 cycle/day, 25 °C, 100 % DoD (BLASTLite):
# 0.976 after 1 year, 0.925 after 5, 0.876 after 10. Fitted (exactly at 1 and 10 years, 0.927
# against 0.925 at 5) by a calendar term ∝ √t and a cycling term ∝ equivalent full cycles:
FADE_CALENDAR_PER_SQRT_YEAR = 0.01697
"""Calendar capacity loss, share per √year (fit to the BLAST-Lite LFP points above)."""
FADE_PER_CYCLE = 1.927e-5
"""Cycling capacity loss, share per equivalent full cycle (same fit; 365 cycles a year)."""
END_OF_LIFE_RETENTION = 0.8
"""Capacity share at which the battery is replaced (assumption: the usual LFP warranty end of life)."""
CYCLIC_PASSES = 2
"""Green-first passes over the year from ``soc_initial`` before the fixed-point solve (:func:`cyclic_start`)."""
CYCLIC_SOLVE_PASSES = 60
"""Most further passes of the fixed-point solve; it usually needs one to three."""


def fade_factor(age_years: float | np.ndarray, cycles_per_day: float | np.ndarray = 1.0) -> np.ndarray | float:
    """Remaining capacity share after ``age_years`` at ``cycles_per_day`` equivalent full cycles.

    Parameters
    ----------
    age_years : float or array
        Years of operation.
    cycles_per_day : float or array
        Equivalent full cycles a day (throughput / usable energy).

    Returns
    -------
    float or array
        ``1 − a √t − b · 365 · n · t`` with ``a`` = :data:`FADE_CALENDAR_PER_SQRT_YEAR` and
        ``b`` = :data:`FADE_PER_CYCLE`, floored at 0.

    Notes
    -----
    Calendar ageing of LFP grows with the square root of time (SEI growth) and cycling
    ageing with the throughput (Smith et al., NREL BLAST-Lite); the two coefficients are
    fitted to the BLAST-Lite points at one cycle a day and extrapolate beyond year 10 and to
    other duties (an approximation: temperature and depth of discharge are not modelled).
    """
    t = np.asarray(age_years, dtype=float)
    n = np.asarray(cycles_per_day, dtype=float)
    r = np.maximum(1.0 - FADE_CALENDAR_PER_SQRT_YEAR * np.sqrt(t) - FADE_PER_CYCLE * 365.0 * n * t, 0.0)
    return float(r) if r.ndim == 0 else r


def years_to_end_of_life(cycles_per_day: float, retention: float = END_OF_LIFE_RETENTION) -> float:
    """Years until :func:`fade_factor` falls to ``retention`` (solves the quadratic in √t)."""
    a, b = FADE_CALENDAR_PER_SQRT_YEAR, FADE_PER_CYCLE * 365.0 * cycles_per_day
    loss = 1.0 - retention
    x = loss / a if b == 0 else (-a + math.sqrt(a * a + 4.0 * b * loss)) / (2.0 * b)
    return x * x


@dataclass(frozen=True)
class StorageParams(Params):
    """A battery energy storage system."""

    section = "green.storage"

    power_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input")
    energy_mwh: float = param(0.0, 0.0, 1e6, units="MW h", source="input")
    round_trip_efficiency: float = param(0.88, 0.5, 1.0, source="Brief2025: 85–90 % AC-AC (unverified)")
    soc_min: float = param(0.05, 0.0, 1.0, source="assumption: share of energy rating")
    soc_max: float = param(0.95, 0.0, 1.0, source="assumption: share of energy rating")
    soc_initial: float = param(
        0.5,
        0.0,
        1.0,
        source="assumption: share of energy rating where green-first's first pass starts; "
        "the year is cyclic (end state = start state), so results do not depend on it once the battery fills or empties",
    )
    self_discharge_per_h: float = param(
        3e-5,
        0.0,
        0.01,
        units="h-1",
        source="assumption: LFP loses about 2–3 % a month standing (typical cell data); 3e-5/h = 2.2 %/month",
    )
    max_cycles_per_day: float | None = param(
        None, 0.01, 10.0, source="input (Minning: one full cycle a day, Karamay2025)", inherit="no limit"
    )
    age_years: float = param(
        0.0,
        0.0,
        30.0,
        units="year",
        source="BLASTLite: capacity fade, calendar √t + throughput terms fitted to its LFP figures",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.soc_min > self.soc_max:
            raise ConfigError(
                f"green.storage.soc_min = {number(self.soc_min, grouped=False)} is above soc_max = {number(self.soc_max, grouped=False)}"
            )
        if not self.soc_min <= self.soc_initial <= self.soc_max:
            raise ConfigError(
                f"green.storage.soc_initial = {number(self.soc_initial, grouped=False)} must lie within soc_min … soc_max"
            )

    @property
    def duty_cycles_per_day(self) -> float:
        """Cycles a day the capacity fade assumes: the cycle limit, else one (the BLAST-Lite duty)."""
        return 1.0 if self.max_cycles_per_day is None else self.max_cycles_per_day


MINNING = StorageParams(power_mw=100.0, energy_mwh=200.0, max_cycles_per_day=1.0)
"""Datang Minning shared storage station, Yinchuan (Karamay2025): 100 MW / 200 MWh, one full
charge and one full discharge a day. Efficiency and SOC window are the defaults (assumptions)."""


def _arrays(p: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: np.broadcast_to(np.asarray(v, dtype=float).reshape(-1), (n,)).copy() for k, v in p.items()}


def _usable(q: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faded energy rating, lowest and highest state of charge (kWh) of stacked parameters."""
    limit = q["max_cycles_per_day"]
    duty = np.where(np.isnan(limit), 1.0, limit)
    e_cap = q["energy_mwh"] * 1000.0 * fade_factor(q["age_years"], duty)
    return e_cap, q["soc_min"] * e_cap, q["soc_max"] * e_cap


def dispatch_green_first(
    green_kw: np.ndarray, load_kw: np.ndarray, p: dict[str, np.ndarray], dt_h: float = 1.0
) -> dict[str, np.ndarray]:
    """Store surplus green power, discharge on deficit; all cases in one time loop.

    Parameters
    ----------
    green_kw, load_kw : numpy.ndarray, shape (case, time)
        Green supply and site load, kW.
    p : dict
        :class:`StorageParams` fields, each a scalar or an array of shape (case,) or (case, 1),
        with ``power_mw``/``energy_mwh`` already in MW/MWh; ``max_cycles_per_day`` NaN (a
        ``None`` field) is no limit.
    dt_h : float
        Time step, h.

    Returns
    -------
    dict of arrays, kW or kWh
        (case, time): ``charge``, ``discharge``, ``soc`` (kWh at the end of each step),
        ``green_direct``, ``grid_import``, ``surplus`` (green neither used nor stored);
        (case,): ``deficit``, kWh the cyclic year still ends below its start (module notes).
        A case with ``power_mw`` or ``energy_mwh`` 0 is idle: charge, discharge, state of charge
        and deficit 0.

    Notes
    -----
    Charging takes ``min(surplus, P, headroom / (η_c dt))``; discharging
    ``min(deficit, P, available η_d / dt, daily throughput left)`` with the daily throughput
    ``max_cycles_per_day × (soc_max − soc_min) × E``. With no cycle limit this rule minimises
    grid import (tests check it against :func:`dispatch_lp`).
    """
    nt = load_kw.shape[-1]
    # Cases come from the load, the supply or the storage sizes (one profile, many sizes).
    n = max(np.shape(load_kw)[0], np.shape(green_kw)[0], *(np.size(v) for v in p.values()))
    q = _arrays(p, n)
    e_cap, lo_all, hi_all = _usable(q)
    out = {k: np.zeros((n, nt)) for k in ("charge", "discharge", "soc")}
    out["deficit"] = np.zeros(n)
    green = np.broadcast_to(green_kw, (n, nt))
    load = np.broadcast_to(load_kw, (n, nt))
    # Only cases with a battery that can charge and discharge need the time loop; it runs over
    # all of them at once. A store rated 0 MW (or 0 MWh) is idle: it holds nothing and loses nothing.
    idx = np.flatnonzero((e_cap > 0) & (q["power_mw"] > 0))
    if idx.size:
        net_all = green[idx] - load[idx]
        p_cap = q["power_mw"][idx] * 1000.0
        eta = np.sqrt(q["round_trip_efficiency"][idx])
        lo, hi = lo_all[idx], hi_all[idx]
        keep = 1.0 - q["self_discharge_per_h"][idx] * dt_h
        limit = q["max_cycles_per_day"][idx]
        daily_cap = np.where(np.isnan(limit), np.inf, limit * (hi - lo))
        steps_per_day = round(24 / dt_h)
        tol = 1e-9 * (hi - lo)
        first = q["soc_initial"][idx] * e_cap[idx]
        args = (net_all, p_cap, eta, lo, hi, keep, daily_cap)
        ch, dis, so, start = green_first(*args, first, tol, steps_per_day, dt_h, CYCLIC_PASSES)
        o = np.flatnonzero(~(np.abs(so[:, -1] - start) <= tol))  # not settled by the first passes
        if o.size:
            sub = [a[o] for a in (*args, tol)]

            def year(s: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                return green_first(*(a[j] for a in sub[:-1]), s, sub[-1][j], steps_per_day, dt_h, 1)[:3]

            run = [ch[o], dis[o], so[o]]
            start[o] = cyclic_start(year, run, first[o], start[o], lo[o], hi[o], tol[o])
            ch[o], dis[o], so[o] = run
        out["charge"][idx], out["discharge"][idx], out["soc"][idx] = ch, dis, so
        out["deficit"][idx] = np.maximum(start - so[:, -1], 0.0)
    out.update(_flows(green, load, out["charge"], 0.0, out["discharge"]))
    return out


def _flows(
    green_kw: np.ndarray,
    load_kw: np.ndarray,
    green_charge: np.ndarray,
    grid_charge: np.ndarray | float,
    discharge: np.ndarray,
) -> dict[str, np.ndarray]:
    """The hourly flows both dispatch rules report, from what goes into and out of the store (kW).

    Green power serves the load first (``green_direct = min(green, load)``); the store charges
    from the surplus left (``green_charge``) and, where allowed, from the grid (``grid_charge``),
    and discharges into the deficit left; the grid brings the rest of the load and the grid charge.
    """
    direct = np.minimum(green_kw, load_kw)
    return {
        "charge": green_charge + grid_charge,
        "discharge": discharge,
        "green_direct": direct,
        "grid_import": load_kw - direct - discharge + grid_charge,
        "surplus": green_kw - direct - green_charge,
    }


def _month_starts(month_starts: np.ndarray, nt: int) -> np.ndarray:
    """``month_starts`` of :func:`dispatch_lp`, checked: strictly increasing integers from 0, each
    below ``nt`` (the number of steps); a :class:`~twin.core.params.ConfigError` otherwise."""
    a = np.asarray(month_starts)
    ok = (
        a.ndim == 1
        and a.size > 0
        and (a.dtype.kind in "iu" or (a.dtype.kind == "f" and bool(np.all(a == np.round(a)))))
        and a[0] == 0
        and bool(np.all(np.diff(a) > 0))
        and a[-1] < nt
    )
    if not ok:
        raise ConfigError(
            f"month_starts = {np.array2string(a, threshold=12, separator=', ')} is not allowed; "
            f"give strictly increasing integers from 0, each below the {nt} time steps"
        )
    return a.astype(np.intp)


def dispatch_lp(
    green_kw: np.ndarray,
    load_kw: np.ndarray,
    p: StorageParams,
    *,
    price: np.ndarray | None = None,
    grid_charging: bool = False,
    dt_h: float = 1.0,
    demand_charge: float = 0.0,
    month_starts: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Perfect-foresight dispatch of one case as a linear programme (HiGHS via scipy).

    Minimises the bill the engine books for the grid import: its energy cost (price 1 → minimum
    import) plus the demand charge on each month's peak import, plus a tiny penalty on
    throughput that removes simultaneous charge and discharge from the optimum.

    Parameters
    ----------
    green_kw, load_kw : numpy.ndarray, shape (time,)
        Green supply and load, kW.
    p : StorageParams
        The battery.
    price : numpy.ndarray, optional
        Grid price per hour (CNY/kWh); default 1 (minimise import).
    grid_charging : bool
        Whether the battery may charge from the grid (arbitrage).
    dt_h : float
        Time step, h.
    demand_charge : float
        CNY per kW of each month's peak grid import (the site's demand charge, CNY/kW/month,
        as :func:`twin.money.economics.demand_cost` books it); 0: no peak term.
    month_starts : numpy.ndarray, optional
        Index of the first step of each month (the months of the demand charge): strictly
        increasing integers from 0, each below the number of steps
        (:func:`weather.dataset.calendar_starts`); default one month, the whole series.

    Returns
    -------
    dict of (time,) arrays
        As :func:`dispatch_green_first` (``grid_charge`` too; ``deficit`` is 0), plus
        ``objective`` (CNY), ``Σ price · grid_import · dt + demand_charge · Σ_m max_{t ∈ m}
        grid_import_t`` plus the throughput penalty.

    Notes
    -----
    Green power serves the load first, as in green-first: ``direct_t = min(green_t, load_t)``,
    which leaves a surplus ``u_t = green_t − direct_t`` and a deficit ``v_t = load_t −
    direct_t`` (one of them 0). Variables per hour: ``c^g_t`` charge from the green surplus,
    ``c^n_t`` charge from the grid, ``d_t`` discharge (kW) and ``soc_t`` (kWh)::

        minimise   Σ_t price_t (v_t − d_t + c^n_t) dt + D Σ_m peak_m + ε Σ_t (c^g_t + c^n_t + d_t)
        subject to soc_t = soc_min + keep (soc_{t−1} − soc_min) + η (c^g_t + c^n_t) dt − d_t dt / η
                   soc_{−1} = soc_{T−1}                              (cyclic year)
                   soc_min E ≤ soc_t ≤ soc_max E,   c^g_t + c^n_t ≤ P
                   0 ≤ c^g_t ≤ u_t,   0 ≤ d_t ≤ v_t,   0 ≤ c^n_t ≤ P (0 without grid charging)
                   Σ_{t ∈ day} d_t dt ≤ max_cycles_per_day (soc_max − soc_min) E   (if given)
                   v_t − d_t + c^n_t ≤ peak_m,   peak_m ≥ 0        (t in month m; if D > 0)

    with ``η = √round_trip_efficiency``, ``keep = 1 − σ dt``, ``D`` the demand charge
    (CNY/kW/month; one ``peak_m`` per month ``m`` of ``month_starts``, so at the optimum
    ``peak_m = max_{t ∈ m} grid_import_t`` and ``D Σ_m peak_m`` is the demand charge the engine
    books) and ``ε = 10⁻⁶ max price``. With no positive price (a tariff of 0) and no demand
    charge, ``price`` is replaced by 1 in the objective (the import is minimised: otherwise every
    dispatch costs 0 and the solver may leave the store idle). With no positive price and a
    demand charge, the objective keeps the real price and adds a tie-break ``τ = 10⁻⁶ D / (n dt)``
    per kWh imported (``n`` the longest month's steps; ``ε = 10⁻⁶ τ``): a month's import is at
    most its peak × ``n dt``, so the tie-break weighs at most ``10⁻⁶`` of a dispatch's demand
    charge and cannot buy energy with a real cost, while among equal bills less import wins. The
    optimum never bills more (energy + demand) than a dispatch the LP could also choose, up to
    ``ε`` × throughput (and, at a tariff of 0 with a demand charge, ``10⁻⁶`` of that
    dispatch's demand charge): grid charging cannot raise the bill through the peak above the
    same LP without grid charging, nor above green-first (feasible here whenever its year
    closes without deficit). The
    flows follow: ``grid_import = v − d + c^n`` (so ``grid_import ≥ grid_charge``: grid power
    into the store comes from the grid), ``surplus = u − c^g``, ``charge = c^g + c^n``. The
    store neither exports nor charges from the grid while it curtails green power unless it
    pays less for it. Serving the load first loses nothing: green power stored while the grid
    serves the load is the same flow as that green power serving the load and the grid
    charging the store; without grid charging, it would be grid charging in disguise.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    nt = load_kw.size
    price = np.ones(nt) if price is None else np.broadcast_to(np.asarray(price, dtype=float), (nt,))
    green_kw, load_kw = np.asarray(green_kw, dtype=float), np.asarray(load_kw, dtype=float)
    # Solved in MW and MWh (values near 1 help the solver); results are returned in kW, kWh.
    surplus = np.maximum(green_kw - load_kw, 0.0) / 1000.0
    deficit = np.maximum(load_kw - green_kw, 0.0) / 1000.0
    e_cap = p.energy_mwh * float(fade_factor(p.age_years, p.duty_cycles_per_day))
    p_cap = p.power_mw
    eta = np.sqrt(p.round_trip_efficiency)
    keep = 1.0 - p.self_discharge_per_h * dt_h
    names = ("cg", "cn", "d", "soc")
    k = {nm: i * nt for i, nm in enumerate(names)}
    starts = np.zeros(1, dtype=np.intp) if month_starts is None else _month_starts(month_starts, nt)
    npeak = starts.size if demand_charge > 0.0 else 0
    nv = len(names) * nt + npeak  # the month peaks (MW) follow the hourly variables
    top = float(np.max(price)) if nt else 0.0
    if top > 0.0:
        weight, eps = price, 1e-6 * top
    elif npeak:
        # A tariff of 0 with a demand charge: the real price, and a tie-break on the import at most
        # 10⁻⁶ of the demand charge (a month's import ≤ its peak × its length).
        tie = 1e-6 * demand_charge / (float(np.max(np.diff(np.r_[starts, nt]))) * dt_h)
        weight, eps = price + tie, 1e-6 * tie
    else:
        # A tariff of 0 and no demand charge: no cost steers the store, so the import is minimised
        weight, eps = np.ones(nt), 1e-6
    cost = np.zeros(nv)
    cost[k["cg"] : k["cg"] + nt] = eps
    cost[k["cn"] : k["cn"] + nt] = weight * dt_h + eps
    cost[k["d"] : k["d"] + nt] = -weight * dt_h + eps
    cost[nv - npeak :] = demand_charge  # CNY/kW × MW = kCNY, as price × MWh
    rows, cols, vals = [], [], []
    t = np.arange(nt)
    # soc[t] − keep·soc[t−1] − η dt (cg + cn) + dt/η d = (1 − keep) soc_min E, soc[−1] = soc[nt − 1]
    for nm, col, coef in (
        ("soc", t, 1.0),
        ("soc", (t - 1) % nt, -keep),
        ("cg", t, -eta * dt_h),
        ("cn", t, -eta * dt_h),
        ("d", t, dt_h / eta),
    ):
        rows += list(t)
        cols += list(k[nm] + col)
        vals += [coef] * nt
    a_eq = coo_matrix((vals, (rows, cols)), shape=(nt, nv)).tocsr()
    b_eq = np.full(nt, (1.0 - keep) * p.soc_min * e_cap)
    # inequalities: cg + cn ≤ P; with a cycle limit, each day's discharge ≤ N × usable energy
    ri, ci, vi, bi = list(t) + list(t), list(k["cg"] + t) + list(k["cn"] + t), [1.0] * (2 * nt), [p_cap] * nt
    nrow = nt
    if p.max_cycles_per_day is not None:
        day = t // round(24 / dt_h)
        ri += list(nrow + day)
        ci += list(k["d"] + t)
        vi += [dt_h] * nt
        nday = int(day[-1]) + 1
        bi += [p.max_cycles_per_day * (p.soc_max - p.soc_min) * e_cap] * nday
        nrow += nday
    if npeak:
        # grid_import_t ≤ peak of t's month: −d_t + c^n_t − peak_m ≤ −v_t
        month = np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)
        ri += list(nrow + t) * 3
        ci += list(k["d"] + t) + list(k["cn"] + t) + list(len(names) * nt + month)
        vi += [-1.0] * nt + [1.0] * nt + [-1.0] * nt
        bi += list(-deficit)
        nrow += nt
    a_ub = coo_matrix((vi, (ri, ci)), shape=(nrow, nv)).tocsr()
    lower = np.zeros(nv)
    upper = np.concatenate(
        [
            np.minimum(surplus, p_cap),
            np.full(nt, p_cap if grid_charging else 0.0),
            np.minimum(deficit, p_cap),
            np.full(nt, p.soc_max * e_cap),
            np.full(npeak, np.inf),
        ]
    )
    lower[k["soc"] : k["soc"] + nt] = p.soc_min * e_cap
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.array(bi),
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=np.stack([lower, upper], axis=1),
        method="highs-ds",
        options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9},
    )
    if not res.success:
        raise ConfigError(f"storage LP did not solve: {res.message}")
    x = res.x * 1000.0  # MW -> kW, MWh -> kWh
    # Clipped into the bounds the solver meets to its feasibility tolerance.
    g = {
        nm: np.clip(x[k[nm] : k[nm] + nt], lower[k[nm] : k[nm] + nt] * 1000.0, upper[k[nm] : k[nm] + nt] * 1000.0)
        for nm in names
    }
    flows = _flows(green_kw, load_kw, g["cg"], g["cn"], g["d"])
    demand = float(demand_cost(flows["grid_import"], starts, np.asarray(demand_charge))) if npeak else 0.0
    return {
        **flows,
        "grid_charge": g["cn"],
        "soc": g["soc"],
        "deficit": np.array(0.0),
        "objective": np.array(
            float(np.sum(price * flows["grid_import"])) * dt_h
            + demand
            + eps * float(np.sum(g["cg"] + g["cn"] + g["d"]))
        ),
    }


def cyclic_start(
    year: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    run: list[np.ndarray],
    first: np.ndarray,
    start: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    tol: np.ndarray,
) -> np.ndarray:
    """The cyclic start state of each case, ``F(s*) = s*``, by a safeguarded secant; all cases at once.

    Parameters
    ----------
    year : callable
        ``year(s, j)``: one green-first pass of cases ``j`` from start states ``s`` (kWh),
        returning charge, discharge and state of charge, each (len(j), time).
    run : list of three numpy.ndarray, shape (case, time)
        Charge, discharge and state of charge of the pass from ``start`` (two passes done:
        ``first`` → ``start`` → ``run``); replaced in place by the pass from the solved state.
    first, start : numpy.ndarray, shape (case,)
        Start states of the two passes done, kWh (``start`` is the first pass's end state).
    lo, hi, tol : numpy.ndarray, shape (case,)
        Lowest and highest state of charge, and the tolerance on ``F(s) − s``, kWh.

    Returns
    -------
    numpy.ndarray, shape (case,)
        The start state of the pass left in ``run``, kWh; its end state is within ``tol`` of it
        unless the solve ran out of :data:`CYCLIC_SOLVE_PASSES` passes.

    Notes
    -----
    The year's map ``F`` (start state → end state) is continuous, nondecreasing and piecewise
    affine: slope ``keep^n`` (``keep = 1 − σ dt``, ``n`` steps) where the trajectory touches no
    bound, flatter where it fills or empties. So ``g(s) = F(s) − s`` is nonincreasing, ``g(lo) ≥
    0 ≥ g(hi)`` brackets the root, and on the root's affine piece the secant through two passes is
    exact: ``s* = b / (1 − a)`` for ``F(s) = a s + b``. Each step takes the secant through the
    last two passes if it falls inside the bracket; else the bracket's end ``g`` points at if not
    yet run (``lo`` or ``hi``: a lossless store that never fills or empties has ``a = 1``); else
    regula falsi on the bracket; every fourth step bisects, so the bracket keeps shrinking. A case
    stops when ``|g| ≤ tol`` or its bracket is narrower than ``tol`` (then ``|g| ≤ tol`` too:
    ``g``'s slope is at least −1). Only the cases not yet settled run again.
    """
    s_best = start.copy()
    g_best = run[2][:, -1] - start
    left, g_left = lo.copy(), np.full(lo.size, np.nan)  # g(lo) ≥ 0: the bracket's ends, nan until run
    right, g_right = hi.copy(), np.full(lo.size, np.nan)  # g(hi) ≤ 0
    last = [np.stack([first, start]), np.stack([start - first, g_best])]  # the last two (s, g)
    for s, g in zip(*last, strict=True):
        up, down = g > 0, g < 0
        left, g_left = np.where(up, s, left), np.where(up, g, g_left)
        right, g_right = np.where(down, s, right), np.where(down, g, g_right)
    j = np.flatnonzero(np.abs(g_best) > tol)
    for step in range(CYCLIC_SOLVE_PASSES):
        if not j.size:
            break
        (s0, s1), (g0, g1) = last[0][:, j], last[1][:, j]
        lj, rj, glj, grj = left[j], right[j], g_left[j], g_right[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = s1 - g1 * (s1 - s0) / (g1 - g0)
            falsi = lj - glj * (rj - lj) / (grj - glj)
        toward, unrun = np.where(g1 > 0, rj, lj), np.isnan(np.where(g1 > 0, grj, glj))
        guess = np.where((secant > lj) & (secant < rj), secant, np.where(unrun, toward, falsi))
        bisect = ((step % 4 == 3) | ~((guess > lj) & (guess < rj))) & ~(unrun & (guess == toward))
        guess = np.where(bisect, 0.5 * (lj + rj), guess)
        ch, dis, so = year(guess, j)
        g = so[:, -1] - guess
        better = np.abs(g) < np.abs(g_best[j])
        for kept, new in zip(run, (ch, dis, so), strict=True):
            kept[j[better]] = new[better]
        s_best[j[better]], g_best[j[better]] = guess[better], g[better]
        up, down = g > 0, g < 0
        left[j], g_left[j] = np.where(up, guess, lj), np.where(up, g, glj)
        right[j], g_right[j] = np.where(down, guess, rj), np.where(down, g, grj)
        last[0][0, j], last[1][0, j] = s1, g1
        last[0][1, j], last[1][1, j] = guess, g
        j = j[(np.abs(g) > tol[j]) & (right[j] - left[j] > tol[j])]
    return s_best
