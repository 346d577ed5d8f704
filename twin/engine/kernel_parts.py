"""The compiled building blocks every design kernel shares, and the arrays they work on.

A design kernel (:mod:`twin.engine.kernels`) runs hours outside and cases inside: per hour it
reads the block's hourly *state* (what depends on the weather and the cooling parameters only:
one column of an ``(n_state, time)`` matrix), then for every case of the block computes the
IT power, the design's own load part, the indoor losses and the transformer with the
:func:`~twin.core.jit.kernel_helper` functions below, and writes the hour's parts into the
rows of a small ``(N_HOUR, case)`` matrix; :func:`accumulate_hour` then adds that hour to the
year's sums. Every inner loop runs over contiguous case rows, so the compiler can use vector
instructions; nothing in them branches per element (flags are accumulated, the status is
decided after the hour).

Arrays a kernel receives (all C-contiguous float64 unless said):

* ``P`` ``(n_par, case)``: per-case parameters; rows :data:`SHARED_ROWS` first (filled by
  :func:`shared_rows`), then the design's own.
* ``S`` ``(n_state, time)``: the hourly state, shared by the cases of the call (a block whose
  state differs between cases runs once per group of equal state: :func:`state_groups`).
* ``U``, ``I``: utilisation (0–1) and installed IT (kW) as ``(time or 1, case or 1)``
  (:func:`by_hour`); :func:`fill_column` copies the hour's values into a case-long scratch row.
* the grid year (:class:`GridYear`): ``price`` and ``clean`` as ``(time or 1, case or 1)``,
  ``month`` (int64, time) the month's index from 0, ``day_end`` (bool, time) the last hour of
  each day, ``grid`` whether to take the grid sums at all.
* outputs: ``p_out`` ``(time, case)`` the hourly facility power (``(1, case)`` scratch when
  the caller does not need it), ``acc`` ``(N_ACC, case)`` the year's sums (rows
  :data:`ACC_NAMES`), ``peaks`` ``(n_months, case)`` each month's highest facility power.

Physical constants are arguments (a module constant is frozen into the compiled code).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from twin.core.jit import compiled, kernel_helper
from twin.engine.metrics import FACILITY_SUMS, GRID_SUMS

__all__ = [
    "ACC_NAMES",
    "CHAIN_ROWS",
    "CHUNK",
    "DESIGN_ROWS",
    "ELECTRICAL_ROWS",
    "IT_ROWS",
    "SHARED_ROWS",
    "Block",
    "GridYear",
    "accumulate_hour",
    "by_hour",
    "case_matrix",
    "electrical_hour",
    "facility_power",
    "fill_column",
    "indoor_losses",
    "it_power",
    "record_cooling",
    "run_kernel",
    "shared_rows",
    "state_groups",
]

CHUNK = 128
"""Hours summed before a partial sum joins the year's (as numpy's pairwise sums keep rounding small)."""

IT_ROWS = (
    "idle_fraction",
    "fan_share",
    "fan_speed_per_k",
    "leakage_per_k",
    "leakage_share",
    "inv_performance",
    "overclock",
)
"""Rows 0… of ``P``: :func:`twin.building.it_load.it_power`'s parameters (``inv_performance``:
1 / ``performance_factor``; ``overclock``: its ``overclock_power_factor``)."""
ELECTRICAL_ROWS = ("distribution_loss", "ups_x", "ups_r0", "ups_r1", "ups_r2", "p_misc", "tr_k", "tr_0")
"""The next rows: the electrical chain per case (:func:`shared_rows`): ``ups_x = (1 + d) / R``,
``ups_r<k> = R c<k>`` (R the UPS rating), ``p_misc`` kW, ``tr_k = n_l / R_t``, ``tr_0 = R_t n_0``."""
SHARED_ROWS = IT_ROWS + ELECTRICAL_ROWS
"""The rows every kernel's ``P`` starts with; a design's own rows follow from ``len(SHARED_ROWS)``."""

(R_IDLE, R_FAN_SHARE, R_FAN_K, R_LEAK_K, R_LEAK_SHARE, R_INV_PERF, R_OVERCLOCK) = range(7)
(R_DIST, R_UPS_X, R_UPS_R0, R_UPS_R1, R_UPS_R2, R_MISC, R_TR_K, R_TR_0) = range(7, 15)

DESIGN_ROWS = ("p_it", "p_cooling", "water", "out_of_envelope")
"""Rows of the matrix ``C`` (4, case) a design kernel's loop writes for the hour (:func:`record_cooling`)."""
CHAIN_ROWS = ("p_facility", "p_ups_loss", "p_transformer_loss")
"""Rows of the matrix ``E`` (3, case) :func:`electrical_hour` writes for the hour. Two matrices,
not one: a loop that reads rows of an array and writes other rows of it is not vectorised (the
distance between the rows is not known when compiling)."""
C_IT, C_COOL, C_WATER, C_OUT = range(4)
E_FAC, E_UPS, E_TR = range(3)

ACC_NAMES = (*FACILITY_SUMS, *GRID_SUMS)
"""Rows of ``acc``: :data:`twin.engine.metrics.FACILITY_SUMS` (``pue``: the highest hourly PUE),
then :data:`twin.engine.metrics.GRID_SUMS`."""
_DESIGN_TO_ACC = (1, 2, 8, 9)
_CHAIN_TO_ACC = (0, 3, 5)
A_IT, A_DIST, A_COMPUTE, A_PUE, A_PRICE, A_CLEAN, A_ISLAND, A_DAYS = 1, 4, 7, 10, 11, 12, 13, 14


@kernel_helper
def hour_scratch(m, acc):
    """What every design kernel fills each hour: utilisation, installed IT, price and clean share
    (case,); the matrices ``C`` and ``E``; the chunk's partial sums (as ``acc``); the day's
    all-islanded flags."""
    C = np.empty((len(DESIGN_ROWS), m))
    E = np.empty((len(CHAIN_ROWS), m))
    return np.empty(m), np.empty(m), np.empty(m), np.empty(m), C, E, np.zeros(acc.shape), np.ones(m)


@kernel_helper
def fill_hour(t, U, IT, price, clean, grid, u, inst, pr, cl):
    """Hour ``t``'s utilisation and installed IT into ``u``, ``inst`` (and, with ``grid``, its
    price and clean share into ``pr``, ``cl``), one value per case (:func:`fill_column`)."""
    fill_column(U, t, u)
    fill_column(IT, t, inst)
    if grid:
        fill_column(price, t, pr)
        fill_column(clean, t, cl)


@kernel_helper
def fill_column(a, t, out):
    """``out[:] = a[t]`` for a ``(time or 1, case or 1)`` array (a shared row or value broadcast)."""
    row = t if a.shape[0] > 1 else 0
    if a.shape[1] > 1:
        for i in range(out.size):
            out[i] = a[row, i]
    else:
        v = a[row, 0]
        for i in range(out.size):
            out[i] = v


@kernel_helper
def it_power(P, i, installed, u, t_inlet, t_chip, fans_kept, t_inlet_ref, t_chip_ref):
    """IT power of case ``i`` (:func:`twin.building.it_load.it_power`), kW: ``(p_it, p_server_fans)``.

    ``installed`` kW and ``u`` this hour; inlet and chip °C; ``fans_kept`` the share of server
    fans (1 air-cooled, 0 none); the reference inlet and chip temperatures °C.
    """
    load = (P[R_IDLE, i] + (1.0 - P[R_IDLE, i]) * u) * P[R_INV_PERF, i]
    p_core = installed * (1.0 - P[R_FAN_SHARE, i]) * load * P[R_OVERCLOCK, i]
    p_leak = p_core * max(P[R_LEAK_K, i] * (t_chip - t_chip_ref), -P[R_LEAK_SHARE, i])
    speed = 1.0 + P[R_FAN_K, i] * max(t_inlet - t_inlet_ref, 0.0)
    p_fans = installed * P[R_FAN_SHARE, i] * load * (speed * speed * speed) * fans_kept
    return p_core + p_leak + p_fans, p_fans


@kernel_helper
def indoor_losses(P, i, p_it):
    """Distribution, UPS and lighting/misc losses of case ``i`` at ``p_it`` kW
    (:func:`twin.building.electrical.indoor_losses`): ``(p_dist, p_ups, p_misc)``."""
    x = p_it * P[R_UPS_X, i]
    p_ups = (x * P[R_UPS_R2, i] + P[R_UPS_R1, i]) * x + P[R_UPS_R0, i]
    return p_it * P[R_DIST, i], p_ups, P[R_MISC, i]


@kernel_helper
def facility_power(P, i, p_it, p_dist, p_ups, p_misc, p_cool):
    """Transformer loss and facility power of case ``i``, kW (:func:`twin.building.electrical.electrical_losses`,
    :data:`twin.building.facility.POWER_PARTS` summed in their order): ``(p_tr, p_facility)``."""
    through = p_it + p_dist + p_ups + p_cool + p_misc
    p_tr = through * through * P[R_TR_K, i] + P[R_TR_0, i]
    return p_tr, p_it + p_cool + p_ups + p_dist + p_tr + p_misc


@kernel_helper
def record_cooling(C, i, p_it, p_cool, water, out):
    """Write case ``i``'s IT power, cooling power (kW), water (L/h) and out-of-envelope flag (0/1) into ``C``.

    A design kernel's loop over the cases writes these four rows and no more: a loop that
    writes more rows is not vectorised (too many runtime overlap checks).
    """
    C[C_IT, i] = p_it
    C[C_COOL, i] = p_cool
    C[C_WATER, i] = water
    C[C_OUT, i] = out


@kernel_helper
def electrical_hour(P, C, E):
    """The electrical chain of every case of the hour: from ``C``'s IT and cooling power, into ``E`` its
    distribution, UPS and transformer losses and the facility power (:func:`indoor_losses`,
    :func:`facility_power`). Returns how many cases are out of bounds (the reference decides,
    :func:`twin.building.facility.check_bounds`): IT power not positive, a part negative, PUE
    below 1, the facility power not finite."""
    n_bad = 0
    for i in range(C.shape[1]):
        p_it = C[C_IT, i]
        p_cool = C[C_COOL, i]
        p_dist, p_ups, p_misc = indoor_losses(P, i, p_it)
        p_tr, p_f = facility_power(P, i, p_it, p_dist, p_ups, p_misc, p_cool)
        E[E_FAC, i] = p_f
        E[E_UPS, i] = p_ups
        E[E_TR, i] = p_tr
        ok = (p_it > 0.0) & (p_cool >= 0.0) & (p_ups >= 0.0) & (p_dist >= 0.0) & (p_tr >= 0.0) & (p_misc >= 0.0)
        ok = ok & (p_f >= (1.0 - 1e-12) * p_it) & (p_f < math.inf)
        n_bad += 0 if ok else 1
    return n_bad


@kernel_helper
def accumulate_hour(t, C, E, part, acc, price, clean, month, day_end, grid, peaks, day_ok, p_out):
    """Add hour ``t`` (the hour's ``C`` and ``E``) to the year's sums.

    Sums run per chunk of :data:`CHUNK` hours in ``part`` (zeros, shaped as ``acc``; ``day_ok``
    ones, case-long) and join ``acc`` at the chunk's end; the highest hourly PUE; ``p_out[t]``
    the facility power when ``p_out`` has a row per hour. With ``grid`` also Σ p·price,
    Σ p·clean, the month's peak, islanded hours (no import: ``p ≤ 1e-6 p``) and 24-hour-green
    days, the import being the facility power.
    """
    m = C.shape[1]
    nt = month.size
    for i in range(m):
        acc[A_PUE, i] = max(acc[A_PUE, i], E[E_FAC, i] / C[C_IT, i])
    if p_out.shape[0] > 1:
        for i in range(m):
            p_out[t, i] = E[E_FAC, i]
    for k in range(len(DESIGN_ROWS)):  # part's rows are acc's
        a = _DESIGN_TO_ACC[k]
        for i in range(m):
            part[a, i] += C[k, i]
    for k in range(len(CHAIN_ROWS)):
        a = _CHAIN_TO_ACC[k]
        for i in range(m):
            part[a, i] += E[k, i]
    if grid:
        mo = month[t]
        for i in range(m):
            part[A_PRICE, i] += E[E_FAC, i] * price[i]
        for i in range(m):
            part[A_CLEAN, i] += E[E_FAC, i] * clean[i]
        for i in range(m):
            peaks[mo, i] = max(peaks[mo, i], E[E_FAC, i])
        for i in range(m):
            island = 1.0 if E[E_FAC, i] <= 1e-6 * E[E_FAC, i] else 0.0
            part[A_ISLAND, i] += island
            day_ok[i] = min(day_ok[i], island)
        if day_end[t]:
            for i in range(m):
                acc[A_DAYS, i] += day_ok[i]
                day_ok[i] = 1.0
    if (t + 1) % CHUNK == 0 or t == nt - 1:
        for a in range(A_ISLAND + 1):
            for i in range(m):
                acc[a, i] += part[a, i]
                part[a, i] = 0.0


def shared_rows(fac: Any, ele: Any, design_kw: Any, overclock: Any) -> list[Any]:
    """The :data:`SHARED_ROWS` of ``P`` from a block's columns (values broadcastable to (case, 1))."""
    rating = ele["ups_redundancy"] * design_kw
    rating_t = ele["transformer_rating_factor"] * design_kw
    return [
        *(fac[k] for k in IT_ROWS[:5]),
        1.0 / np.asarray(fac["performance_factor"], dtype=float),
        overclock,
        ele["distribution_loss"],
        (1.0 + ele["distribution_loss"]) / rating,
        rating * ele["ups_loss_no_load"],
        rating * ele["ups_loss_linear"],
        rating * ele["ups_loss_square"],
        ele["lighting_misc"] * design_kw,
        ele["transformer_load_loss"] / rating_t,
        rating_t * ele["transformer_no_load"],
    ]


def case_matrix(rows: Sequence[Any], m: int) -> np.ndarray:
    """``(len(rows), m)`` C-contiguous: each row a per-case value broadcast from (case, 1), (1, 1) or a scalar."""
    out = np.empty((len(rows), m))
    for k, r in enumerate(rows):
        out[k] = np.broadcast_to(np.asarray(r, dtype=float), (m, 1))[:, 0]
    return out


def by_hour(a: Any, m: int, nt: int) -> np.ndarray:
    """A value broadcastable to (case, time) as a C-contiguous ``(time or 1, case or 1)`` array
    (only the axes it varies along kept; :func:`fill_column` reads it)."""
    a = np.asarray(a, dtype=float)
    a = a.reshape((1,) * (2 - a.ndim) + a.shape)
    rows = m if a.shape[0] > 1 else 1
    hours = nt if a.shape[1] > 1 else 1
    return np.ascontiguousarray(np.broadcast_to(a, (rows, hours)).T)


def state_groups(state: Sequence[Any], m: int, nt: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The cases of a block grouped by equal hourly state: ``[(case indices, S (n_state, time))]``.

    ``state``: arrays broadcastable to (case, time). One group when every array is shared by
    the block (a row of (1, time)); else one per distinct set of rows (a packed block of a
    cooling-parameter sweep).
    """
    arrays = [
        np.broadcast_to(np.asarray(s, dtype=float), (np.shape(s)[0] if np.ndim(s) == 2 else 1, nt)) for s in state
    ]
    if all(a.shape[0] == 1 for a in arrays):
        return [(np.arange(m), np.ascontiguousarray(np.concatenate(arrays, axis=0)))]
    full = [np.broadcast_to(a, (m, nt)) for a in arrays]
    keys: dict[bytes, list[int]] = {}
    per_case = [k for k, a in enumerate(arrays) if a.shape[0] > 1]
    for i in range(m):
        keys.setdefault(b"".join(full[k][i].tobytes() for k in per_case), []).append(i)
    groups = []
    for idx in keys.values():
        S = np.ascontiguousarray(np.stack([f[idx[0]] for f in full]))
        groups.append((np.asarray(idx), S))
    return groups


@dataclasses.dataclass(frozen=True)
class GridYear:
    """The grid's hourly inputs of a block without green supply (:func:`accumulate_hour`)."""

    price: np.ndarray
    """CNY/kWh, ``(time or 1, case or 1)``."""
    clean: np.ndarray
    """Clean share of grid power 0–1, ``(time or 1, case or 1)``."""
    month: np.ndarray
    """int64 (time,): index of each hour's calendar month, from 0."""
    day_end: np.ndarray
    """bool (time,): the last hour of each calendar day."""

    @classmethod
    def of(cls, price: Any, clean: Any, month_starts: np.ndarray, day_starts: np.ndarray, m: int) -> GridYear:
        """From (case, time)-broadcastable price and clean share and the month and day starts."""
        nt = np.shape(price)[-1]
        month = np.zeros(nt, dtype=np.int64)
        month[month_starts[1:]] = 1
        day_end = np.zeros(nt, dtype=bool)
        day_end[np.r_[day_starts[1:], nt] - 1] = True
        return cls(by_hour(_rows_of(price), m, nt), by_hour(_rows_of(clean), m, nt), np.cumsum(month), day_end)


def _rows_of(a: Any) -> np.ndarray:
    """A (case, time) array with the case axis shrunk to one row when it is a broadcast view."""
    a = np.asarray(a, dtype=float)
    return a[:1] if a.ndim == 2 and a.strides[0] == 0 else a


Kernel = Callable[..., int]


def _year_sum(a: np.ndarray, nt: int) -> np.ndarray:
    """Sum over the year of a :func:`by_hour` array, per case (one value: times the hours)."""
    return np.ascontiguousarray(a.T).sum(axis=-1) if a.shape[0] > 1 else a[0] * nt  # pairwise, as numpy's


class Block(NamedTuple):
    """What a design's kernel driver (:data:`twin.engine.kernels.COMPILED_DESIGNS`) receives for one block."""

    design: Any
    """The :class:`~twin.building.cooling.Design`."""
    wx: Any
    """Weather arrays, (1 or case, time)."""
    fac: Any
    """:class:`~twin.building.it_load.ITParams` columns (:func:`twin.building.facility.stack_columns`)."""
    ele: Any
    """:class:`~twin.building.electrical.ElectricalParams` columns."""
    coo: Any
    """The design's parameter columns."""
    design_kw: Any
    """Design IT power, kW, (case or 1, 1)."""
    u: Any
    """Utilisation, broadcastable to (case, time)."""
    m: int
    """Cases in the block."""
    grid: GridYear | None
    """The grid's hourly inputs (a block without green supply: take the grid sums), or None."""
    want_hourly: bool
    """Whether the hourly facility power is needed (a block with a green plant)."""


def run_kernel(
    kernel: Kernel,
    P: np.ndarray,
    state: Sequence[Any],
    hourly: Sequence[Any],
    consts: np.ndarray,
    nt: int,
    grid: GridYear | None,
    want_hourly: bool,
) -> dict[str, Any] | None:
    """Run a design kernel over a block, once per group of equal state (:func:`state_groups`).

    ``kernel(P, S, U, I, consts, price, clean, month, day_end, grid, p_out, acc, peaks) -> status``
    (:mod:`twin.engine.kernels`); ``hourly`` = (utilisation, installed IT), broadcastable to
    (case, time). Returns ``sums`` ``{name: (case,)}`` for :data:`ACC_NAMES` (grid sums only
    with ``grid``), ``peaks`` (case, month) with ``grid``, and ``p_facility`` (case, time) with
    ``want_hourly`` (a transposed view); None when a group's status is not 0 (the reference runs).
    """
    f = compiled(kernel)
    m = P.shape[1]
    if grid is None:
        g = GridYear(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(nt, dtype=np.int64), np.zeros(nt, dtype=bool))
    else:
        g = grid
    n_months = int(g.month[-1]) + 1
    p_all = np.empty((nt, m)) if want_hourly else None
    acc_all = np.empty((len(ACC_NAMES), m))
    peaks_all = np.empty((n_months, m))
    for idx, S in state_groups(state, m, nt):
        whole = idx.size == m
        sub = P if whole else np.ascontiguousarray(P[:, idx])

        def cols(a: np.ndarray, idx: np.ndarray = idx, whole: bool = whole) -> np.ndarray:
            return a if whole or a.shape[1] == 1 else np.ascontiguousarray(a[:, idx])

        U, inst = (cols(by_hour(a, m, nt)) for a in hourly)
        p_out = np.empty((nt, idx.size)) if want_hourly else np.empty((1, idx.size))
        acc = np.zeros((len(ACC_NAMES), idx.size))
        acc[ACC_NAMES.index("pue")] = -np.inf
        peaks = np.full((n_months, idx.size), -np.inf)
        status = f(
            sub,
            S,
            U,
            inst,
            consts,
            cols(g.price),
            cols(g.clean),
            g.month,
            g.day_end,
            grid is not None,
            p_out,
            acc,
            peaks,
        )
        if status != 0:
            return None
        acc[ACC_NAMES.index("p_misc")] = sub[R_MISC] * nt
        acc[A_DIST] = sub[R_DIST] * acc[A_IT]  # p_dist = d p_it each hour
        acc[A_COMPUTE] = _year_sum(cols(by_hour(hourly[1] * hourly[0], m, nt)), nt)
        acc_all[:, idx] = acc
        peaks_all[:, idx] = peaks
        if p_all is not None:
            p_all[:, idx] = p_out
    names = ACC_NAMES if grid is not None else ACC_NAMES[: -len(GRID_SUMS)]
    out: dict[str, Any] = {"sums": {k: acc_all[j] for j, k in enumerate(names)}}
    if grid is not None:
        out["peaks"] = peaks_all.T
    if p_all is not None:
        out["p_facility"] = p_all.T
    return out
