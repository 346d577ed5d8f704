"""Scenario: site(s) + weather source + facility + cooling design(s) + electrical chain (+ sweep).

Frozen, validated dataclasses, loadable from and savable to TOML. A scenario with several
sites, several designs or a ``sweep`` expands into *cases*; :func:`twin.simulate` runs them
all in one vectorised call.

TOML layout::

    name = "Karamay free air"
    sites = ["karamay"]                 # or site = "karamay"
    designs = ["free_air"]              # or design = "free_air"

    [weather]
    source = "typical"                  # or a weather file path (.epw, .nc, PVGIS .json)
    seed = 0

    [facility]                          # twin.it_load.ITParams
    it_capacity_kw = 10000

    [electrical]                        # twin.electrical.ElectricalParams

    [cooling.free_air]                  # the design's parameter class
    evap_effectiveness = 0.9

    [sweep]                             # each entry multiplies the cases
    "cooling.free_air.evap_effectiveness" = [0.7, 0.8, 0.9]
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.cooling import DESIGNS, get_design
from twin.economics import EconomicsParams
from twin.electrical import ElectricalParams
from twin.io import atomic_write
from twin.it_load import ITParams
from twin.params import ConfigError, Params, param
from twin.pv import PVParams
from twin.runtime import check_cases
from twin.storage import MINNING, StorageParams
from twin.wind import WindParams
from weather.readers import FORMATS

STORAGE_PRESETS = {"minning": MINNING}
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


__all__ = ["Case", "Scenario", "WeatherSource", "load_scenario", "save_scenario"]


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

    @property
    def is_file(self) -> bool:
        return self.source != "typical"


@dataclass(frozen=True)
class Case:
    """One expanded case: a site, a design and the parameter sets it runs with."""

    site: str
    design: str
    facility: ITParams
    electrical: ElectricalParams
    cooling: Params
    pv: PVParams = field(default_factory=PVParams)
    wind: WindParams = field(default_factory=WindParams)
    storage: StorageParams = field(default_factory=StorageParams)
    economics: EconomicsParams = field(default_factory=EconomicsParams)
    swept: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A facility at one or more sites with one or more cooling designs (see module docs)."""

    sites: tuple[str, ...] = ("karamay",)
    designs: tuple[str, ...] = ("free_air",)
    name: str = "scenario"
    weather: WeatherSource = field(default_factory=WeatherSource)
    facility: ITParams = field(default_factory=ITParams)
    electrical: ElectricalParams = field(default_factory=ElectricalParams)
    cooling: Mapping[str, Params] = field(default_factory=dict)
    pv: PVParams = field(default_factory=PVParams)
    wind: WindParams = field(default_factory=WindParams)
    storage: StorageParams = field(default_factory=StorageParams)
    dispatch: DispatchParams = field(default_factory=DispatchParams)
    economics: EconomicsParams = field(default_factory=EconomicsParams)
    sweep: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.sites, str):
            object.__setattr__(self, "sites", (self.sites,))
        if isinstance(self.designs, str):
            object.__setattr__(self, "designs", (self.designs,))
        if not self.sites:
            raise ConfigError("sites must name at least one site")
        if not self.designs:
            raise ConfigError("designs must name at least one cooling design")
        for d in self.designs:
            get_design(d)
        cooling = dict(self.cooling)
        for name, p in cooling.items():
            design = get_design(name)
            if not isinstance(p, design.params):
                raise ConfigError(f"cooling.{name} must be {design.params.__name__}, got {type(p).__name__}")
        for d in self.designs:
            cooling.setdefault(d, get_design(d).params())
        object.__setattr__(self, "cooling", cooling)
        if self.weather.is_file and len(self.sites) > 1:
            raise ConfigError(
                f"weather.source = {self.weather.source!r} is one file, but {len(self.sites)} sites were given; use one site"
            )
        sweep = tuple(
            (str(k), tuple(v)) for k, v in (self.sweep.items() if isinstance(self.sweep, Mapping) else self.sweep)
        )
        for key, values in sweep:
            if not values:
                raise ConfigError(f"sweep.{key} has no values")
            self._check_sweep_key(key)
        object.__setattr__(self, "sweep", sweep)
        check_cases(len(self.sites) * len(self.designs) * math.prod(len(v) for _, v in sweep))
        self.cases()  # validates every swept value now, with the field named

    def _check_sweep_key(self, key: str) -> None:
        parts = key.split(".")
        simple = {"facility": ITParams, "electrical": ElectricalParams, "economics": EconomicsParams}
        green = {"pv": PVParams, "wind": WindParams, "storage": StorageParams}
        if parts[0] in simple and len(parts) == 2:
            cls = simple[parts[0]]
        elif parts[0] == "cooling" and len(parts) == 3 and parts[1] in DESIGNS:
            cls = DESIGNS[parts[1]].params
        elif parts[0] == "green" and len(parts) == 3 and parts[1] in green:
            cls = green[parts[1]]
        else:
            raise ConfigError(
                f"sweep key {key!r} is not a parameter; use facility.NAME, electrical.NAME, economics.NAME, "
                "cooling.DESIGN.NAME or green.pv|wind|storage.NAME"
            )
        names = [f.name for f in dataclasses.fields(cls)]
        if parts[-1] not in names:
            raise ConfigError(f"sweep key {key!r}: unknown field {parts[-1]!r}; allowed: {', '.join(names)}")

    def cases(self) -> list[Case]:
        """The cases: sites × designs × every combination of swept values (in that order)."""
        keys = [k for k, _ in self.sweep]
        combos = list(itertools.product(*[v for _, v in self.sweep])) or [()]
        out = []
        replaced: dict[tuple, Any] = {}  # each distinct replacement is built (and validated) once
        for site in self.sites:
            for design in self.designs:
                for combo in combos:
                    parts_of = {
                        "facility": self.facility,
                        "electrical": self.electrical,
                        "economics": self.economics,
                        "cooling": self.cooling[design],
                        "pv": self.pv,
                        "wind": self.wind,
                        "storage": self.storage,
                    }
                    swept = []
                    for key, value in zip(keys, combo, strict=True):
                        parts = key.split(".")
                        if parts[0] == "cooling" and parts[1] != design:
                            continue
                        target = parts[1] if parts[0] in ("cooling", "green") else parts[0]
                        target = "cooling" if parts[0] == "cooling" else target
                        memo = (id(parts_of[target]), parts[-1], value)
                        if memo not in replaced:
                            try:
                                replaced[memo] = dataclasses.replace(parts_of[target], **{parts[-1]: value})
                            except ConfigError as exc:
                                raise ConfigError(f"sweep {key}: {exc}") from None
                        parts_of[target] = replaced[memo]
                        swept.append((key, value))
                    out.append(
                        Case(
                            site,
                            design,
                            parts_of["facility"],
                            parts_of["electrical"],
                            parts_of["cooling"],
                            parts_of["pv"],
                            parts_of["wind"],
                            parts_of["storage"],
                            parts_of["economics"],
                            tuple(swept),
                        )
                    )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "scenario") -> Scenario:
        """Build from a TOML document; unknown keys are errors naming them."""
        allowed = {
            "name",
            "site",
            "sites",
            "design",
            "designs",
            "weather",
            "facility",
            "electrical",
            "cooling",
            "green",
            "economics",
            "sweep",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{where}: unknown field {unknown[0]!r}; allowed fields are {', '.join(sorted(allowed))}")
        sites = data.get("sites", data.get("site", "karamay"))
        designs = data.get("designs", data.get("design", "free_air"))
        cooling_tables = data.get("cooling", {})
        if not isinstance(cooling_tables, Mapping):
            raise ConfigError(f"{where}: [cooling] must be a table of design tables, e.g. [cooling.free_air]")
        cooling = {}
        for name, table in cooling_tables.items():
            cooling[name] = get_design(name).params.from_dict(table, f"cooling.{name}")
        green = dict(data.get("green", {}))
        pv = PVParams.from_dict(green.pop("pv", None))
        wind = WindParams.from_dict(green.pop("wind", None))
        st = dict(green.pop("storage", {}) or {})
        preset = st.pop("preset", None)
        if preset is not None:
            if preset not in STORAGE_PRESETS:
                raise ConfigError(
                    f"green.storage.preset = {preset!r} is unknown; presets: {', '.join(STORAGE_PRESETS)}"
                )
            st = {**STORAGE_PRESETS[preset].to_dict(), **st}
        storage = StorageParams.from_dict(st)
        dispatch = DispatchParams.from_dict(green)
        try:
            return cls(
                sites=tuple([sites] if isinstance(sites, str) else sites),
                designs=tuple([designs] if isinstance(designs, str) else designs),
                name=str(data.get("name", "scenario")),
                weather=WeatherSource.from_dict(data.get("weather")),
                facility=ITParams.from_dict(data.get("facility")),
                electrical=ElectricalParams.from_dict(data.get("electrical")),
                cooling=cooling,
                pv=pv,
                wind=wind,
                storage=storage,
                dispatch=dispatch,
                economics=EconomicsParams.from_dict(data.get("economics")),
                sweep=tuple(
                    (k, tuple(v) if isinstance(v, list | tuple) else (v,))
                    for k, v in dict(data.get("sweep", {})).items()
                ),
            )
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready mapping that :meth:`from_dict` reads back to an equal scenario."""
        d: dict[str, Any] = {
            "name": self.name,
            "sites": list(self.sites),
            "designs": list(self.designs),
            "weather": self.weather.to_dict(),
            "facility": self.facility.to_dict(),
            "electrical": self.electrical.to_dict(),
            "cooling": {k: v.to_dict() for k, v in self.cooling.items()},
            "green": {
                **self.dispatch.to_dict(),
                "pv": self.pv.to_dict(),
                "wind": self.wind.to_dict(),
                "storage": self.storage.to_dict(),
            },
            "economics": self.economics.to_dict(),
        }
        if self.sweep:
            d["sweep"] = {k: list(v) for k, v in self.sweep}
        return d


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file; errors name the file and the field."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read scenario ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    try:
        sc = Scenario.from_dict(data, str(p))
    except ConfigError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(str(p)) else f"{p}: {msg}") from None

    # A relative file path (weather, measured PV/wind output, hourly utilisation) is relative to
    # the scenario file, wherever the command runs.
    def near(name: str) -> str:
        return name if not name or Path(name).is_absolute() else str((p.parent / name).resolve())

    changes: dict[str, Any] = {}
    if sc.weather.is_file:
        changes["weather"] = dataclasses.replace(sc.weather, source=near(sc.weather.source))
    for part in ("facility", "pv", "wind"):
        obj = getattr(sc, part)
        if obj.profile_csv:
            changes[part] = dataclasses.replace(obj, profile_csv=near(obj.profile_csv))
    return dataclasses.replace(sc, **changes) if changes else sc


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, Sequence):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def save_scenario(scenario: Scenario, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a scenario as TOML, atomically; an existing file needs ``force``."""
    d = scenario.to_dict()
    lines = [f"{k} = {_toml_value(d[k])}" for k in ("name", "sites", "designs")]
    for section in ("weather", "facility", "electrical"):
        lines += ["", f"[{section}]"] + [f"{k} = {_toml_value(v)}" for k, v in d[section].items()]
    for design, table in d["cooling"].items():
        lines += ["", f"[cooling.{design}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    green = dict(d["green"])
    subs = {k: green.pop(k) for k in ("pv", "wind", "storage")}
    lines += ["", "[green]"] + [f"{k} = {_toml_value(v)}" for k, v in green.items()]
    for name, table in subs.items():
        lines += ["", f"[green.{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    lines += ["", "[economics]"] + [f"{k} = {_toml_value(v)}" for k, v in d["economics"].items()]
    if "sweep" in d:
        lines += ["", "[sweep]"] + [f'"{k}" = {_toml_value(v)}' for k, v in d["sweep"].items()]
    text = "\n".join(lines) + "\n"
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)
