"""The compiled building blocks every design kernel shares, and the arrays they work on.

A design kernel (:mod:`twin.engine.kernels`) walks the year in *segments* of hours
(:func:`segment_starts`: each within one :data:`CHUNK` and one calendar month), hours outside
and the block's cases inside, **one loop over the cases per hour**. Per hour it reads the
hourly *state* (what depends on the weather and the cooling parameters only: one column of an
``(n_state, time)`` matrix) into scalars and fills the hour's per-case inputs (:func:`fill_hour`:
the IT power's parts that do not depend on temperature, :func:`it_load`, price and clean share); then for every case, in one straight-line body,
it reads the case's parameters (:func:`it_case`, :func:`electrical_case`, its own rows of
``P``), computes the IT power, the design's own load part, the indoor losses, the transformer
and the facility power, and adds the hour to the case's sums (:func:`open_sums`,
:func:`add_hour`, :func:`close_sums`): no intermediate arrays, no branches per element (flags
are counted, the status is decided after the segment), so the compiler vectorises the loop.
At a chunk's end :func:`end_chunk` adds the partial sums to the year's. (Free air's kernel
runs cases outside and each month's hours inside, on rows of the month: :func:`month_segments`,
:func:`fill_row`, :func:`fill_it_rows`, :func:`order_bits`.)

Why this shape (measured): a loop that writes rows of one 2-D array is vectorised only up to
about four rows (the distance between rows is not known when compiling: runtime overlap
checks); the sums are therefore separate arrays (``part``, a tuple) and the kernel is compiled
with its array arguments declared not to overlap (:func:`twin.core.jit.compiled` ``noalias``),
so no checks are needed. Helpers are inlined by numba (``inline="always"``); one that takes
arrays is called by the kernel itself, never by another helper (nested, or with the stores of
:func:`open_sums`, :func:`add_hour`, :func:`close_sums` merged into one helper, the loop was
no longer vectorised: 32 against 9 ns per case-hour).

Arrays a kernel receives (all C-contiguous float64 unless said):

* ``P`` ``(n_par, case)``: per-case parameters; rows :data:`SHARED_ROWS` first (filled by
  :func:`shared_rows`), then the design's own.
* ``S`` ``(n_state, time)``: the hourly state, shared by the cases of the call (a block whose
  state differs between cases runs once per group of equal state: :func:`state_groups`).
* ``U``, ``I``: utilisation (0–1) and installed IT (kW) as ``(time or 1, case or 1)``
  (:func:`by_hour`); :func:`fill_hour` puts one hour's :func:`it_load` of them into ``H``
  (when they change: once a year when neither has an hour axis).
* the grid year (:class:`GridYear`): ``price`` and ``clean`` as ``(time or 1, case or 1)``
  (zeros ``(1, 1)`` for a block without one), ``month`` (int64, time) the month's index from 0.
* outputs: ``p_out`` ``(time, case)`` the hourly facility power (``(1, case)`` scratch when
  the caller does not need it), ``acc`` ``(len(ACC_NAMES), case)`` the year's sums (rows
  :data:`ACC_NAMES`; the kernel fills the highest hourly PUE and, by :func:`end_chunk`, the
  :data:`PART_ROWS`; :func:`run_kernel` the rest), ``peaks`` ``(n_months, case)`` each month's
  highest facility power, ``part`` the :data:`PART_ROWS` as a tuple of case-long zeros.

Physical constants are arguments (a module constant is frozen into the compiled code).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from twin.core.jit import compiled, kernel_helper, kernel_intrinsic
from twin.engine.metrics import FACILITY_SUMS, GRID_SUMS

__all__ = [
    "ACC_NAMES",
    "CHUNK",
    "ELECTRICAL_ROWS",
    "IT_ROWS",
    "MAX_FLOAT",
    "MONTH_HOURS",
    "PART_ROWS",
    "SHARED_ROWS",
    "Block",
    "GridYear",
    "StateMemo",
    "add_hour",
    "by_hour",
    "case_matrix",
    "close_sums",
    "column_cut",
    "compiled_kernel",
    "electrical_case",
    "electrical_chain",
    "end_chunk",
    "facility_power",
    "fill_column",
    "fill_hour",
    "fill_it",
    "fill_it_rows",
    "fill_row",
    "hourly_state",
    "indoor_losses",
    "it_case",
    "it_load",
    "it_power",
    "kernel_scratch",
    "month_segments",
    "open_sums",
    "order_bits",
    "order_value",
    "per_case",
    "read_only",
    "reassociating",
    "rows_nonnegative",
    "run_kernel",
    "run_kernel_parts",
    "segment_starts",
    "shared_rows",
    "state_groups",
    "value_key",
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

MAX_FLOAT = float(np.finfo(float).max)
"""The largest finite float: ``x <= MAX_FLOAT`` is "finite" for ``x ≥ 0`` (``x < inf`` beside
another comparison becomes a floating-point class test that the compiler does not vectorise)."""

ACC_NAMES = (*FACILITY_SUMS, *GRID_SUMS)
"""Rows of ``acc``: :data:`twin.engine.metrics.FACILITY_SUMS` (``pue``: the highest hourly PUE),
then :data:`twin.engine.metrics.GRID_SUMS`."""
A_FAC, A_IT, A_COOL, A_UPS, A_DIST, A_TR, A_MISC, A_COMPUTE, A_WATER, A_OUT, A_PUE = range(11)
A_PRICE, A_CLEAN, A_ISLAND, A_DAYS = range(11, 15)

PART_ROWS = (
    "p_it",
    "p_cooling",
    "water",
    "out_of_envelope",
    "p_ups_loss",
    "p_transformer_loss",
    "import_price",
    "load_clean",
)
"""The sums a kernel adds every hour, per case: ``part``, a tuple of case-long arrays (one
argument each, so that the compiler knows they do not overlap), the current chunk's partial
sums (:func:`end_chunk` adds them to ``acc``). The facility power's sum is not among them: it
is the sum of its parts' sums (:func:`run_kernel`)."""
_PART_TO_ACC = (A_IT, A_COOL, A_WATER, A_OUT, A_UPS, A_TR, A_PRICE, A_CLEAN)


@kernel_helper
def segment_starts(month):
    """Where the hour segments of a kernel start, and the year's end: every :data:`CHUNK` hours
    and every month start (``month`` int64, time); a segment lies within one chunk and one month."""
    nt = month.size
    out = np.empty(nt + 1, dtype=np.int64)
    n = 0
    for t in range(nt):
        if (t % CHUNK == 0) or (month[t] != month[t - 1]):
            out[n] = t
            n += 1
    out[n] = nt
    return out[: n + 1]


MONTH_HOURS = 744
"""Hours in the longest calendar month: the longest segment of :func:`month_segments`."""


@kernel_helper
def month_segments(month):
    """Where each calendar month of ``month`` (int64, time) starts, and the year's end; a run
    of one month index (a block without a grid year: all zeros) cut every :data:`MONTH_HOURS`,
    so that a segment's rows stay in the cache and its sums short."""
    nt = month.size
    out = np.empty(nt + 1, dtype=np.int64)
    n = 0
    for t in range(nt):
        if t == 0 or month[t] != month[t - 1] or t - out[n - 1] >= MONTH_HOURS:
            out[n] = t
            n += 1
    out[n] = nt
    return out[: n + 1]


def _bitcast(to_int: bool) -> Any:
    """A numba intrinsic reinterpreting a float64's bits as an int64 (``to_int``) or back."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    src, dst, llvm = (
        (types.float64, types.int64, ir.IntType(64)) if to_int else (types.int64, types.float64, ir.DoubleType())
    )

    def bitcast(typingctx: Any, x: Any) -> Any:
        return dst(src), lambda context, builder, sig, args: builder.bitcast(args[0], llvm)

    bitcast.__name__ = "order_bits" if to_int else "order_value"
    return intrinsic(bitcast)


@kernel_intrinsic(lambda: _bitcast(True))
def order_bits(x):
    """``x``'s bits as an int64, whose order is ``x``'s among values > 0 and -inf (below them
    all); a kernel's running maximum of positive values kept this way is an integer maximum,
    which the compiler vectorises without assuming anything of NaN (:func:`order_value` reads it back)."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


@kernel_intrinsic(lambda: _bitcast(False))
def order_value(b):
    """The float64 whose bits are the int64 ``b`` (the inverse of :func:`order_bits`)."""
    return float(np.array(b, dtype=np.int64).view(np.float64))


@kernel_helper
def kernel_scratch(month, p_out, m):
    """What a kernel's loops need: ``H`` ``(4, m)`` the hour's :func:`it_load` (core, fans), price
    and clean share per case (:func:`fill_hour`), the segments (:func:`segment_starts`), and 1
    when ``p_out`` has a row per hour (0: one row of scratch)."""
    return np.empty((4, m)), segment_starts(month), 1 if p_out.shape[0] > 1 else 0


@kernel_helper
def fill_hour(t, P, U, IT, price, clean, H):
    """Hour ``t``'s per-case inputs into the rows of ``H`` (:func:`kernel_scratch`): the IT
    power's two parts that do not depend on temperature (:func:`it_load` of the hour's
    utilisation and installed IT), price and clean share (:func:`fill_column`). An array without
    an hour axis (one row for the year) is read at the year's first hour only, as it holds the
    same values in every hour; the IT parts are computed again when the utilisation or the
    installed IT has an hour axis."""
    fill_it(t, P, U, IT, H[0], H[1])
    if t == 0 or price.shape[0] > 1:
        fill_column(price, t, H[2])
    if t == 0 or clean.shape[0] > 1:
        fill_column(clean, t, H[3])


@kernel_helper
def fill_it(t, P, U, IT, core, fans):
    """Hour ``t``'s :func:`it_load` of every case into ``core`` and ``fans`` (kW, (case,)), from
    the utilisation ``U`` and installed IT ``IT`` (``(time or 1, case or 1)``); computed at the
    year's first hour only when neither has an hour axis."""
    if t == 0 or U.shape[0] > 1 or IT.shape[0] > 1:
        fill_column(U, t, core)
        fill_column(IT, t, fans)
        for i in range(core.size):
            core[i], fans[i] = it_load(P, i, fans[i], core[i])


@kernel_helper
def fill_row(a, t0, n, i, out):
    """``out[j] = a[t0 + j, i]`` for the ``n`` hours from ``t0`` of case ``i`` of a ``(time or 1,
    case or 1)`` array (a shared row or value broadcast)."""
    col = i if a.shape[1] > 1 else 0
    if a.shape[0] > 1:
        for j in range(n):
            out[j] = a[t0 + j, col]
    else:
        v = a[0, col]
        for j in range(n):
            out[j] = v


@kernel_helper
def fill_it_rows(P, U, IT, t0, n, i, core, fans):
    """Case ``i``'s :func:`it_load` (core, fans kW) in the ``n`` hours from ``t0`` into ``core``
    and ``fans``, from the utilisation ``U`` and installed IT ``IT`` (``(time or 1, case or 1)``;
    computed once when neither has an hour axis)."""
    cu, ci = (i if U.shape[1] > 1 else 0), (i if IT.shape[1] > 1 else 0)
    if U.shape[0] == 1 and IT.shape[0] == 1:
        c, f = it_load(P, i, IT[0, ci], U[0, cu])
        for j in range(n):
            core[j] = c
            fans[j] = f
    else:
        for j in range(n):
            t = t0 + j
            core[j], fans[j] = it_load(P, i, IT[t if IT.shape[0] > 1 else 0, ci], U[t if U.shape[0] > 1 else 0, cu])


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
def it_load(P, i, installed, u):
    """Case ``i``'s IT power before its temperature terms, kW: ``(core, fans)``, the chips' power
    before leakage and the server fans' at full speed (:func:`twin.building.it_load.it_power`'s
    ``p_core`` and its fan power over the speed cubed), at ``installed`` kW and utilisation ``u``
    (rows :data:`IT_ROWS` of ``P``). :func:`it_power` completes them; the products are taken in
    the reference's order, so the IT power is the same to the bit."""
    idle, fan_share = P[R_IDLE, i], P[R_FAN_SHARE, i]
    load = (idle + (1.0 - idle) * u) * P[R_INV_PERF, i]
    return installed * (1.0 - fan_share) * load * P[R_OVERCLOCK, i], installed * fan_share * load


@kernel_helper
def it_case(P, i):
    """Case ``i``'s temperature terms of :data:`IT_ROWS` (fan speed and leakage per K, leakage
    floor) as a tuple of scalars (for :func:`it_power`)."""
    return P[R_FAN_K, i], P[R_LEAK_K, i], P[R_LEAK_SHARE, i]


@kernel_helper
def electrical_case(P, i):
    """Case ``i``'s :data:`ELECTRICAL_ROWS` of ``P`` as a tuple of scalars (for :func:`indoor_losses`,
    :func:`electrical_chain`)."""
    return (
        P[R_DIST, i],
        P[R_UPS_X, i],
        P[R_UPS_R0, i],
        P[R_UPS_R1, i],
        P[R_UPS_R2, i],
        P[R_MISC, i],
        P[R_TR_K, i],
        P[R_TR_0, i],
    )


@kernel_helper
def it_power(it, core, fans, t_inlet, t_chip, fans_kept, t_inlet_ref, t_chip_ref):
    """IT power of one case (:func:`twin.building.it_load.it_power`), kW: ``(p_it, p_server_fans)``.

    ``it`` the case's :func:`it_case`; ``core`` and ``fans`` kW its :func:`it_load` this hour;
    inlet and chip °C; ``fans_kept`` the share of server fans (1 air-cooled, 0 none); the
    reference inlet and chip temperatures °C.
    """
    fan_k, leak_k, leak_share = it
    p_leak = core * max(leak_k * (t_chip - t_chip_ref), -leak_share)
    speed = 1.0 + fan_k * max(t_inlet - t_inlet_ref, 0.0)
    p_fans = fans * (speed * speed * speed) * fans_kept
    return core + p_leak + p_fans, p_fans


@kernel_helper
def indoor_losses(el, p_it):
    """Distribution, UPS and lighting/misc losses of one case at ``p_it`` kW (``el`` its
    :func:`electrical_case`; :func:`twin.building.electrical.indoor_losses`): ``(p_dist, p_ups, p_misc)``."""
    dist, ups_x, r0, r1, r2, misc = el[0], el[1], el[2], el[3], el[4], el[5]
    x = p_it * ups_x
    p_ups = (x * r2 + r1) * x + r0
    return p_it * dist, p_ups, misc


@kernel_helper
def facility_power(el, p_it, p_dist, p_ups, p_misc, p_cool):
    """Transformer loss and facility power of one case, kW (:func:`twin.building.electrical.electrical_losses`,
    :data:`twin.building.facility.POWER_PARTS` summed in their order): ``(p_tr, p_facility)``;
    ``el`` the case's :func:`electrical_case`. :func:`electrical_chain` is this and its bounds."""
    tr_k, tr_0 = el[6], el[7]
    through = p_it + p_dist + p_ups + p_cool + p_misc
    p_tr = through * through * tr_k + tr_0
    return p_tr, p_it + p_cool + p_ups + p_dist + p_tr + p_misc


@kernel_helper
def rows_nonnegative(P, lo, hi):
    """1 when every value of the rows ``lo:hi`` of ``P`` is ≥ 0 (none NaN), else 0."""
    ok = True
    for r in range(lo, hi):
        for i in range(P.shape[1]):
            ok = ok and P[r, i] >= 0.0
    return 1 if ok else 0


@kernel_helper
def electrical_chain(el, p_it, p_dist, p_ups, p_misc, p_cool):
    """Transformer loss and facility power of one case, kW (:func:`twin.building.electrical.electrical_losses`,
    :data:`twin.building.facility.POWER_PARTS` summed in their order), and 1 when the hour is out
    of bounds (the reference decides, :func:`twin.building.facility.check_bounds`: IT power not
    positive, a part negative, PUE below 1, the facility power not finite), else 0:
    ``(p_tr, p_facility, bad)``."""
    p_tr, p_f = facility_power(el, p_it, p_dist, p_ups, p_misc, p_cool)
    ok = (p_it > 0.0) & (p_cool >= 0.0) & (p_ups >= 0.0) & (p_dist >= 0.0) & (p_tr >= 0.0) & (p_misc >= 0.0)
    ok = ok & (p_f >= (1.0 - 1e-12) * p_it) & (p_f <= MAX_FLOAT)
    return p_tr, p_f, 0 if ok else 1


@kernel_helper
def open_sums(part, acc, peaks, mo, i):
    """Case ``i``'s running sums: the :data:`PART_ROWS` of ``part``, the highest hourly PUE
    (``acc``'s row) and the peak of month ``mo`` (``peaks``), a tuple of scalars for :func:`add_hour`."""
    s_it, s_cool, s_w, s_out, s_ups, s_tr, s_pr, s_cl = part
    return (s_it[i], s_cool[i], s_w[i], s_out[i], s_ups[i], s_tr[i], s_pr[i], s_cl[i], acc[A_PUE, i], peaks[mo, i])


@kernel_helper
def add_hour(s, p_it, p_cool, water, out, p_f, p_ups, p_tr, price, clean):
    """The running sums ``s`` (:func:`open_sums`) with one more hour of one case: IT, cooling,
    UPS and transformer power kW, water L/h, out of envelope 0/1, Σ p·price and Σ p·clean share
    (the import being the facility power ``p_f``; both 0 without a grid year), the highest
    hourly PUE, the month's peak."""
    s_it, s_cool, s_w, s_out, s_ups, s_tr, s_pr, s_cl, pue, peak = s
    return (
        s_it + p_it,
        s_cool + p_cool,
        s_w + water,
        s_out + out,
        s_ups + p_ups,
        s_tr + p_tr,
        s_pr + p_f * price,
        s_cl + p_f * clean,
        max(pue, p_f / p_it),
        max(peak, p_f),
    )


@kernel_helper
def close_sums(part, acc, peaks, mo, i, s):
    """Store case ``i``'s running sums ``s`` (the inverse of :func:`open_sums`)."""
    s_it, s_cool, s_w, s_out, s_ups, s_tr, s_pr, s_cl = part
    s_it[i], s_cool[i], s_w[i], s_out[i] = s[0], s[1], s[2], s[3]
    s_ups[i], s_tr[i], s_pr[i], s_cl[i] = s[4], s[5], s[6], s[7]
    acc[A_PUE, i], peaks[mo, i] = s[8], s[9]


@kernel_helper
def end_chunk(part, acc, t_end, nt):
    """At a chunk's end (the segment ending before hour ``t_end`` of ``nt`` closes one: every
    :data:`CHUNK` hours, as numpy's pairwise sums keep rounding small) add the partial sums to
    the year's ``acc`` and clear them."""
    if (t_end % CHUNK == 0) or (t_end == nt):
        for k in range(len(_PART_TO_ACC)):
            row = acc[_PART_TO_ACC[k]]
            p = part[k]
            for i in range(p.size):
                row[i] += p[i]
                p[i] = 0.0


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
        a = np.asarray(r, dtype=float)
        out[k] = a.reshape(-1) if a.size > 1 else a.reshape(())  # (case, 1) a column, else one value
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

    ``state``: arrays broadcastable to (case, time), or the block's ``(n_state, time)`` float
    matrix itself (taken as it is, not copied: a kernel never writes to ``S``). One group when
    every array is shared by the block (a row of (1, time)); else one per distinct set of rows
    (a packed block of a cooling-parameter sweep).
    """
    if isinstance(state, np.ndarray) and state.shape[1:] == (nt,) and state.dtype == np.float64:
        return [(np.arange(m), np.ascontiguousarray(state))]
    if all(np.ndim(s) < 2 or np.shape(s)[0] == 1 for s in state):  # one state for the block: rows copied in
        S = np.empty((len(state), nt))
        for k, s in enumerate(state):
            S[k] = np.reshape(s, -1) if np.size(s) > 1 else np.reshape(s, ())
        return [(np.arange(m), S)]
    arrays = [
        np.broadcast_to(np.asarray(s, dtype=float), (np.shape(s)[0] if np.ndim(s) == 2 else 1, nt)) for s in state
    ]
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
    """The grid's hourly inputs of a block without green supply (:func:`run_kernel`)."""

    price: np.ndarray
    """CNY/kWh, ``(time or 1, case or 1)``."""
    clean: np.ndarray
    """Clean share of grid power 0–1, ``(time or 1, case or 1)``."""
    month: np.ndarray
    """int64 (time,): index of each hour's calendar month, from 0."""
    day_end: np.ndarray
    """bool (time,): the last hour of each calendar day (a kernel needs no day: see :func:`run_kernel`)."""

    @classmethod
    def of(cls, price: Any, clean: Any, month_starts: np.ndarray, day_starts: np.ndarray, m: int) -> GridYear:
        """From (case, time)-broadcastable price and clean share and the month and day starts."""
        nt = np.shape(price)[-1]
        month = np.zeros(nt, dtype=np.int64)
        month[month_starts[1:]] = 1
        day_end = np.zeros(nt, dtype=bool)
        day_end[np.r_[day_starts[1:], nt] - 1] = True
        return cls(by_hour(_rows_of(price), m, nt), by_hour(_rows_of(clean), m, nt), np.cumsum(month), day_end)

    def cases(self, start: int, stop: int) -> GridYear:
        """The grid year of the cases ``start:stop`` (a part of the block it was made for)."""

        def cut(a: np.ndarray) -> np.ndarray:
            return (
                a if a.shape[1] == 1 or (start == 0 and stop == a.shape[1]) else np.ascontiguousarray(a[:, start:stop])
            )

        return dataclasses.replace(self, price=cut(self.price), clean=cut(self.clean))


def _rows_of(a: Any) -> np.ndarray:
    """A (case, time) array with the case axis shrunk to one row when it is a broadcast view."""
    a = np.asarray(a, dtype=float)
    return a[:1] if a.ndim == 2 and a.strides[0] == 0 else a


Kernel = Callable[..., int]


REASSOCIATE = "__twin_reassociate__"
"""Attribute of a design kernel compiled with its sums reassociated (:func:`compiled_kernel`)."""


def reassociating(kernel: Kernel) -> Kernel:
    """Mark a design kernel to be compiled with its sums reassociated (:func:`compiled_kernel`)."""
    setattr(kernel, REASSOCIATE, True)
    return kernel


def compiled_kernel(kernel: Kernel) -> Callable[..., int]:
    """A design kernel as :func:`run_kernel` runs it: compiled (:func:`twin.core.jit.compiled`)
    with its array arguments declared not to overlap (run_kernel gives each call its own), and
    its sums reassociated when it is marked so (:data:`REASSOCIATE`: its loops over hours sum
    in vector lanes)."""
    return compiled(kernel, noalias=True, reassociate=getattr(kernel, REASSOCIATE, False))


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
    weather: tuple[int, ...] | None = None
    """The block's sites in the run (one index when its cases share a site), for ``states``."""
    states: StateMemo | None = None
    """The run's memo of hourly states (:func:`hourly_state`), or None (compute each block's)."""
    parts: tuple[tuple[int, int], ...] | None = None
    """A batch of the plan's blocks in one call (:func:`run_kernel_parts`): each block's
    ``(start, stop)`` among the cases, or None (one block)."""
    run: Callable[[list[Any], Callable[[Any, Any], None]], None] | None = None
    """How a batch's blocks run (``run(items, fn)``, e.g. on threads), or None (in turn)."""


class StateMemo:
    """The hourly states of one run (one :func:`twin.engine.simulate.annual_kpis` call), each
    computed once per distinct input and shared by the blocks that read the same.

    Lives as long as the call: no state outlives the run, so no result depends on what a
    process ran before. Holds at most ``limit`` states (the least recently asked for dropped
    first: the plan puts the blocks of one state next to each other), so memory stays at a few states whatever the
    number of blocks. Thread-safe (blocks run on threads); a state is computed once even when
    two blocks ask for it at the same time.
    """

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """``fn()``, computed at the first call with ``key`` and the same object returned after
        (while it is among the ``limit`` latest)."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    self._values[key] = self._values.pop(key)  # the latest asked for
                    return self._values[key]
            value = fn()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.limit:
                    old = next(iter(self._values))
                    del self._values[old]
                    self._locks.pop(old, None)
            return value


def value_key(v: Any) -> Hashable:
    """A hashable key equal for equal values: arrays by shape, type and bytes, mappings and
    sequences item by item, other values as themselves."""
    if isinstance(v, np.ndarray):
        return (v.shape, v.dtype.str, v.tobytes())
    if isinstance(v, Mapping):
        return tuple((k, value_key(v[k])) for k in sorted(v))
    if isinstance(v, list | tuple):
        return tuple(value_key(x) for x in v)
    return v


def column_cut(a: Any, start: int, stop: int) -> Any:
    """The cases ``start:stop`` of a (case, 1) parameter column: (1, 1) when they are all equal,
    as a block of those cases alone has it; a value shared by every case as it is."""
    if not isinstance(a, np.ndarray) or a.shape[0] == 1:
        return a
    a = a[start:stop]
    return a[:1] if bool(np.all(a == a[0])) else a


def per_case(v: Any) -> bool:
    """Whether ``v`` (arrays, mappings and sequences of them) holds a column that differs per case."""
    if isinstance(v, np.ndarray):
        return v.ndim >= 1 and v.shape[0] > 1
    if isinstance(v, Mapping):
        return any(per_case(x) for x in v.values())
    if isinstance(v, list | tuple):
        return any(per_case(x) for x in v)
    return False


def hourly_state(block: Block, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(block.wx, *args)``: a design's hourly state (what depends on the weather and the
    cooling parameters only), computed once per run for equal weather and ``args``
    (:class:`StateMemo`) when the block carries the run's memo and its cases share one site and
    one set of those parameters (a block whose state differs per case computes its own: it is
    as large as the block and no other block has it), else computed here.

    The result is shared by the blocks: it is never written to. ``args`` are everything
    ``fn`` reads besides the weather (the cooling columns after the hall's air management, the
    design heat…).
    """
    if block.states is None or block.weather is None or len(block.weather) != 1 or per_case(args):
        return fn(block.wx, *args)
    key = (fn.__module__, fn.__qualname__, block.weather, value_key(args))
    return block.states.get(key, lambda: fn(block.wx, *args))


def read_only(a: np.ndarray) -> np.ndarray:
    """``a`` as a kernel receives its state ``S``: read-only (a read-only view of a writable
    array, the array itself if it is read-only already). Every state reaches a kernel read-only,
    whether computed for the call or shared from a memo
    (:func:`~twin.engine.design_kernels.weather_air_states`): each kernel is compiled for one
    type of ``S`` (numba specialises on the flag), and a write to it does not compile."""
    if not a.flags.writeable:
        return a
    v = a.view()
    v.flags.writeable = False
    return v


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

    ``kernel(P, S, U, I, consts, price, clean, month, p_out, acc, peaks, part) -> status``
    (:mod:`twin.engine.kernels`); ``hourly`` = (utilisation, installed IT), broadcastable to
    (case, time). Returns ``sums`` ``{name: (case,)}`` for :data:`ACC_NAMES` (grid sums only
    with ``grid``), ``peaks`` (case, month) with ``grid``, and ``p_facility`` (case, time) with
    ``want_hourly`` (a transposed view); None when a group's status is not 0 (the reference runs).
    :func:`run_kernel_parts` of one part.
    """
    m = P.shape[1]
    return run_kernel_parts(kernel, P, [((0, m), state)], hourly, consts, nt, grid, want_hourly)[0]


def run_kernel_parts(
    kernel: Kernel,
    P: np.ndarray,
    parts: Sequence[tuple[tuple[int, int], Any]],
    hourly: Sequence[Any],
    consts: np.ndarray,
    nt: int,
    grid: GridYear | None,
    want_hourly: bool,
    run: Callable[[list[Any], Callable[[Any, Any], None]], None] | None = None,
) -> list[dict[str, Any] | None]:
    """:func:`run_kernel` over a batch of consecutive parts (the plan's blocks) at once: ``P``,
    ``hourly`` and ``grid`` are the batch's, ``parts`` ``[((start, stop), state)]`` each part's
    cases and hourly state (its own groups of equal state, :func:`state_groups`), or a function
    ``state(start, stop)`` that computes it (then on ``run``'s threads too). Returns each
    part's result (or None: that part needs the reference), as :func:`run_kernel` of the part
    alone would (the same arrays for the kernel, so the same bits). ``run(items, fn)`` calls
    ``fn(j, item)`` for every part (e.g. on threads; default: in turn).

    The kernel is compiled with its array arguments declared not to overlap (``noalias``): each
    call gets arrays of its own. What the kernel does not sum: the facility power's sum is its
    parts' (IT, cooling, UPS, distribution, transformer, lighting/misc, as the hourly value is
    summed); the distribution loss is ``d`` × Σ IT power; islanded hours and 24-hour-green days
    are 0, because a block the kernel completes has a positive facility power in every hour
    (the bounds it checks: IT power > 0, PUE ≥ 1), all of it imported.
    """
    f = compiled_kernel(kernel)
    m = P.shape[1]
    if grid is None:
        g = GridYear(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(nt, dtype=np.int64), np.zeros(nt, dtype=bool))
    else:
        g = grid
    n_months = int(g.month[-1]) + 1
    names = ACC_NAMES if grid is not None else ACC_NAMES[: -len(GRID_SUMS)]
    U_all, inst_all = (by_hour(a, m, nt) for a in hourly)
    out: list[dict[str, Any] | None] = [None] * len(parts)

    def cut(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
        return a if a.shape[1] == 1 or (lo == 0 and hi == a.shape[1]) else np.ascontiguousarray(a[:, lo:hi])

    def one(j: int, item: tuple[tuple[int, int], Sequence[Any]]) -> None:
        (lo, hi), state = item
        if callable(state):
            state = state(lo, hi)
        mp = hi - lo
        Pp = cut(P, lo, hi)
        Up, instp = cut(U_all, lo, hi), cut(inst_all, lo, hi)
        cp = np.ascontiguousarray(instp * Up)  # the part's compute (time or 1, case or 1): no batch-wide array
        price, clean = cut(g.price, lo, hi), cut(g.clean, lo, hi)
        p_all = np.empty((nt, mp)) if want_hourly else None
        acc_all = np.empty((len(ACC_NAMES), mp))
        peaks_all = np.empty((n_months, mp))
        for idx, S in state_groups(state, mp, nt):
            whole = idx.size == mp
            sub = Pp if whole else np.ascontiguousarray(Pp[:, idx])

            def cols(a: np.ndarray, idx: np.ndarray = idx, whole: bool = whole) -> np.ndarray:
                return a if whole or a.shape[1] == 1 else np.ascontiguousarray(a[:, idx])

            p_out = np.empty((nt, idx.size)) if want_hourly else np.empty((1, idx.size))
            acc = np.zeros((len(ACC_NAMES), idx.size))
            acc[A_PUE] = -np.inf
            peaks = np.full((n_months, idx.size), -np.inf)
            part = tuple(np.zeros(idx.size) for _ in PART_ROWS)
            status = f(
                sub,
                read_only(S),
                cols(Up),
                cols(instp),
                consts,
                cols(price),
                cols(clean),
                g.month,
                p_out,
                acc,
                peaks,
                part,
            )
            if status != 0:
                return
            acc[A_MISC] = sub[R_MISC] * nt
            acc[A_DIST] = sub[R_DIST] * acc[A_IT]  # p_dist = d p_it each hour
            acc[A_FAC] = acc[A_IT] + acc[A_COOL] + acc[A_UPS] + acc[A_DIST] + acc[A_TR] + acc[A_MISC]
            acc[A_COMPUTE] = _year_sum(cols(cp), nt)
            acc_all[:, idx] = acc
            peaks_all[:, idx] = peaks
            if p_all is not None:
                p_all[:, idx] = p_out
        r: dict[str, Any] = {"sums": {k: acc_all[i] for i, k in enumerate(names)}}
        if grid is not None:
            r["peaks"] = peaks_all.T
        if p_all is not None:
            r["p_facility"] = p_all.T
        out[j] = r

    items = list(enumerate(parts))
    if run is None or len(items) == 1:
        for j, item in items:
            one(j, item)
    else:
        run(items, one)
    return out
