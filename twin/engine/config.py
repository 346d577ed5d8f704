"""Scenario: site(s) + weather source + facility + cooling design(s) + electrical chain (+ sweep).

Frozen, validated dataclasses, loadable from and savable to TOML. A scenario with several
sites, several designs or a ``sweep`` expands into *cases*; :func:`twin.simulate` runs them
all in one vectorised call.

TOML layout::

    name = "Karamay free air"
    preset = "legacy"                   # optional: twin.engine.presets.BASELINES, under the tables below
    sites = ["karamay"]                 # or site = "karamay"
    designs = ["free_air"]              # or design = "free_air"

    [weather]
    source = "typical"                  # or a weather file path (.epw, .nc, PVGIS .json)
    seed = 0

    [facility]                          # twin.building.it_load.ITParams
    it_capacity_kw = 10000

    [electrical]                        # twin.building.electrical.ElectricalParams

    [cooling.free_air]                  # the design's parameter class
    evap_effectiveness = 0.9

    [heat_reuse]                        # twin.building.heat_reuse.HeatReuseParams
    demand_kw_per_k = 200

    [sweep]                             # each entry multiplies the cases
    "cooling.free_air.evap_effectiveness" = [0.7, 0.8, 0.9]

Every section is declared once, as a typed field ``attr: Cls = section(Cls)``: the per-case
sections in :class:`CaseSections`, which both :class:`Scenario` and :class:`Case` inherit, the
scenario-wide ones (``weather``, ``green``) on :class:`Scenario`. The TOML path is the parameter
class's own ``section``. :data:`SECTIONS` is derived from those fields; reading and writing TOML,
sweep keys, ``--set`` overrides, presets and the expansion into :class:`Case` all loop over it,
so a new section is that one line.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

import numpy as np

from twin.building.cooling import DESIGNS, get_design
from twin.building.electrical import ElectricalParams
from twin.building.heat_reuse import HeatReuseParams
from twin.building.it_load import ITParams
from twin.core.fmt import TypedInt, given, read_typed
from twin.core.io import atomic_write
from twin.core.params import ConfigError, Params, nearest, param, repeated, unknown_field
from twin.core.runtime import check_cases
from twin.engine.presets import BASELINES, apply_preset
from twin.engine.year_to_year import YearToYear
from twin.money.economics import EconomicsParams
from twin.supply.pv import PVParams
from twin.supply.storage import MINNING, StorageParams
from twin.supply.wind import WindParams
from weather.dataset import BAD_RECORDS
from weather.files import input_file
from weather.readers import FORMATS

STORAGE_PRESETS: Mapping[str, StorageParams] = MappingProxyType({"minning": MINNING})
"""Named storage plants: ``[green.storage] preset = "minning"`` (fields given beside it override)."""


@dataclass(frozen=True)
class DispatchParams(Params):
    """How the storage is dispatched."""

    section = "green"

    strategy: str = param(
        "green_first",
        choices=("green_first", "lp"),
        source="green_first: store surplus, discharge on deficit; lp: perfect-foresight optimum (HiGHS)",
    )
    grid_charging: bool = param(False, source="lp only: may the battery charge from the grid (time-of-use arbitrage)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.grid_charging and self.strategy != "lp":
            raise ConfigError(
                f'green.grid_charging = true needs green.strategy = "lp" (green.strategy = "{self.strategy}" '
                'charges the battery from green surplus only); set strategy = "lp" or drop grid_charging'
            )


__all__ = [
    "SECTIONS",
    "Case",
    "CaseSections",
    "FrozenMap",
    "Scenario",
    "Section",
    "WeatherSource",
    "load_scenario",
    "parse_override",
    "save_scenario",
    "scenario_from_text",
    "section",
]


@dataclass(frozen=True)
class WeatherSource(Params):
    """Where the hourly weather comes from: the built-in generated year or a file."""

    section = "weather"

    source: str = param("typical", source="'typical' (generated from the site's normals) or a weather file path")
    seed: int = param(0, 0, 2**31 - 1, source="seed of the generated year")
    year: int = param(2021, 1900, 2100, source="calendar year of the generated year")
    format: str = param(
        "auto", choices=("auto", *FORMATS), source="format of the weather file (weather.FORMATS); auto: detected"
    )
    bad_records: str = param(
        "repair",
        choices=BAD_RECORDS,
        source="a file's impossible or implausible records (weather.RECORD_CHECKS): repair and report, or refuse the file",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.is_file:
            for name, meaning in (("seed", "picks"), ("year", "sets the calendar year of")):
                value, default = getattr(self, name), _WEATHER_DEFAULTS[name]
                if value != default:
                    raise ConfigError(
                        f"weather.{name} = {value} {meaning} a generated typical year, and the weather is read "
                        f"from the file {self.source}; give weather.{name} or a weather file, not both (`--save` of "
                        f"earlier versions wrote the generated year's {name} beside a file: delete that line)"
                    )

    @property
    def is_file(self) -> bool:
        return self.source != "typical"

    def with_source(self, source: str, format: str = "auto") -> WeatherSource:
        """This weather from ``source`` (``"typical"`` or a file), ``bad_records`` kept; from a file,
        the generated year's seed and year go back to their defaults (they mean nothing there)."""
        if not WeatherSource(source=source).is_file:
            return dataclasses.replace(self, source=source, format=format)
        seed, year = _WEATHER_DEFAULTS["seed"], _WEATHER_DEFAULTS["year"]
        return dataclasses.replace(self, source=source, format=format, seed=seed, year=year)

    def attrs(self) -> dict[str, Any]:
        """An output file's global attributes of this weather: ``weather_source``, and for a
        generated year its ``weather_seed`` (a file's weather has no seed: none is written)."""
        return {"weather_source": self.source, **({} if self.is_file else {"weather_seed": self.seed})}

    def to_toml(self) -> dict[str, Any]:
        """The fields for a TOML table; beside a weather file, without the generated year's seed and year."""
        return {k: v for k, v in super().to_toml().items() if not (self.is_file and k in _WEATHER_DEFAULTS)}


_WEATHER_DEFAULTS: dict[str, int] = {
    f.name: cast(int, f.default) for f in dataclasses.fields(WeatherSource) if f.name in ("seed", "year")
}
"""The generated year's fields and their defaults: a weather file takes them only at their defaults."""


@dataclass(frozen=True)
class Section:
    """One scenario section: its TOML path, its attribute on :class:`Scenario`, its parameter class.

    ``per_case`` sections are part of every :class:`Case` and can be swept; ``presets`` are
    named parameter sets a table can start from (``preset = "minning"``).
    """

    path: str
    attr: str
    cls: type[Params]
    per_case: bool = True
    presets: Mapping[str, Params] = field(default_factory=lambda: MappingProxyType({}))


P = TypeVar("P", bound=Params)

_SECTION = "twin.section"
"""Metadata key of a section field: ``(parameter class, presets)``."""


def section(cls: type[P], *, presets: Mapping[str, P] | None = None) -> P:
    """Declare a scenario section as a typed field: ``pv: PVParams = section(PVParams)``.

    The TOML path is ``cls.section`` (``"green.pv"``); the field's default is ``cls()``.
    Declared in :class:`CaseSections` the section is part of every :class:`Case` and can be
    swept; declared on :class:`Scenario` it is scenario-wide.

    Parameters
    ----------
    cls : type of Params
        The section's parameter class; its ``section`` names the TOML table.
    presets : mapping of str to Params, optional
        Named parameter sets a table can start from (``preset = "minning"``).
    """
    meta = {_SECTION: (cls, MappingProxyType(dict(presets or {})))}
    return cast(P, field(default_factory=cls, metadata=meta))


COOLING = "cooling"
"""The section of the design parameter tables: ``[cooling.DESIGN]``, one class per design."""

TOP_LEVEL = ("name", "site", "sites", "design", "designs", "preset", "site_dirs", "sweep", COOLING)
"""Keys of a scenario file outside the sections."""


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping (the design parameter tables of a :class:`Scenario`)."""

    __slots__ = ("_d", "_h")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._d = dict(data or {})
        self._h: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset(self._d.items()))
        return self._h

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"


def param_class(key: str, *, sweep: bool = False) -> tuple[type[Params], str]:
    """The parameter class and field a dotted key names (``green.pv.capacity_mw``).

    Raises
    ------
    ConfigError
        Not a parameter (or, with ``sweep``, not one that can be swept); the message lists the
        sections and, for a known section, its fields.
    """
    section, _, name = key.rpartition(".")
    head, _, design = section.partition(".")
    if head == COOLING and design:
        if design not in DESIGNS:
            raise ConfigError(f"{key!r}: unknown cooling design {design!r}; designs: {', '.join(DESIGNS)}")
        cls: type[Params] = DESIGNS[design].params
    elif section in _BY_PATH and (_BY_PATH[section].per_case or not sweep):
        cls = _BY_PATH[section].cls
    else:
        allowed = [s.path for s in SECTIONS if s.per_case or not sweep] + ["cooling.DESIGN"]
        what = "sweep key" if sweep else "key"
        raise ConfigError(
            f"{what} {key!r} is not a parameter; use SECTION.NAME with SECTION one of {', '.join(allowed)}"
        ).explained("not_parameter", key=repr(key), allowed=", ".join(allowed))
    names = [f.name for f in dataclasses.fields(cls)]
    if name not in names:
        near = nearest(name, names)
        hint = f" (did you mean {'.'.join([*key.split('.')[:-1], near])!r}?)" if near else ""
        raise ConfigError(f"{key!r}: unknown field {name!r}{hint}; allowed: {', '.join(names)}")
    return cls, name


@dataclass(frozen=True, kw_only=True)
class CaseSections:
    """The per-case sections, one line each: part of every :class:`Case`, swept by key."""

    facility: ITParams = section(ITParams)
    electrical: ElectricalParams = section(ElectricalParams)
    pv: PVParams = section(PVParams)
    wind: WindParams = section(WindParams)
    storage: StorageParams = section(StorageParams, presets=STORAGE_PRESETS)
    economics: EconomicsParams = section(EconomicsParams)
    heat_reuse: HeatReuseParams = section(HeatReuseParams)


@dataclass(frozen=True)
class Case(CaseSections):
    """One expanded case: a site, a design and the parameter sets it runs with."""

    site: str
    design: str
    cooling: Params
    swept: tuple[tuple[str, Any], ...] = ()


_CASE_FIELDS = tuple(f.name for f in dataclasses.fields(Case))


def _case(fixed: Iterable[tuple[str, Any]], varying: Iterable[tuple[str, Any]], _set: Any = object.__setattr__) -> Case:
    """A :class:`Case` of already validated fields (:meth:`CaseColumns.cases`: ``fixed`` and
    ``varying`` as ``(field, value)`` pairs, every field once), without the frozen dataclass'
    ``__init__`` (its keyword binding and default factories); the same object as
    ``Case(**fields)``, equal and of equal hash. Each field is set as ``__init__`` sets it, so
    the instance keeps its values inline as any case does (filling ``case.__dict__`` instead
    gives each case a dict object of its own: 240 instead of 177 B per case)."""
    case = object.__new__(Case)
    for name, value in fixed:
        _set(case, name, value)
    for name, value in varying:
        _set(case, name, value)
    return case


def _dotted(table: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A ``[sweep]`` table's keys as dotted paths: TOML reads ``facility.utilisation = [...]``
    (unquoted) as a table in a table, ``"facility.utilisation" = [...]`` as one key; both mean the
    same parameter, so one written both ways, or an empty table in it, is refused."""
    out: dict[str, Any] = {}

    def walk(t: Mapping[str, Any], prefix: str) -> None:
        for k, v in t.items():
            key = f"{prefix}{k}"
            if isinstance(v, Mapping):
                if not v:
                    raise ConfigError(f"[sweep] {key} is an empty table; write 'SECTION.NAME' = [values]")
                walk(v, f"{key}.")
            elif key in out:
                raise ConfigError(f"[sweep] {key!r} is given twice (quoted and dotted); give it once")
            else:
                out[key] = v

    walk(table, "")
    return list(out.items())


def _names(data: Mapping[str, Any], key: str, default: str, where: str) -> Any:
    """A file's ``key`` (one name) or ``key + "s"`` (a list of names), refused in the file's own
    terms when both are given or when the value is not a name or a list of names."""
    keys = [k for k in (key, key + "s") if k in data]
    if len(keys) == 2:
        raise ConfigError(f"{where}: give {key} (one) or {key}s (a list), not both")
    if not keys:
        return default
    value = data[keys[0]]
    if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
        raise ConfigError(f"{where}: {keys[0]} must be a {key} name or a list of names, got {given(value)}")
    blank = next((v for v in ([value] if isinstance(value, str) else value) if not v.strip()), None)
    if blank is not None:
        allowed = "a site key or name (twin sites lists them)" if key == "site" else f"one of {', '.join(DESIGNS)}"
        raise ConfigError(f"{where}: {keys[0]} = {given(value)}: {blank!r} is an empty {key} name; give {allowed}")
    return value


Column = tuple[list[Any], "np.ndarray"]
"""A per-case field as its distinct values and each case's index into them (``intp``)."""


class CaseColumns:
    """The cases of a run as columns: what the engine reads of them, without a :class:`Case` per case.

    For each field of :class:`Case`, its distinct values and each case's index into them
    (:meth:`column`, made on first use); for each swept key, every case's coordinate
    (:meth:`coordinate`). Made from a scenario's grid by :meth:`Scenario.case_columns` (index
    arithmetic on the grid's axes: nothing per case in Python) or from a list of cases by
    :meth:`of_cases` (values told apart by identity: the cases of a sweep share their parameter
    objects). :meth:`cases` makes the :class:`Case` objects; :meth:`Scenario.cases` is that.
    """

    def __init__(
        self,
        n: int,
        make: Callable[[str], Column],
        coordinate: Callable[[str], Column],
        cases: list[Case] | None = None,
    ) -> None:
        self.n = n
        self._make = make
        self._coordinate = coordinate
        self._columns: dict[str, Column] = {}
        self._cases = cases

    def __len__(self) -> int:
        return self.n

    @classmethod
    def of_cases(cls, cases: Sequence[Case]) -> CaseColumns:
        """The columns of a list of cases (any cases, in any order)."""
        cases = list(cases)

        def make(name: str) -> Column:
            objs = list(map(operator.attrgetter(name), cases))
            if not objs or all(map(operator.is_, objs, itertools.repeat(objs[0]))):  # one object (a sweep's block)
                return objs[:1], np.zeros(len(objs), dtype=np.intp)
            ids = np.fromiter(map(id, objs), np.uintp, len(objs))
            _, first, codes = np.unique(ids, return_index=True, return_inverse=True)
            return [objs[i] for i in first.tolist()], codes.astype(np.intp).reshape(-1)

        swept: list[list[dict[str, Any]]] = []  # each distinct swept tuple as a dict, once

        def coordinate(key: str) -> Column:
            values, codes = table.column("swept")
            if not swept:
                swept.append([dict(sw) for sw in values])
            return [sw.get(key, np.nan) for sw in swept[0]], codes

        table = cls(len(cases), make, coordinate, cases)
        return table

    def column(self, name: str) -> Column:
        """The field ``name`` of every case: its distinct values and each case's index into them."""
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = self._make(name)
        return col

    def of(self, name: str, idx: Any = None) -> Column:
        """:meth:`column` of the cases ``idx`` (all by default): the distinct values among them
        (in the order of the column's values) and each case's index into those."""
        values, codes = self.column(name)
        if idx is not None:
            codes = codes[idx]
        if len(values) == 1:
            return values, codes
        if codes.size and bool(np.all(codes == codes[0])):
            return [values[codes[0]]], np.zeros(codes.size, dtype=np.intp)
        present, rows = np.unique(codes, return_inverse=True)
        return [values[k] for k in present.tolist()], rows.reshape(-1)

    def values(self, name: str, idx: Any = None, fn: Callable[[Any], Any] | None = None) -> list[Any]:
        """The field ``name`` of every case of ``idx`` (all by default), or ``fn`` of it (run once
        per distinct value)."""
        values, codes = self.column(name)
        return _take(values if fn is None else list(map(fn, values)), codes if idx is None else codes[idx])

    def each(self, name: str, fn: Callable[[Any], Any], idx: Any = None, dtype: type = float) -> np.ndarray:
        """``fn(value)`` of the field ``name`` of every case of ``idx`` (all by default), as an
        array of ``dtype``; ``fn`` runs once per distinct value."""
        values, rows = self.of(name, idx)
        return np.array([fn(v) for v in values], dtype=dtype)[rows]

    def coordinate(self, key: str) -> list[Any]:
        """Every case's value of the swept key ``key`` (NaN where the case does not take it)."""
        return _take(*self._coordinate(key))

    def cases(self) -> list[Case]:
        """The :class:`Case` objects (those given to :meth:`of_cases`); cases of one value share its object."""
        if self._cases is not None:
            return list(self._cases)
        columns = [(name, *self.column(name)) for name in _CASE_FIELDS]
        fixed = [(name, values[0]) for name, values, _ in columns if len(values) == 1]
        names = [name for name, values, _ in columns if len(values) > 1]
        varying = [_take(values, codes) for _, values, codes in columns if len(values) > 1]
        return (
            [_case(fixed, zip(names, row, strict=True)) for row in zip(*varying, strict=True)]
            if varying
            else [_case(fixed, ()) for _ in range(self.n)]
        )


def _take(values: list[Any], codes: np.ndarray) -> list[Any]:
    """``[values[c] for c in codes]``."""
    if len(values) == 1:
        return values * codes.size
    return [values[c] for c in codes.tolist()]


@dataclass(frozen=True)
class Scenario(CaseSections):
    """A facility at one or more sites with one or more cooling designs (see module docs).

    Immutable and hashable: equal scenarios (two loads of one file) compare and hash equal, so
    a server can memoise runs by scenario.
    """

    sites: tuple[str, ...] = ("karamay",)
    designs: tuple[str, ...] = ("free_air",)
    name: str = "scenario"
    weather: WeatherSource = section(WeatherSource)
    cooling: Mapping[str, Params] = field(default_factory=FrozenMap)
    dispatch: DispatchParams = section(DispatchParams)
    ensemble: YearToYear = section(YearToYear)
    sweep: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    site_dirs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("sites", "designs", "site_dirs"):
            value = getattr(self, name)
            if isinstance(value, str | os.PathLike):
                value = (value,)
            if not isinstance(value, Sequence) or not all(isinstance(v, str | os.PathLike) for v in value):
                raise ConfigError(f"{name} must be a list of names, got {given(value)}")
            object.__setattr__(self, name, tuple(str(v) for v in value))
        if not isinstance(self.name, str):
            raise ConfigError(f"name must be text, got {given(self.name)}")
        if not self.sites:
            raise ConfigError("sites must name at least one site")
        if not self.designs:
            raise ConfigError("designs must name at least one cooling design")
        for name, what in (("sites", "site"), ("designs", "design")):
            again = repeated(getattr(self, name))
            if again is not None:
                raise ConfigError(
                    f"{name} = {', '.join(getattr(self, name))}: {again!r} is repeated; give each {what} once"
                )
        for s in SECTIONS:
            if not isinstance(getattr(self, s.attr), s.cls):
                raise ConfigError(f"{s.path} must be {s.cls.__name__}, got {type(getattr(self, s.attr)).__name__}")
        for d in self.designs:
            get_design(d)
        cooling = dict(self.cooling)
        for name, p in cooling.items():
            design = get_design(name)
            if not isinstance(p, design.params):
                raise ConfigError(f"cooling.{name} must be {design.params.__name__}, got {type(p).__name__}")
        for d in self.designs:
            cooling.setdefault(d, get_design(d).params())
        object.__setattr__(self, "cooling", FrozenMap(cooling))
        if self.weather.is_file and len(self.sites) > 1:
            raise ConfigError(
                f"weather.source = {self.weather.source!r} is one file, but {len(self.sites)} sites were given; use one site"
            ).explained(
                "one_file_many_sites", file=f"weather.source = {self.weather.source!r}", count=str(len(self.sites))
            )
        sweep = tuple(
            (str(k), tuple(v)) for k, v in (self.sweep.items() if isinstance(self.sweep, Mapping) else self.sweep)
        )
        for key, values in sweep:
            if not values:
                raise ConfigError(f"sweep.{key} has no values").explained("sweep_empty", key=key)
            if repeated(values) is not None:
                raise ConfigError(
                    f"sweep.{key}: a value is repeated ({repeated(values)!r}); give each value once"
                ).explained("sweep_repeated", key=key, value=repr(repeated(values)))
            param_class(key, sweep=True)
        object.__setattr__(self, "sweep", sweep)
        check_cases(self.case_count)
        # Every distinct parameter set the sweep makes is built (and validated, the field
        # named) once, here; cases() only combines them.
        object.__setattr__(self, "_swept_sets", self._parameter_sets())

    def _parameter_sets(self) -> dict[str, list[tuple[str, tuple[int, ...], dict[Any, Params]]]]:
        """Per design, the sections the sweep replaces: ``(attr, swept key indices, {value index: object})``.

        A section swept by one key gets one object per value; by several keys, one per
        combination of their values (keyed by the tuple of indices: its own checks may relate
        the fields). Objects of a section other than the cooling design's serve every design.
        """
        per_case = {s.path: s.attr for s in SECTIONS if s.per_case}
        values = [v for _, v in self.sweep]
        shared: dict[str, dict[Any, Params]] = {}
        out = {}
        for design in self.designs:
            by_target: dict[str, list[int]] = {}
            for j, (key, _) in enumerate(self.sweep):
                section = key.rpartition(".")[0]
                if section.startswith(COOLING + "."):
                    if section == f"{COOLING}.{design}":
                        by_target.setdefault(COOLING, []).append(j)
                else:
                    by_target.setdefault(per_case[section], []).append(j)
            tables = []
            for attr, js in by_target.items():
                table = shared.get(attr) if attr != COOLING else None
                if table is None:
                    base = self.cooling[design] if attr == COOLING else getattr(self, attr)
                    table = {}
                    for sub in itertools.product(*(range(len(values[j])) for j in js)):
                        changes = {
                            self.sweep[j][0].rpartition(".")[2]: values[j][i] for j, i in zip(js, sub, strict=True)
                        }
                        try:
                            obj = dataclasses.replace(base, **changes)
                        except ConfigError as exc:
                            raise exc.within(f"sweep {', '.join(self.sweep[j][0] for j in js)}") from None
                        table[sub[0] if len(js) == 1 else sub] = obj
                    if attr != COOLING:
                        shared[attr] = table
                tables.append((attr, tuple(js), table))
            out[design] = tables
        return out

    @property
    def case_count(self) -> int:
        """How many cases :meth:`cases` gives (sites × designs × combinations of swept values),
        counted without making them."""
        return len(self.sites) * len(self.designs) * math.prod(len(v) for _, v in self.sweep)

    def cases(self) -> list[Case]:
        """The cases: sites × designs × every combination of swept values (in that order).

        :meth:`case_columns`' :class:`Case` objects: built from the parameter sets
        :meth:`__post_init__` made (and validated) once each; cases of a swept value share its
        parameter object.
        """
        return self.case_columns().cases()

    def case_columns(self, rows: slice | None = None) -> CaseColumns:
        """The cases of :meth:`cases` (or the slice ``rows`` of them: a block of a grid study) as
        columns (:class:`CaseColumns`), from the grid's axes.

        Case number ``(s · designs + d) · combinations + c`` is site ``s``, design ``d`` and
        combination ``c`` of swept values (in ``itertools.product``'s order); a swept section's
        object for a combination is its parameter set's (:meth:`_parameter_sets`) at the flat
        index of the combination's values of the keys that section takes. With ``rows`` each
        column holds the values of those cases only.
        """
        sets = cast(dict[str, list[tuple[str, tuple[int, ...], dict[Any, Params]]]], self.__dict__["_swept_sets"])
        dims = tuple(len(v) for _, v in self.sweep)
        nc = math.prod(dims)
        designs = self.designs
        r = range(len(self.sites) * len(designs) * nc)[rows if rows is not None else slice(None)]
        site, rest = np.divmod(np.arange(r.start, r.stop, r.step, dtype=np.intp), len(designs) * nc)
        design, combo = np.divmod(rest, nc)
        combos = np.unravel_index(combo, dims) if dims else ()  # each key's value index, per case
        taken = [tuple(sorted(j for _, js, _ in sets[d] for j in js)) for d in designs]  # the keys each design takes

        def make(name: str) -> Column:
            values: list[Any]
            if name == "site":
                values, codes = list(self.sites), site
            elif name == "design":
                values, codes = list(designs), design
            elif name == "swept":
                pairs = [[(k, v) for v in vs] for k, vs in self.sweep]
                present = np.unique(combo)
                at = np.unravel_index(present, dims) if dims else ()
                values, start = [], {}
                for js in dict.fromkeys(taken):  # each combination's (key, value) pairs, once per set of keys
                    start[js] = len(values)
                    values += zip(*(_take(pairs[j], at[j]) for j in js), strict=True) if js else [()] * len(present)
                codes = np.asarray([start[js] for js in taken], dtype=np.intp)[design] + np.searchsorted(present, combo)
            else:
                values, codes = [], np.empty(len(r), dtype=np.intp)
                for i, d in enumerate(designs if name == COOLING else designs[:1]):
                    here = design == i if name == COOLING else slice(None)  # other sections: every design's
                    table = next(((js, t) for attr, js, t in sets[d] if attr == name), None)
                    if table is None:
                        codes[here] = len(values)
                        values.append(self.cooling[d] if name == COOLING else getattr(self, name))
                    else:
                        js, t = table
                        at = tuple(combos[j][here] for j in js)
                        codes[here] = len(values) + np.ravel_multi_index(at, tuple(dims[j] for j in js))
                        values += t.values()
            if rows is None:
                return values, codes
            present, codes = np.unique(codes, return_inverse=True)
            return [values[k] for k in present.tolist()], codes.reshape(-1).astype(np.intp)

        def coordinate(key: str) -> Column:
            out: Column = ([np.nan], np.zeros(len(r), dtype=np.intp))
            for j, (k, vs) in enumerate(self.sweep):  # a key given twice: its last values, as dict(case.swept)
                if k == key:
                    takes = np.array([j in js for js in taken])[design]
                    out = ([*vs, np.nan], np.where(takes, combos[j], len(vs)).astype(np.intp))
            return out

        return CaseColumns(len(r), make, coordinate)

    def one_case(self, case: Case) -> Scenario:
        """``case`` as a scenario of its own: its site, design and sections, this scenario's name,
        site folders and scenario-wide sections (weather, dispatch)."""
        parts = {s.attr: getattr(case, s.attr) for s in SECTIONS if s.per_case}
        return dataclasses.replace(
            self, sites=(case.site,), designs=(case.design,), cooling={case.design: case.cooling}, sweep=(), **parts
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "scenario") -> Scenario:
        """Build from a TOML document; unknown keys and sections that are not tables are errors naming them."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a scenario is a table of fields, got {given(data)}")
        data = apply_preset(data, where)
        allowed = sorted(set(TOP_LEVEL) | {s.path.split(".")[0] for s in SECTIONS})
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise unknown_field("", unknown[0], allowed, quoted=True).within(where)
        kwargs: dict[str, Any] = {}
        for s in SECTIONS:
            kwargs[s.attr] = _section(data, s)
        cooling_tables = data.get(COOLING, {})
        if not isinstance(cooling_tables, Mapping):
            raise ConfigError(f"[{COOLING}] must be a table of design tables, e.g. [cooling.free_air]")
        kwargs[COOLING] = {
            name: get_design(name).params.from_dict(table, f"{COOLING}.{name}")
            for name, table in cooling_tables.items()
        }
        sweep = data.get("sweep", {})
        if not isinstance(sweep, Mapping):
            raise ConfigError(f"[sweep] must be a table of 'SECTION.NAME' = [values], got {given(sweep)}")
        sites = _names(data, "site", "karamay", where)
        designs = _names(data, "design", "free_air", where)
        try:
            return cls(
                sites=sites,
                designs=designs,
                name=data.get("name", "scenario"),
                sweep=tuple((k, tuple(v) if isinstance(v, list | tuple) else (v,)) for k, v in _dotted(sweep)),
                site_dirs=data.get("site_dirs", ()),
                **kwargs,
            )
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready mapping that :meth:`from_dict` reads back to an equal scenario."""
        d: dict[str, Any] = {"name": self.name, "sites": list(self.sites), "designs": list(self.designs)}
        if self.site_dirs:
            d["site_dirs"] = list(self.site_dirs)
        for s in SECTIONS:
            *parents, last = s.path.split(".")
            table = d
            for p in parents:
                table = table.setdefault(p, {})
            fields = getattr(self, s.attr).to_toml()
            if fields or s.cls is not YearToYear:  # [ensemble] only when it differs from the default
                table.setdefault(last, {}).update(fields)
        d[COOLING] = {k: v.to_toml() for k, v in self.cooling.items()}
        if self.sweep:
            d["sweep"] = {k: list(v) for k, v in self.sweep}
        return d

    def with_overrides(self, overrides: Sequence[str]) -> Scenario:
        """This scenario with ``SECTION.NAME=VALUE`` overrides (``--set``), validated as a file would be.

        A preset (``preset=legacy``, ``green.storage.preset=minning``) is laid over the scenario's
        values first, whatever its place among the overrides; the other values then win over it.
        A key given twice is an error (as a ``--grid`` key given twice is).
        """
        if not overrides:
            return self
        d = self.to_dict()
        parsed = [parse_override(text) for text in overrides]
        seen: dict[str, Any] = {}
        for key, value in parsed:
            if key in seen:
                raise ConfigError(f"--set {key} is given twice ({seen[key]!r} and {value!r}); give it once")
            seen[key] = value
        for key, value in sorted(parsed, key=lambda kv: kv[0].rpartition(".")[2] != "preset"):
            *parents, name = key.split(".")
            if name == "preset":
                _lay_preset(d, ".".join(parents), value)
                continue
            table = d
            for p in parents:
                table = table.setdefault(p, {})
            table[name] = value
            if key in ("site", "design"):
                d.pop(key + "s", None)
        try:
            return Scenario.from_dict(d, "--set")
        except ConfigError as exc:
            raise ConfigError(f"--set: {exc}") from None


def _sections() -> tuple[Section, ...]:
    """The section table, from the :func:`section` fields of :class:`Scenario` and :class:`Case`."""
    per_case = {f.name for f in dataclasses.fields(Case)}
    out = []
    for f in dataclasses.fields(Scenario):
        if _SECTION in f.metadata:
            cls, presets = f.metadata[_SECTION]
            if not cls.section:  # pragma: no cover - a declaration error, not a user's
                raise TypeError(f"Scenario.{f.name}: {cls.__name__}.section names no TOML table")
            out.append(Section(cls.section, f.name, cls, f.name in per_case, presets))
    return tuple(sorted(out, key=lambda s: s.per_case))  # scenario-wide first: [weather] heads a saved file


SECTIONS: tuple[Section, ...] = _sections()
"""Every scenario section but the cooling designs' (``cooling.DESIGN``, from :data:`twin.building.cooling.DESIGNS`)."""

_BY_PATH = {s.path: s for s in SECTIONS}


def parse_override(text: str) -> tuple[str, Any]:
    """``"green.pv.capacity_mw=150"`` → ``("green.pv.capacity_mw", 150)``.

    The value is a TOML literal (``150``, ``true``, ``"R134a"``, ``[0.5, 0.7]``); text that is
    not one is taken as a string. The key must name a parameter or a top-level field.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: write SECTION.NAME=VALUE, e.g. facility.it_capacity_kw=50000")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}", parse_float=read_typed)["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if type(value) is int and raw != str(value):  # 1_000, +5, 0x10: a message repeats it as typed
        value = TypedInt(raw, value)
    section, _, name = key.rpartition(".")
    if name == "preset" and section in _BY_PATH and _BY_PATH[section].presets:
        return key, value
    if key not in TOP_LEVEL or key in (COOLING, "sweep"):
        try:
            param_class(key)
        except ConfigError as exc:
            raise ConfigError(f"--set {text}: {exc}") from None
    return key, value


def _table(d: dict[str, Any], path: str) -> dict[str, Any]:
    """The (new if absent) table at a dotted path of a scenario mapping."""
    for part in path.split("."):
        d = d.setdefault(part, {})
    return d


def _lay_preset(d: dict[str, Any], section: str, name: Any) -> None:
    """Lay a preset over a full scenario mapping (:meth:`Scenario.to_dict`): its values replace the scenario's.

    ``section`` is ``""`` for a facility baseline (``preset = "legacy"``) or the path of a section
    with presets (``green.storage``), whose own fields then restart from the preset.
    """
    if not section:
        if name not in BASELINES:
            raise ConfigError(f"--set preset = {name!r} is unknown; choose one of {', '.join(BASELINES)}")
        for path, values in BASELINES[name].items():
            _table(d, path).update(values)
        return
    s = _BY_PATH[section]
    if name not in s.presets:
        raise ConfigError(f"--set {section}.preset = {name!r} is unknown; presets: {', '.join(s.presets)}")
    table = _table(d, section)
    for f in dataclasses.fields(s.cls):
        table.pop(f.name, None)
    table["preset"] = name


def _section(data: Mapping[str, Any], s: Section) -> Params:
    """The parameter set of one section from a TOML document (a preset expanded)."""
    table: Any = data
    for i, part in enumerate(s.path.split(".")):
        table = table.get(part, {}) if isinstance(table, Mapping) else table
        if not isinstance(table, Mapping):
            where = ".".join(s.path.split(".")[: i + 1])
            raise ConfigError(f"[{where}] must be a table of fields, got {given(table)}")
    children = {p.split(".")[-1] for p in _BY_PATH if p.startswith(s.path + ".")}
    own = {k: v for k, v in table.items() if k not in children}
    if s.presets and "preset" in own:
        preset = own.pop("preset")
        if preset not in s.presets:
            raise ConfigError(f"{s.path}.preset = {preset!r} is unknown; presets: {', '.join(s.presets)}")
        own = {**s.presets[preset].to_dict(), **own}
    return s.cls.from_dict(own, s.path)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file (UTF-8); errors name the file and the field."""
    p = input_file(path, "scenario file", ConfigError)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the scenario file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8: save it as UTF-8 and try again"
        ) from None
    return paths_from(scenario_from_text(text, str(p)), p.parent)


_KEY_PART = r"""[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*'"""
_INT = r"[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)"
_KEY = rf"(?:{_KEY_PART})(?:[ \t]*\.[ \t]*(?:{_KEY_PART}))*"
"""A TOML key as written: bare or quoted parts joined by dots (``weather.seed``, ``"facility.utilisation"``)."""
_KEY_INT = re.compile(
    rf"(?P<key>{_KEY})[ \t]*=[ \t]*"
    rf"(?P<value>\[[^\]\n]*\]|{_INT}(?=[ \t]*(?:[,}}#\n]|$)))"
)


_NOT_PLAIN = re.compile(r"\+[0-9]|[0-9]_[0-9]|0[xob][0-9A-Fa-f]")
"""Text that may be a whole number written otherwise than Python writes it."""


def typed_ints(data: dict[str, Any], text: str) -> dict[str, Any]:
    """``data`` (the TOML document ``text`` as :mod:`tomllib` reads it) with each whole number
    written otherwise than Python writes it (``1_000``, ``+5``, ``0x10``) as a :class:`TypedInt`
    keeping its text, so a message repeats it as typed, as for ``--set``.

    The reader keeps no text, so the text is found by the number's key: ``key = 0x10`` (or an
    array of numbers on one line, ``key = [1_000, 2_000]``) anywhere in ``text``. A key and value
    the text spells in more than one way (``seed = 0x10`` in one table and ``seed = 16`` in
    another) keep the plain number: the message then says ``16``, never another number.
    """
    if not _NOT_PLAIN.search(text):  # every whole number as Python writes it: nothing to keep
        return data
    spelt: dict[tuple[str, int], set[str]] = {}
    for m in _KEY_INT.finditer(text):
        last = re.findall(_KEY_PART, m["key"])[-1]
        key = last[1:-1] if last[0] in "\"'" else last
        value = m["value"]
        for raw in value[1:-1].split(",") if value.startswith("[") else [value]:
            raw = raw.strip()
            if re.fullmatch(_INT, raw):
                try:
                    n = int(raw.replace("_", ""), 0)  # as TOML reads it (0x, 0o, 0b; a sign)
                except ValueError:  # "007": not TOML (a comment's or a string's text)
                    continue
                spelt.setdefault((key, n), set()).add(raw)

    def typed(key: str, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: typed(k, x) for k, x in v.items()}
        if isinstance(v, list):
            return [typed(key, x) for x in v]
        if type(v) is int and len(texts := spelt.get((key, v), set())) == 1 and (raw := min(texts)) != str(v):
            return TypedInt(raw, v)
        return v

    return {k: typed(k, v) for k, v in data.items()} if spelt else data


def _given_twice(exc: tomllib.TOMLDecodeError, text: str, at: re.Match[str] | None) -> str:
    """What the reader's "Cannot overwrite a value" at a line means, naming the key of that line
    (``utilisation = 0.6`` after ``utilisation = 0.5``: ``; utilisation is given twice``), or ""."""
    lines = text.splitlines()
    if not str(exc).startswith("Cannot overwrite a value") or not at or not at[1] or int(at[1]) > len(lines):
        return ""
    key = re.match(rf"[ \t]*({_KEY})[ \t]*=", lines[int(at[1]) - 1])
    return f"; {key[1]} is given twice (a key is given once in its table)" if key else ""


def scenario_from_text(text: str, where: str = "scenario") -> Scenario:
    """A scenario from TOML text (a file's content, or what the app's editor holds): refused
    (``ConfigError``, every message starting with ``where``) when it is not TOML, when it is
    empty or holds only comments, or when a value is not allowed."""
    try:
        data = typed_ints(tomllib.loads(text, parse_float=read_typed), text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at (?:line (\d+), column (\d+)|end of document)\)", str(exc))
        err = ConfigError(f"not valid TOML: {exc}{_given_twice(exc, text, at)}")
        if at:
            detail = str(exc)[: at.start()].strip()
            if at[1]:
                err.explained("toml_syntax", line=at[1], column=at[2], detail=detail)
            else:
                err.explained("toml_syntax_end", detail=detail)
        raise err.within(where) from None
    if not data:
        raise ConfigError(
            f"{where}: the scenario file is empty (no site, design or section); give at least "
            'site = "…" and design = "…" (twin run --site S --cooling D --save FILE writes a full one)'
        )
    try:
        return Scenario.from_dict(data, where)
    except ConfigError as exc:
        msg = str(exc)
        raise (exc if msg.startswith(where) else exc.within(where)) from None


def paths_from(sc: Scenario, folder: Path) -> Scenario:
    """The scenario with its relative file paths (weather, hourly utilisation, measured PV/wind
    output, site folders) made absolute against ``folder``.

    A scenario file's relative paths are relative to the file, wherever the command runs
    (:func:`load_scenario`); a scenario built from the command line is saved with its paths made
    absolute against the working folder (:func:`save_scenario`), so the saved file finds them
    from any folder.
    """

    def near(name: str) -> str:  # absolute, links kept (a link saved is the link, not its target)
        return name if not name or Path(name).is_absolute() else os.path.abspath(folder / name)

    changes: dict[str, Any] = {}
    if sc.weather.is_file:
        changes["weather"] = dataclasses.replace(sc.weather, source=near(sc.weather.source))
    for s in SECTIONS:
        obj = getattr(sc, s.attr)
        if getattr(obj, "profile_csv", ""):
            changes[s.attr] = dataclasses.replace(obj, profile_csv=near(obj.profile_csv))
    if sc.site_dirs:
        changes["site_dirs"] = tuple(near(d) for d in sc.site_dirs)
    if any(k.endswith(".profile_csv") for k, _ in sc.sweep):  # swept file names too
        changes["sweep"] = tuple(
            (k, tuple(near(v) for v in vals) if k.endswith(".profile_csv") else vals) for k, vals in sc.sweep
        )
    return dataclasses.replace(sc, **changes) if changes else sc


def save_scenario(scenario: Scenario, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a scenario as TOML (``tomli-w``), atomically; an existing file needs ``force``.

    Relative file paths are written absolute, against the working folder (:func:`paths_from`).
    """
    import tomli_w  # saving only

    text = tomli_w.dumps(paths_from(scenario, Path.cwd()).to_dict())
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)
