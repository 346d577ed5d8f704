"""Compiled kernels: the green-first storage recursion as one fused loop over (case, time).

:func:`green_first_reference` is the documented numpy reference (one time loop, each step a
vector operation over all cases); :func:`green_first` runs the same recursion, the same
operations in the same order, compiled by numba (``cache=True``: the machine code is written
to disk at the first call, so a later process loads it instead of compiling again). The
tests hold the kernel equal to the reference to 1e-12 on random cases.

Where the compiled code lives and when numba is imported: :mod:`twin.core.jit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from twin.core.jit import compiled

__all__ = ["green_first", "green_first_reference"]

Result = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def green_first_reference(
    net: np.ndarray,
    p_cap: np.ndarray,
    eta: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    keep: np.ndarray,
    daily_cap: np.ndarray,
    start: np.ndarray,
    tol: np.ndarray,
    steps_per_day: int,
    dt_h: float,
    passes: int,
) -> Result:
    """Green-first dispatch of the cases with a battery, cyclic year: the numpy reference.

    Parameters
    ----------
    net : numpy.ndarray, shape (case, time)
        Green supply minus load, kW.
    p_cap, eta, lo, hi, keep, daily_cap : numpy.ndarray, shape (case,)
        Power rating (kW), one-way efficiency √η_rt, lowest and highest state of charge (kWh),
        share kept per step ``1 − σ dt``, daily discharge limit (kWh; ``inf`` for none).
    start : numpy.ndarray, shape (case,)
        State of charge before the first step of the first pass, kWh.
    tol : numpy.ndarray, shape (case,)
        Distance (kWh) under which two states of charge count as equal.
    steps_per_day : int
        Steps per day (the cycle limit counts per day).
    dt_h : float
        Time step, h.
    passes : int
        Most passes over the year to reach the cyclic state of charge.

    Returns
    -------
    charge, discharge, soc : numpy.ndarray, shape (case, time)
        kW, kW and kWh at the end of each step.
    start : numpy.ndarray, shape (case,)
        The start state of the last pass, kWh (above the end state by what the year still lacks).

    Notes
    -----
    Each step: ``s = lo + (soc − lo) keep``; charge ``clip(min(net, P, (hi − s)/(η dt)), 0)``;
    discharge ``clip(min(−net, P, (s − lo) η/dt, room/dt), 0)`` with ``room`` the day's
    throughput left; ``soc = s + η c dt − d dt/η`` (:mod:`twin.supply.storage`). A pass that, at the
    start of a day, has met the previous pass's trajectory (every case within ``tol``) repeats
    it from there; passes stop when the year ends where it began (every case within ``tol``).
    """
    m, nt = net.shape
    prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for k in range(passes):
        ch, dis, so = (np.zeros((m, nt)) for _ in range(3))
        soc = start.copy()
        used_today = np.zeros(m)
        for t in range(nt):
            if t % steps_per_day == 0:
                # From a day start on, a pass that has met the previous one repeats it.
                if prev is not None and t > 0 and np.all(np.abs(soc - prev[2][:, t - 1]) <= tol):
                    ch[:, t:], dis[:, t:], so[:, t:] = prev[0][:, t:], prev[1][:, t:], prev[2][:, t:]
                    break
                used_today[:] = 0.0
            s = lo + (soc - lo) * keep
            n_t = net[:, t]
            c = np.clip(np.minimum(np.minimum(n_t, p_cap), (hi - s) / (eta * dt_h)), 0.0, None)
            room = np.maximum(daily_cap - used_today, 0.0)
            d = np.clip(np.minimum(np.minimum(-n_t, p_cap), np.minimum((s - lo) * eta / dt_h, room / dt_h)), 0.0, None)
            soc = s + eta * c * dt_h - d * dt_h / eta
            used_today += d * dt_h
            ch[:, t], dis[:, t], so[:, t] = c, d, soc
        prev = (ch, dis, so)
        end = so[:, -1]
        if k == passes - 1 or np.all(np.abs(end - start) <= tol):
            break  # the last pass's start stays: the caller compares it with the end
        start = end
    assert prev is not None  # passes ≥ 1
    return prev[0], prev[1], prev[2], start


def _loop(net, p_cap, eta, lo, hi, keep, daily_cap, start, tol, steps_per_day, dt_h, passes):
    """:func:`green_first_reference` written as scalar loops (compiled by :func:`green_first`)."""
    m, nt = net.shape
    bufs = np.zeros((2, 3, m, nt))  # two passes: the current one and the one before
    soc = np.empty(m)
    used = np.empty(m)
    start = start.copy()
    cur = 1
    have_prev = False
    for k in range(passes):
        cur = 1 - cur
        ch, dis, so = bufs[cur, 0], bufs[cur, 1], bufs[cur, 2]
        pch, pdis, pso = bufs[1 - cur, 0], bufs[1 - cur, 1], bufs[1 - cur, 2]
        for i in range(m):
            soc[i] = start[i]
        for t in range(nt):
            if t % steps_per_day == 0:
                if have_prev and t > 0:
                    met = True
                    for i in range(m):
                        if not abs(soc[i] - pso[i, t - 1]) <= tol[i]:
                            met = False
                            break
                    if met:
                        for i in range(m):
                            for u in range(t, nt):
                                ch[i, u] = pch[i, u]
                                dis[i, u] = pdis[i, u]
                                so[i, u] = pso[i, u]
                        break
                for i in range(m):
                    used[i] = 0.0
            for i in range(m):
                s = lo[i] + (soc[i] - lo[i]) * keep[i]
                x = net[i, t]
                c = min(min(x, p_cap[i]), (hi[i] - s) / (eta[i] * dt_h))
                c = max(c, 0.0)
                room = max(daily_cap[i] - used[i], 0.0)
                d = min(min(-x, p_cap[i]), min((s - lo[i]) * eta[i] / dt_h, room / dt_h))
                d = max(d, 0.0)
                soc[i] = s + eta[i] * c * dt_h - d * dt_h / eta[i]
                used[i] += d * dt_h
                ch[i, t] = c
                dis[i, t] = d
                so[i, t] = soc[i]
        have_prev = True
        done = True
        for i in range(m):
            if not abs(so[i, nt - 1] - start[i]) <= tol[i]:
                done = False
                break
        if done or k == passes - 1:
            break
        for i in range(m):
            start[i] = so[i, nt - 1]
    return bufs[cur, 0].copy(), bufs[cur, 1].copy(), bufs[cur, 2].copy(), start


def _compiled() -> Callable[..., Result]:
    return compiled(_loop)


def green_first(*args: Any) -> Result:
    """:func:`green_first_reference`, compiled: one fused loop over passes, time and cases.

    Same parameters (positional) and results. ``nogil``: threads running blocks of a sweep
    dispatch in parallel.
    """
    f = _compiled()
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in args[:9]]
    steps_per_day, dt_h, passes = args[9:]
    return f(*arrays, int(steps_per_day), float(dt_h), int(passes))
