"""Fluid properties from CoolProp, tabulated once and interpolated in the hot path.

CoolProp calls cost microseconds each; an hourly year of many cases needs millions of
property values. So every property the engine uses is computed by CoolProp on a regular grid
once per process (cached) and interpolated with numpy: bilinear for the chiller COP table,
linear for liquid properties. Tests check the tables against CoolProp evaluated directly.

Temperatures in °C here (the project's unit); CoolProp is called in K and Pa.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from twin.core.diskcache import cached
from twin.core.jit import kernel_helper

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "CycleTable",
    "LiquidTable",
    "cop_vapour_compression",
    "cycle_table",
    "liquid_table",
    "saturation",
]

_T0 = 273.15


_COOLPROP_LOCK = threading.RLock()


def _cached(kind: str, inputs: dict, compute, encode, decode, sources: tuple[str, ...] = ()):
    """A table from the disk cache (:mod:`twin.core.diskcache`), keyed by its inputs, CoolProp's
    version and the source of this module (and of ``sources``, the caller's module): a new
    process need not import CoolProp (about 2 s)."""
    return cached(kind, inputs, compute, encode, decode, libraries=("CoolProp",), sources=(__file__, *sources))


def _one_at_a_time(fn):
    """Serialise calls of a cached table builder: CoolProp is not thread-safe, and
    :func:`twin.simulate` runs blocks of cases on several threads."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _COOLPROP_LOCK:
            return fn(*args, **kwargs)

    return wrapper


def cop_vapour_compression(
    refrigerant: str, t_evap: float, t_cond: float, eta_isentropic: float, superheat: float = 5.0, subcool: float = 3.0
) -> float:
    """COP of a single-stage vapour-compression cycle, computed with CoolProp (one point).

    Parameters
    ----------
    refrigerant : str
        CoolProp fluid name (``"R134a"``, ``"R1234ze(E)"``, ``"R513A"`` ...).
    t_evap, t_cond : float
        Saturated evaporating and condensing temperatures, °C.
    eta_isentropic : float
        Compressor isentropic efficiency (0–1].
    superheat, subcool : float
        Suction superheat and liquid subcooling, K.

    Returns
    -------
    float
        Cooling COP = (h1 − h4) / (h2 − h1), electrical motor losses not included.

    Notes
    -----
    State 1: evaporator exit at ``p_evap``, ``T_evap + superheat``; state 2s: isentropic
    compression to ``p_cond``; ``h2 = h1 + (h2s − h1)/η``; state 3: condenser exit at
    ``p_cond``, ``T_cond − subcool``; state 4: isenthalpic expansion, ``h4 = h3``.
    (Stoecker & Jones, Refrigeration and Air Conditioning, ch. 10.)
    """
    from CoolProp.CoolProp import PropsSI

    if t_cond <= t_evap:
        return float("inf")
    pe = PropsSI("P", "T", t_evap + _T0, "Q", 1, refrigerant)
    pc = PropsSI("P", "T", t_cond + _T0, "Q", 1, refrigerant)
    h1 = PropsSI("H", "T", t_evap + superheat + _T0, "P", pe, refrigerant)
    s1 = PropsSI("S", "T", t_evap + superheat + _T0, "P", pe, refrigerant)
    h2s = PropsSI("H", "P", pc, "S", s1, refrigerant)
    h2 = h1 + (h2s - h1) / eta_isentropic
    h3 = PropsSI("H", "T", t_cond - subcool + _T0, "P", pc, refrigerant)
    return (h1 - h3) / (h2 - h1)


@dataclass(frozen=True)
class CycleTable:
    """COP of a vapour-compression cycle on a regular (T_evap, T_cond) grid, °C."""

    refrigerant: str
    eta_isentropic: float
    t_evap: np.ndarray
    t_cond: np.ndarray
    cop: np.ndarray  # shape (len(t_evap), len(t_cond))
    _flat: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)

    @property
    def carnot_fraction(self) -> np.ndarray:
        """COP / COP_Carnot on the grid; smooth, so it interpolates well even at low lift."""
        te = self.t_evap[:, None] + _T0
        tc = np.maximum(self.t_cond[None, :], self.t_evap[:, None] + 5.0) + _T0
        return self.cop / (te / (tc - te))

    def __call__(self, t_evap: ArrayLike, t_cond: ArrayLike) -> np.ndarray:
        """COP at (T_evap, T_cond): bilinear interpolation of the Carnot fraction × Carnot COP.

        Inputs are clipped to the grid and to a minimum lift of 5 K.

        Parameters
        ----------
        t_evap, t_cond : array_like
            Evaporating and condensing temperatures, °C (broadcast together).
        """
        return cycle_cop(self._flat, np.asarray(t_evap, dtype=float), np.asarray(t_cond, dtype=float))

    @property
    def flat(self) -> np.ndarray:
        """The table as :func:`cycle_cop` reads it, one float array: 0 °C in K; first value,
        step and count of the T_evap grid; the same of the T_cond grid; the grids' last values;
        then the Carnot fractions row by row (from index :data:`CYCLE_HEAD`)."""
        return self._flat

    def __post_init__(self) -> None:
        te, tc = self.t_evap, self.t_cond
        head = [_T0, te[0], te[1] - te[0], te.size, tc[0], tc[1] - tc[0], tc.size, te[-1], tc[-1]]
        flat = np.concatenate([np.asarray(head, dtype=float), np.ravel(self.carnot_fraction)])
        object.__setattr__(self, "_flat", flat)


CYCLE_HEAD = 9
"""Values of :attr:`CycleTable.flat` before the Carnot fractions."""


@kernel_helper
def cycle_cop(tab, t_evap, t_cond):
    """COP of the cycle at (T_evap, T_cond) °C from its table ``tab`` (:attr:`CycleTable.flat`):
    bilinear interpolation of the Carnot fraction × the Carnot COP, the inputs clipped to the
    grid and to a minimum lift of 5 K.

    One function for numpy arrays (:meth:`CycleTable.__call__`, broadcast together) and, compiled
    by numba, for scalars in the chilled-water kernel
    (:func:`twin.engine.design_kernels.chilled_water_cycle_loop`): only operations both take
    (``np.minimum``/``np.maximum``, ``np.intp``, flat indexing).
    """
    t0, e0, de, ne, c0, dc, nc = tab[0], tab[1], tab[2], tab[3], tab[4], tab[5], tab[6]
    e_hi, c_hi = tab[7], tab[8]
    x = np.minimum(np.maximum((t_evap - e0) / de, 0.0), ne - 1.000001)
    y = np.minimum(np.maximum((t_cond - c0) / dc, 0.0), nc - 1.000001)
    i = np.intp(x)
    j = np.intp(y)
    fx = x - i
    fy = y - j
    n = np.intp(nc)
    k = CYCLE_HEAD + i * n + j
    frac = (
        tab[k] * (1 - fx) * (1 - fy)
        + tab[k + n] * fx * (1 - fy)
        + tab[k + 1] * (1 - fx) * fy
        + tab[k + n + 1] * fx * fy
    )
    te_k = np.minimum(np.maximum(t_evap, e0), e_hi) + t0
    tc_k = np.maximum(np.minimum(np.maximum(t_cond, c0), c_hi) + t0, te_k + 5.0)
    return frac * te_k / (tc_k - te_k)


def _isentropic_enthalpy(state: object, p: float, s_target: float, t_sat: float) -> float:
    """Enthalpy at pressure ``p`` and entropy ``s_target`` in the superheated region, J/kg.

    Newton iteration on temperature with (p, T) flashes, using ∂s/∂T|p = c_p / T; it is an
    order of magnitude faster in CoolProp than a (p, s) flash and converges in 3–5 steps.
    """
    import CoolProp

    t = t_sat + _T0 + 10.0
    for _ in range(8):
        state.update(CoolProp.PT_INPUTS, p, t)  # type: ignore[attr-defined]
        ds = state.smass() - s_target  # type: ignore[attr-defined]
        t_new = max(t - ds * t / state.cpmass(), t_sat + _T0 + 0.01)  # type: ignore[attr-defined]
        if abs(t_new - t) < 1e-6:
            t = t_new
            break
        t = t_new
    state.update(CoolProp.PT_INPUTS, p, t)  # type: ignore[attr-defined]
    return float(state.hmass())  # type: ignore[attr-defined]


@_one_at_a_time
@lru_cache(maxsize=16)
def cycle_table(refrigerant: str, eta_isentropic: float, step: float = 1.0) -> CycleTable:
    """Tabulate the cycle of :func:`cop_vapour_compression` once (cached per fluid and efficiency).

    The grid spans T_evap −15…25 °C and T_cond 10…70 °C in ``step`` K; points with a lift below
    5 K take the COP at a 5 K lift (compressors do not run below a minimum lift). Evaporator and
    condenser states are computed once per grid line, so only the compressor discharge state
    is evaluated per grid point (about 2 500 CoolProp calls, a fraction of a second). The table
    is kept in the disk cache (:mod:`twin.core.diskcache`).
    """
    return _cached(
        "cycle",
        {"refrigerant": refrigerant, "eta_isentropic": eta_isentropic, "step": step},
        lambda: _cycle_table(refrigerant, eta_isentropic, step),
        lambda tab: {"t_evap": tab.t_evap, "t_cond": tab.t_cond, "cop": tab.cop},
        lambda a: CycleTable(refrigerant, eta_isentropic, a["t_evap"], a["t_cond"], a["cop"]),
    )


def _cycle_table(refrigerant: str, eta_isentropic: float, step: float) -> CycleTable:
    from CoolProp.CoolProp import PropsSI

    try:
        PropsSI("Tcrit", refrigerant)
    except ValueError:
        raise ValueError(f"refrigerant {refrigerant!r} is not a CoolProp fluid") from None
    import CoolProp

    superheat, subcool = 5.0, 3.0
    te = np.arange(-15.0, 25.0 + step / 2, step)
    tc = np.arange(10.0, 70.0 + step / 2, step)
    state = CoolProp.AbstractState("HEOS", refrigerant)

    def sat_p(t: float) -> float:
        state.update(CoolProp.QT_INPUTS, 1.0, t + _T0)
        return state.p()

    def h_at(t: float, p: float) -> float:
        state.update(CoolProp.PT_INPUTS, p, t + _T0)
        return state.hmass()

    pe = np.array([sat_p(e) for e in te])
    h1 = np.empty(te.size)
    s1 = np.empty(te.size)
    for a, (e, p) in enumerate(zip(te, pe, strict=True)):
        state.update(CoolProp.PT_INPUTS, p, e + superheat + _T0)
        h1[a], s1[a] = state.hmass(), state.smass()
    # Condenser side per grid temperature, including the evaporator temperatures + 5 K that
    # the minimum lift can ask for.
    t_c_all = np.union1d(tc, te + 5.0)
    pc = {c: sat_p(c) for c in t_c_all}
    h3 = {c: h_at(c - subcool, pc[c]) for c in t_c_all}
    cop = np.empty((te.size, tc.size))
    for a, e in enumerate(te):
        for b, c in enumerate(tc):
            c_eff = c if c >= e + 5.0 else e + 5.0
            h2s = _isentropic_enthalpy(state, pc[c_eff], s1[a], c_eff)
            h2 = h1[a] + (h2s - h1[a]) / eta_isentropic
            cop[a, b] = (h1[a] - h3[c_eff]) / (h2 - h1[a])
    return CycleTable(refrigerant, eta_isentropic, te, tc, cop)


@dataclass(frozen=True)
class LiquidTable:
    """Density (kg/m³) and specific heat (J/(kg K)) of a liquid on a temperature grid (°C)."""

    fluid: str
    t: np.ndarray
    rho: np.ndarray
    cp: np.ndarray

    def density(self, t: ArrayLike) -> np.ndarray:
        """Density, kg/m³, at temperature °C (linear interpolation, clipped to the grid)."""
        return np.interp(np.asarray(t, dtype=float), self.t, self.rho)

    def heat_capacity(self, t: ArrayLike) -> np.ndarray:
        """Specific heat capacity, J/(kg K), at temperature °C."""
        return np.interp(np.asarray(t, dtype=float), self.t, self.cp)


@_one_at_a_time
@lru_cache(maxsize=16)
def liquid_table(fluid: str, t_min: float = 5.0, t_max: float = 80.0) -> LiquidTable:
    """Tabulate a liquid's ρ and c_p every 1 K at 101 325 Pa (CoolProp; ``INCOMP::`` fluids too).

    The range is cut to the fluid's own validity; outside it values are held constant.

    Raises
    ------
    ValueError
        A fluid CoolProp does not know, or one that is not liquid over the range.

    Notes
    -----
    The table is kept in the disk cache (:mod:`twin.core.diskcache`).
    """
    return _cached(
        "liquid",
        {"fluid": fluid, "t_min": t_min, "t_max": t_max},
        lambda: _liquid_table(fluid, t_min, t_max),
        lambda tab: {"t": tab.t, "rho": tab.rho, "cp": tab.cp},
        lambda a: LiquidTable(fluid, a["t"], a["rho"], a["cp"]),
    )


def _liquid_table(fluid: str, t_min: float, t_max: float) -> LiquidTable:
    from CoolProp.CoolProp import PropsSI

    try:
        # Keep inside the fluid's valid range (INCOMP::HFE2 ends at 64 °C).
        t_min = max(t_min, PropsSI("Tmin", fluid) - _T0 + 0.5)
        t_max = min(t_max, PropsSI("Tmax", fluid) - _T0 - 0.5)
    except ValueError:
        pass
    t = np.arange(t_min, t_max + 0.5, 1.0)
    try:
        rho = np.array([PropsSI("D", "T", x + _T0, "P", 101_325.0, fluid) for x in t])
        cp = np.array([PropsSI("C", "T", x + _T0, "P", 101_325.0, fluid) for x in t])
    except ValueError as exc:
        raise ValueError(
            f"fluid {fluid!r}: CoolProp cannot give liquid properties over {t_min:g}…{t_max:g} °C ({exc})"
        ) from None
    return LiquidTable(fluid, t, rho, cp)


@_one_at_a_time
@lru_cache(maxsize=16)
def saturation(fluid: str, p: float = 101_325.0) -> tuple[float, float]:
    """Saturation temperature (°C) and latent heat (J/kg) of a pure fluid at pressure ``p`` Pa (disk-cached)."""
    return _cached(
        "saturation",
        {"fluid": fluid, "p": p},
        lambda: _saturation(fluid, p),
        lambda th: {"t_hfg": np.array(th, dtype=float)},
        lambda a: (float(a["t_hfg"][0]), float(a["t_hfg"][1])),
    )


def _saturation(fluid: str, p: float) -> tuple[float, float]:
    from CoolProp.CoolProp import PropsSI

    try:
        t = PropsSI("T", "P", p, "Q", 0, fluid)
        hfg = PropsSI("H", "P", p, "Q", 1, fluid) - PropsSI("H", "P", p, "Q", 0, fluid)
    except ValueError as exc:
        raise ValueError(f"fluid {fluid!r}: CoolProp has no saturation state at {p:g} Pa ({exc})") from None
    return t - _T0, hfg


@lru_cache(maxsize=1)
def _fluid_names() -> tuple[frozenset[str], frozenset[str]]:
    """CoolProp's fluid names and aliases (HEOS), and its incompressible fluids and solutions (disk-cached)."""
    return _cached(
        "fluid-names",
        {},
        _coolprop_names,
        lambda ni: {"names": np.array(sorted(ni[0]), dtype=str), "incomp": np.array(sorted(ni[1]), dtype=str)},
        lambda a: (frozenset(a["names"].tolist()), frozenset(a["incomp"].tolist())),
    )


def _coolprop_names() -> tuple[frozenset[str], frozenset[str]]:
    import CoolProp.CoolProp as CP

    with _COOLPROP_LOCK:
        pure = CP.get_global_param_string("FluidsList").split(",")
        names = set(pure)
        for f in pure:
            names.update(CP.get_aliases(f))
        incomp = set(CP.get_global_param_string("incompressible_list_pure").split(","))
        incomp |= set(CP.get_global_param_string("incompressible_list_solution").split(","))
    return frozenset(names), frozenset(incomp)


def fluid_error(name: str) -> str | None:
    """Why CoolProp does not know a fluid name, or ``None`` if it does.

    Accepted: a CoolProp fluid or alias (``R134a``, ``R1234ze(E)``, ``Novec649``, optionally
    ``HEOS::`` before it) or an incompressible fluid ``INCOMP::NAME`` (a solution with its
    concentration, ``INCOMP::MEG-30%``). Used by the parameter classes to refuse a bad name
    when the scenario is read, not during the run.
    """
    names, incomp = _fluid_names()
    if name.startswith("INCOMP::"):
        base = name.removeprefix("INCOMP::").split("-")[0].split("[")[0]
        if base in incomp:
            return None
        return "CoolProp has no such incompressible fluid; e.g. INCOMP::HFE2, INCOMP::PNF2, INCOMP::MEG-30%"
    if name.removeprefix("HEOS::") in names:
        return None
    return "not a CoolProp fluid; e.g. R134a, R410A, R1234ze(E), Novec649 (CoolProp's FluidsList)"
