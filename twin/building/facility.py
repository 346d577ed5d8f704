"""The facility chain of one block of cases: IT load → cooling design → electrical chain.

:func:`facility_chain` is what :func:`twin.simulate` runs for every block (parameters as stacked
columns); :func:`facility_block` is the same chain for a user's weather arrays and parameter
objects, without a scenario, sites or a weather library — e.g. to try one design on a few
hours::

    import numpy as np
    from twin import facility_block
    r = facility_block({"t_db": np.array([5.0, 30.0]), "rh": np.array([40.0, 70.0]),
                        "p_air": np.array([90_000.0, 90_000.0])}, "free_air")
    r["pue"]

Units: power kW, temperature °C, pressure Pa.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from twin.building.cooling import Design, get_design
from twin.building.cooling.air_management import air_side
from twin.building.cooling.contract import Columns, HeatOther, ITFunction, ITResult, check_outputs
from twin.building.cooling.free_air import FreeAirParams
from twin.building.electrical import ElectricalParams, electrical_losses, indoor_losses
from twin.building.it_load import ITParams, it_power, occupancy_profile, overclock_power, utilisation_profile
from twin.core.arrays import total
from twin.core.fmt import number
from twin.core.params import ConfigError, Params
from weather import psychrometrics as psy

__all__ = [
    "BOUND_SLACK",
    "COOLING_PARTS",
    "POWER_PARTS",
    "PhysicalBoundsError",
    "check_bounds",
    "derive_psychrometrics",
    "facility_block",
    "facility_chain",
    "field_names",
    "stack_columns",
]

POWER_PARTS = ("p_it", "p_cooling", "p_ups_loss", "p_dist_loss", "p_transformer_loss", "p_misc")
"""The parts whose sum is the facility power (the energy balance)."""
COOLING_PARTS = ("p_cooling_fans", "p_pumps", "p_compressor", "p_heat_rejection", "p_humidification")
"""The parts whose sum is the cooling power."""
BOUND_SLACK = 1e-9
"""How far below 0 a power part or the water may fall by rounding (:func:`check_bounds`), as a
share of the block's largest IT power (e.g. pad water at a saturated hour, whose wet bulb the
solver returns an ulp above the dry bulb)."""


def derive_psychrometrics(t_db: np.ndarray, rh: np.ndarray, p_air: np.ndarray) -> dict[str, np.ndarray]:
    """Humidity ratio ``w`` (kg/kg), wet bulb ``t_wb`` (°C) and the saturation mole fraction ``x_sat``.

    The derived weather every design reads, from dry bulb (°C), relative humidity (%) and
    pressure (Pa).
    """
    w = psy.humidity_ratio(t_db, rh, p_air)
    return {
        "w": w,
        "t_wb": psy.wet_bulb_from_humidity_ratio(t_db, w, p_air),
        "x_sat": psy.vapor_mole_fraction(t_db, 100.0, p_air),
    }


def stack_columns(objs: Sequence[Params], rows: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
    """Stack the fields of parameter objects into (n, 1) columns; text fields must agree.

    A field with one value in every case becomes a (1, 1) array instead: broadcasting then
    computes whatever depends only on such fields (and the weather) once per hour, not once
    per case and hour — a sweep pays for the parameters it varies, not for the others.
    Cases share parameter objects (:meth:`twin.engine.config.Scenario.cases`): each field is
    read once per distinct object, and a column of varying values is gathered from them.
    With ``rows``, the columns of the objects ``objs[rows[i]]``, ``objs`` distinct (what
    :meth:`twin.engine.config.CaseColumns.of` gives).
    """
    if rows is None:
        index: dict[int, int] = {}  # id of a distinct object -> its position in `distinct`
        distinct: list[Params] = []
        rows = []
        for o in objs:
            i = index.get(id(o))
            if i is None:
                i = index[id(o)] = len(distinct)
                distinct.append(o)
            rows.append(i)
    else:
        distinct = list(objs)
    out: dict[str, Any] = {}
    names = field_names(type(distinct[0]))
    if not names:
        return out
    get = operator.attrgetter(*names)
    table = [get(o) for o in distinct] if len(names) > 1 else [(get(o),) for o in distinct]
    if len(distinct) == 1:
        return _one_object(names, table[0])
    for name, vals in zip(names, zip(*table, strict=True), strict=True):
        v0 = vals[0]
        if isinstance(v0, str):
            if vals.count(v0) != len(vals):
                raise ValueError(f"{distinct[0].section}.{name}: one block needs one value, got {sorted(set(vals))}")
            out[name] = v0
        elif vals.count(v0) == len(vals):  # (values are validated: no NaN, equal to itself)
            out[name] = np.array([[v0]], dtype=bool if isinstance(v0, bool) else float)
        else:
            out[name] = np.asarray(vals, dtype=bool if isinstance(v0, bool) else float)[rows][:, None]
    return out


def _one_object(names: tuple[str, ...], values: Sequence[Any]) -> dict[str, Any]:
    """:func:`stack_columns` of one object: its texts, and its numbers as (1, 1) arrays (float,
    booleans bool), made from one array per kind (views of it: the values, not their order, are
    what a column holds)."""
    out: dict[str, Any] = dict.fromkeys(names)
    kinds: dict[type, list[tuple[str, Any]]] = {float: [], bool: []}
    for name, v in zip(names, values, strict=True):
        if isinstance(v, str):
            out[name] = v
        else:
            kinds[bool if isinstance(v, bool) else float].append((name, v))
    for dtype, items in kinds.items():
        if items:
            column: np.ndarray = np.array([v for _, v in items], dtype=dtype).reshape(-1, 1, 1)
            for i, (name, _) in enumerate(items):
                out[name] = column[i]
    return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a parameter class, in order (read once per class)."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return _FIELD_NAMES[cls]


def installed_it(design: Design, fac: Columns, coo: Columns, design_kw: np.ndarray, n_hours: int) -> tuple[Any, Any]:
    """Installed IT power (kW; hourly with an occupancy ramp) and the overclock power factor of a block.

    Refuses a rack density above what the design's air can carry (``max_kw_per_rack``).
    """
    if "max_kw_per_rack" in coo and np.any(fac["kw_per_rack"] > coo["max_kw_per_rack"]):
        raise ConfigError(
            f"facility.kw_per_rack = {number(float(np.max(fac['kw_per_rack'])), grouped=False)} kW is above "
            f"cooling.{design.name}.max_kw_per_rack = {number(float(np.min(coo['max_kw_per_rack'])))} kW: "
            "air cannot carry that density; choose cold_plate, spray or immersion, or raise the limit"
        )
    occupancy = fac["occupancy"]
    if np.any(fac["occupancy_ramp"]):
        ramp = occupancy_profile(n_hours, occupancy, fac["occupancy_end"], fac["ramp_years"], fac["operating_year"])
        occupancy = np.where(fac["occupancy_ramp"], ramp, occupancy)
    overclock = overclock_power(fac["performance_factor"], str(fac["overclock_law"]), fac["overclock_power_factor"])
    return design_kw * occupancy, overclock


def facility_chain(
    design: Design,
    wx: Mapping[str, np.ndarray],
    fac: Columns,
    ele: Columns,
    coo: Columns,
    design_kw: np.ndarray,
    u: np.ndarray,
) -> dict[str, Any]:
    """Hourly facility physics of one block: IT load, the design's cooling, the electrical chain.

    Parameters
    ----------
    design : Design
        The cooling design (all cases of the block share it).
    wx : mapping
        Weather arrays broadcastable to (case, time): ``t_db``, ``t_wb`` (°C), ``w`` (kg/kg),
        ``p_air`` (Pa), optionally ``x_sat``.
    fac, ele, coo : mapping
        :class:`~twin.building.it_load.ITParams`, :class:`~twin.building.electrical.ElectricalParams` and the
        design's parameter fields as columns (:func:`stack_columns`).
    design_kw : array_like
        Design IT power of the hall, kW, (case, 1) or (1, 1): it sizes the plant; the IT
        installed is ``occupancy`` of it.
    u : array_like
        Utilisation 0–1, broadcastable to (case, time).

    Returns
    -------
    dict
        The design's outputs (:class:`~twin.building.cooling.contract.CoolingResult`; a diagnostic may
        still be a function of no arguments), ``p_cooling``, the electrical losses,
        ``p_facility`` and hourly ``pue``.
    """
    installed_kw, overclock = installed_it(design, fac, coo, design_kw, np.shape(wx["t_db"])[-1])

    def it_fn(t_inlet: np.ndarray, t_chip: np.ndarray, has_fans: bool | np.ndarray) -> ITResult:
        r: ITResult = {
            **it_power(
                installed_kw,
                u,
                t_inlet,
                t_chip,
                idle_fraction=fac["idle_fraction"],
                fan_share=fac["fan_share"],
                fan_speed_per_k=fac["fan_speed_per_k"],
                leakage_per_k=fac["leakage_per_k"],
                leakage_share=fac["leakage_share"],
                performance_factor=fac["performance_factor"],
                overclock_power_factor=overclock,
                has_server_fans=has_fans,
            ),  # type: ignore[typeddict-item]
            "utilisation": u,
        }
        return r

    last: dict[str, Any] = {}  # the indoor losses of the IT power the design asked for last

    def heat_other(p_it: np.ndarray) -> np.ndarray:
        loss = indoor_losses(p_it, design_kw, ele)
        last.update(p_it=p_it, loss=loss)
        return loss["p_dist_loss"] + loss["p_ups_loss"] + loss["p_misc"]

    _it: ITFunction = it_fn
    _heat: HeatOther = heat_other
    # Design heat (sizes trim, chillers and dry coolers): design IT power plus its indoor losses.
    q_design = design_kw + heat_other(design_kw)
    coo = {**coo, **hall_air(design.name, fac, coo, wx["p_air"])}
    r: dict[str, Any] = dict(design.simulate(wx, coo, _it, _heat, q_design))
    check_outputs(design.name, r)
    r["p_cooling"] = total(*(r[k] for k in COOLING_PARTS))
    indoor = last["loss"] if last.get("p_it") is r["p_it"] else None  # the design's final IT power: not again
    r.update(electrical_losses(r["p_it"], r["p_cooling"], design_kw, ele, indoor))
    r["p_facility"] = total(*(r[k] for k in POWER_PARTS))
    r["pue"] = r["p_facility"] / r["p_it"]
    check_bounds(design.name, r, fac, coo)
    return r


_FREE_AIR = FreeAirParams()
"""Free air at its defaults: the auxiliary air system of the liquid designs."""


def hall_air(design: str, fac: Columns, coo: Columns, p_air: np.ndarray) -> dict[str, np.ndarray]:
    """The hall's air-management columns for a design (:func:`twin.building.cooling.air_management.air_side`).

    Air designs carry the whole rack heat in air at their ``delta_t_it``; liquid designs only
    ``1 − capture`` of it, through their auxiliary air system (free air at its defaults). The
    approaches must leave the air warming across the cooling units.
    """
    air_design = "delta_t_it" in coo
    dt_it = coo["delta_t_it"] if air_design else _FREE_AIR.delta_t_it
    share = 1.0 if air_design else 1.0 - coo.get("capture", 1.0)
    t_in = (
        coo["t_supply_setpoint"] if "t_supply_setpoint" in coo else coo.get("t_supply_air", _FREE_AIR.t_supply_setpoint)
    )
    air = air_side(fac, dt_it, share, p_air, t_in)
    if np.any(air["dt_units"] < 1.0):
        raise ConfigError(
            f"facility.supply_approach + facility.return_approach = "
            f"{number(float(np.min(air['supply_approach'] + air['return_approach'])), grouped=False)} K with cooling.{design}'s "
            f"server air rise {number(float(np.min(dt_it)))} K leaves the air warming by less than 1 K across the "
            "cooling units: the return approach must stay above -(delta_t_it + supply_approach) + 1"
        )
    return air


class PhysicalBoundsError(ConfigError):
    """A result outside its physical bounds: the parameters that set it are not a physical combination."""


_CAUSES = {
    "p_it": ("facility", ("utilisation", "idle_fraction", "leakage_per_k", "leakage_share", "fan_share")),
}


def check_bounds(design: str, r: Mapping[str, Any], fac: Columns, coo: Columns) -> None:
    """Refuse results outside their physical bounds, naming the parameters behind them.

    IT power > 0 and finite; every power and the water ≥ 0; hourly PUE ≥ 1. The physics keeps
    these by construction for parameters within their declared ranges; this is the guard that
    a combination of them (or a user's hourly series) cannot slip through as a silent result.
    """

    def row_values(section: str, names: tuple[str, ...], cols: Columns, where: np.ndarray) -> str:
        i = int(np.unravel_index(int(np.argmax(where)), where.shape)[0])
        vals = []
        for n in names:
            if n in cols and not isinstance(cols[n], str):
                a = np.asarray(cols[n])
                vals.append(f"{section}.{n} = {number(float(a[min(i, a.shape[0] - 1), 0]), grouped=False)}")
        return ", ".join(vals)

    p_it = np.asarray(r["p_it"])
    top = p_it.max()  # the lowest and highest value: all positive and finite in two passes
    if not (p_it.min() > 0.0 and top < np.inf):
        bad = ~(p_it > 0.0) | ~np.isfinite(p_it)
        sec, names = _CAUSES["p_it"]
        raise PhysicalBoundsError(
            f"design {design!r}: IT power is not positive in {int(bad.sum())} case-hours "
            f"(lowest {float(np.nanmin(p_it)):.4g} kW) with {row_values(sec, names, fac, bad)}; "
            "this combination cannot be physical: raise the utilisation or idle fraction, or lower leakage_per_k"
        )
    scale = BOUND_SLACK * float(top)  # (= the largest |p_it|: every value is positive)
    for name in (*POWER_PARTS, *COOLING_PARTS, "water"):
        a = np.asarray(r[name])
        # min ≥ −scale holds for no NaN and no −inf; max < inf for no +inf: all finite and ≥ −scale
        if not (a.min() >= -scale and a.max() < np.inf):
            raise PhysicalBoundsError(
                f"design {design!r}: {name} is negative or not finite (lowest {float(np.nanmin(a)):.4g}); "
                f"cooling parameters {row_values('cooling.' + design, tuple(coo), coo, a < -scale)}"
            )
    pue = np.asarray(r["pue"])
    if pue.min() < 1.0 - 1e-12:
        raise PhysicalBoundsError(f"design {design!r}: hourly PUE {float(pue.min()):.6g} < 1 (the balance is broken)")


def facility_block(
    weather: Mapping[str, Any],
    design: str,
    *,
    facility: ITParams | Sequence[ITParams] | None = None,
    electrical: ElectricalParams | Sequence[ElectricalParams] | None = None,
    cooling: Params | Sequence[Params] | None = None,
    hour: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The facility chain for weather arrays and parameter objects, outside :func:`twin.simulate`.

    Parameters
    ----------
    weather : mapping
        Hourly ``t_db`` (°C), ``p_air`` (Pa) and either ``rh`` (%) or both ``w`` (kg/kg) and
        ``t_wb`` (°C); 1-D (time) or 2-D (case, time).
    design : str
        A cooling design name (:data:`twin.building.cooling.DESIGNS`).
    facility, electrical, cooling : parameter object or sequence of them, optional
        One object for every case, or one per case (cases along the first axis); defaults
        are the classes' defaults.
    hour : array_like, optional
        Hour of day of each time step (the diurnal profile); default ``arange(n) % 24``.

    Returns
    -------
    dict
        Every output of :func:`facility_chain` as an array (diagnostics evaluated), with a
        leading case axis.
    """
    d = get_design(design)
    wx = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in weather.items()}
    missing = [k for k in ("t_db", "p_air") if k not in wx]
    if missing or ("rh" not in wx and not {"w", "t_wb"} <= set(wx)):
        raise ValueError("facility_block: weather needs t_db, p_air and rh (or w and t_wb)")
    if "w" not in wx or "t_wb" not in wx:
        wx.update(derive_psychrometrics(wx["t_db"], wx["rh"], wx["p_air"]))
    nt = wx["t_db"].shape[-1]

    def listed(x: Any, default: Params) -> list[Any]:
        if x is None:
            return [default]
        return list(x) if isinstance(x, Sequence) else [x]

    facs = listed(facility, ITParams())
    eles = listed(electrical, ElectricalParams())
    coos = listed(cooling, d.params())
    for c in coos:
        if not isinstance(c, d.params):
            raise ValueError(f"facility_block: cooling parameters for {design!r} must be {d.params.__name__}")
    profiles = {f.profile for f in facs}
    if profiles - {"flat", "diurnal"} or len(profiles) > 1:
        raise ValueError("facility_block: one utilisation profile per call, 'flat' or 'diurnal'")
    fac, ele, coo = stack_columns(facs), stack_columns(eles), stack_columns(coos)
    kw = np.asarray([f.design_kw for f in facs], dtype=float)[:, None]
    h = (np.arange(nt) % 24 if hour is None else np.asarray(hour))[None, :]
    u = utilisation_profile(h, fac["utilisation"], facs[0].profile, fac["diurnal_amplitude"])
    r = facility_chain(d, wx, fac, ele, coo, kw, u)
    n = max(len(facs), len(eles), len(coos), wx["t_db"].shape[0])
    return {k: np.broadcast_to(v() if callable(v) else v, (n, nt)) for k, v in r.items()}
