"""Battery storage: parameters, the Minning preset, green-first dispatch and an LP optimum.

Bookkeeping as PyPSA does it, with an explicit step ``dt`` (h) and the recursion

``soc[t+1] = soc_min + (soc[t] − soc_min)(1 − σ dt) + η_c p_charge[t] dt − p_discharge[t] dt / η_d``

(energy in kWh, power in kW). Self-discharge acts on the usable energy above the reserve
``soc_min`` (an approximation: it keeps the state of charge inside its limits when the
battery stands idle; the reserve is topped up by the battery management, not modelled). The green-first rule is the only loop over time in the twin;
it runs over all cases at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.params import ConfigError, Params, param

__all__ = ["MINNING", "StorageParams", "dispatch_green_first", "dispatch_lp", "fade_factor"]

# LFP capacity retention at 1 cycle/day, 25 °C, 100 % DoD (BLASTLite)
_FADE_YEARS = (0.0, 1.0, 5.0, 10.0)
_FADE_RETENTION = (1.0, 0.976, 0.925, 0.876)


def fade_factor(age_years: float) -> float:
    """Remaining capacity share after ``age_years`` (LFP, linear between BLAST-Lite points)."""
    return float(np.interp(age_years, _FADE_YEARS, _FADE_RETENTION, right=_FADE_RETENTION[-1]))


@dataclass(frozen=True)
class StorageParams(Params):
    """A battery energy storage system."""

    section = "green.storage"

    power_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input")
    energy_mwh: float = param(0.0, 0.0, 1e6, units="MW h", source="input")
    round_trip_efficiency: float = param(0.88, 0.5, 1.0, source="Brief2025: 85–90 % AC-AC (unverified)")
    soc_min: float = param(0.05, 0.0, 1.0, source="assumption: share of energy rating")
    soc_max: float = param(0.95, 0.0, 1.0, source="assumption: share of energy rating")
    soc_initial: float = param(0.5, 0.0, 1.0, source="assumption: share of energy rating at the start of the year")
    self_discharge_per_h: float = param(0.0001, 0.0, 0.01, units="h-1", source="assumption: LFP ≈ 2–3 %/month")
    max_cycles_per_day: float | None = param(
        None, 0.01, 10.0, source="input (Minning: one full cycle a day, Karamay2025)", inherit="no limit"
    )
    age_years: float = param(0.0, 0.0, 30.0, units="year", source="BLASTLite: LFP capacity fade")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.soc_min > self.soc_max:
            raise ConfigError(f"green.storage.soc_min = {self.soc_min:g} is above soc_max = {self.soc_max:g}")
        if not self.soc_min <= self.soc_initial <= self.soc_max:
            raise ConfigError(f"green.storage.soc_initial = {self.soc_initial:g} must lie within soc_min … soc_max")


MINNING = StorageParams(power_mw=100.0, energy_mwh=200.0, max_cycles_per_day=1.0)
"""Datang Minning shared storage station, Yinchuan (Karamay2025): 100 MW / 200 MWh, one full
charge and one full discharge a day. Efficiency and SOC window are the defaults (assumptions)."""


def _arrays(p: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: np.broadcast_to(np.asarray(v, dtype=float).reshape(-1), (n,)).copy() for k, v in p.items()}


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
        with ``power_mw``/``energy_mwh`` already in MW/MWh.
    dt_h : float
        Time step, h.

    Returns
    -------
    dict of (case, time) arrays, kW or kWh
        ``charge``, ``discharge``, ``soc`` (kWh at the end of each step), ``green_direct``,
        ``grid_import``, ``surplus`` (green neither used nor stored).

    Notes
    -----
    Charging takes ``min(surplus, P, headroom / (η_c dt))``; discharging
    ``min(deficit, P, available η_d / dt, daily throughput left)``. With no cycle limit this
    rule minimises grid import (tests check it against :func:`dispatch_lp`).
    """
    nt = load_kw.shape[-1]
    # Cases come from the load, the supply or the storage sizes (one profile, many sizes).
    n = max(np.shape(load_kw)[0], np.shape(green_kw)[0], *(np.size(v) for v in p.values()))
    q = _arrays(p, n)
    fade = np.array([fade_factor(a) for a in q["age_years"]])
    e_cap = q["energy_mwh"] * 1000.0 * fade
    p_cap = q["power_mw"] * 1000.0
    eta = np.sqrt(q["round_trip_efficiency"])
    lo, hi = q["soc_min"] * e_cap, q["soc_max"] * e_cap
    soc = q["soc_initial"] * e_cap
    keep = 1.0 - q["self_discharge_per_h"] * dt_h
    daily_cap = np.where(q["max_cycles_per_day"] > 0, q["max_cycles_per_day"] * (hi - lo), np.inf)
    out = {k: np.zeros((n, nt)) for k in ("charge", "discharge", "soc")}
    green = np.broadcast_to(green_kw, (n, nt))
    load = np.broadcast_to(load_kw, (n, nt))
    # Only cases with a battery need the time loop; it runs over all of them at once.
    idx = np.flatnonzero(e_cap > 0)
    if idx.size:
        net_all = green[idx] - load[idx]
        p_cap, eta, lo, hi, keep, daily_cap = p_cap[idx], eta[idx], lo[idx], hi[idx], keep[idx], daily_cap[idx]
        soc = soc[idx]
        used_today = np.zeros(idx.size)
        steps_per_day = round(24 / dt_h)
        ch, dis, so = (np.zeros((idx.size, nt)) for _ in range(3))
        for t in range(nt):
            if t % steps_per_day == 0:
                used_today[:] = 0.0
            s = lo + (soc - lo) * keep
            net = net_all[:, t]
            c = np.clip(np.minimum(np.minimum(net, p_cap), (hi - s) / (eta * dt_h)), 0.0, None)
            room = np.maximum(daily_cap - used_today, 0.0)
            d = np.clip(np.minimum(np.minimum(-net, p_cap), np.minimum((s - lo) * eta / dt_h, room / dt_h)), 0.0, None)
            soc = s + eta * c * dt_h - d * dt_h / eta
            used_today += d * dt_h
            ch[:, t], dis[:, t], so[:, t] = c, d, soc
        out["charge"][idx], out["discharge"][idx], out["soc"][idx] = ch, dis, so
    direct = np.minimum(green, load)
    out["green_direct"] = direct
    out["grid_import"] = load - direct - out["discharge"]
    out["surplus"] = green - direct - out["charge"]
    return out


def dispatch_lp(
    green_kw: np.ndarray,
    load_kw: np.ndarray,
    p: StorageParams,
    *,
    price: np.ndarray | None = None,
    grid_charging: bool = False,
    dt_h: float = 1.0,
) -> dict[str, np.ndarray]:
    """Perfect-foresight dispatch of one case as a linear programme (HiGHS via scipy).

    Minimises ``Σ price · grid_import · dt`` (price 1 → minimum import) plus a tiny penalty on
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

    Returns
    -------
    dict of (time,) arrays
        As :func:`dispatch_green_first` (``grid_charge`` too), plus ``objective``.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    nt = load_kw.size
    price = np.ones(nt) if price is None else np.asarray(price, dtype=float)
    # Solved in MW and MWh (values near 1 help the solver); results are returned in kW, kWh.
    green_kw = np.asarray(green_kw, dtype=float) / 1000.0
    load_kw = np.asarray(load_kw, dtype=float) / 1000.0
    e_cap = p.energy_mwh * fade_factor(p.age_years)
    p_cap = p.power_mw
    eta = np.sqrt(p.round_trip_efficiency)
    keep = 1.0 - p.self_discharge_per_h * dt_h
    # variables: c_g (charge from green), c_n (charge from grid), d, soc, imp, spill; each nt long
    names = ("cg", "cn", "d", "soc", "imp", "spill")
    k = {nm: i * nt for i, nm in enumerate(names)}
    nv = len(names) * nt
    eps = 1e-6 * (float(np.max(price)) if price.size else 1.0)
    cost = np.zeros(nv)
    cost[k["imp"] : k["imp"] + nt] = price * dt_h
    cost[k["cg"] : k["cg"] + nt] = eps
    cost[k["cn"] : k["cn"] + nt] = eps
    cost[k["d"] : k["d"] + nt] = eps
    rows, cols, vals, b = [], [], [], []
    r = 0
    t = np.arange(nt)
    # green balance: cg + direct + spill = green; load balance: direct + d + imp − cn = load
    # with direct = green − cg − spill → (green − cg − spill) + d + imp − cn = load
    for nm, coef in (("cg", -1.0), ("spill", -1.0), ("d", 1.0), ("imp", 1.0), ("cn", -1.0)):
        rows += list(r + t)
        cols += list(k[nm] + t)
        vals += [coef] * nt
    b += list(load_kw - green_kw)
    r += nt
    # soc recursion: soc[t] − keep·soc[t−1] − η dt (cg + cn) + dt/η d = (1 − keep) soc_min
    # (soc[−1] = initial)
    rows += list(r + t)
    cols += list(k["soc"] + t)
    vals += [1.0] * nt
    rows += list(r + t[1:])
    cols += list(k["soc"] + t[:-1])
    vals += [-keep] * (nt - 1)
    for nm, coef in (("cg", -eta * dt_h), ("cn", -eta * dt_h), ("d", dt_h / eta)):
        rows += list(r + t)
        cols += list(k[nm] + t)
        vals += [coef] * nt
    rhs = np.full(nt, (1.0 - keep) * p.soc_min * e_cap)
    rhs[0] += keep * p.soc_initial * e_cap
    b += list(rhs)
    r += nt
    a_eq = coo_matrix((vals, (rows, cols)), shape=(r, nv)).tocsr()
    # inequalities: cg + cn ≤ P, d ≤ P, cg ≤ green
    ri, ci, vi, bi = [], [], [], []
    ri += list(t) + list(t)
    ci += list(k["cg"] + t) + list(k["cn"] + t)
    vi += [1.0] * (2 * nt)
    bi += [p_cap] * nt
    a_ub = coo_matrix((vi, (ri, ci)), shape=(nt, nv)).tocsr()
    bounds: list[tuple[float, float | None]] = []
    for nm in names:
        if nm == "cg":
            bounds += [(0.0, float(min(p_cap, g))) for g in np.maximum(green_kw, 0.0)]
        elif nm == "cn":
            bounds += [(0.0, p_cap if grid_charging else 0.0)] * nt
        elif nm == "d":
            bounds += [(0.0, p_cap)] * nt
        elif nm == "soc":
            bounds += [(p.soc_min * e_cap, p.soc_max * e_cap)] * nt
        elif nm == "spill":
            bounds += [(0.0, float(g)) for g in np.maximum(green_kw, 0.0)]
        else:
            bounds += [(0.0, None)] * nt
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.array(bi),
        A_eq=a_eq,
        b_eq=np.array(b),
        bounds=bounds,
        method="highs-ds",
        options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9},
    )
    if not res.success:
        raise ConfigError(f"storage LP did not solve: {res.message}")
    x = res.x * 1000.0  # MW -> kW, MWh -> kWh
    g = {nm: np.maximum(x[k[nm] : k[nm] + nt], 0.0) for nm in names}
    direct = green_kw * 1000.0 - g["cg"] - g["spill"]
    return {
        "charge": g["cg"] + g["cn"],
        "grid_charge": g["cn"],
        "discharge": g["d"],
        "soc": g["soc"],
        "green_direct": direct,
        "grid_import": g["imp"],
        "surplus": g["spill"],
        "objective": np.array(res.fun * 1000.0),
    }
