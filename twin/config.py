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
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.cooling import DESIGNS, get_design
from twin.electrical import ElectricalParams
from twin.io import atomic_write
from twin.it_load import ITParams
from twin.params import ConfigError, Params, param

__all__ = ["Case", "Scenario", "WeatherSource", "load_scenario", "save_scenario"]


@dataclass(frozen=True)
class WeatherSource(Params):
    """Where the hourly weather comes from: the built-in generated year or a file."""

    section = "weather"

    source: str = param("typical", source="'typical' (generated from the site's normals) or a weather file path")
    seed: int = param(0, 0, 2**31 - 1, source="seed of the generated year")
    year: int = param(2021, 1900, 2100, source="calendar year of the generated year")

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
        self.cases()  # validates every swept value now, with the field named

    def _check_sweep_key(self, key: str) -> None:
        parts = key.split(".")
        if parts[0] in ("facility", "electrical") and len(parts) == 2:
            cls = ITParams if parts[0] == "facility" else ElectricalParams
        elif parts[0] == "cooling" and len(parts) == 3 and parts[1] in DESIGNS:
            cls = DESIGNS[parts[1]].params
        else:
            raise ConfigError(
                f"sweep key {key!r} is not a parameter; use facility.NAME, electrical.NAME or cooling.DESIGN.NAME"
            )
        names = [f.name for f in dataclasses.fields(cls)]
        if parts[-1] not in names:
            raise ConfigError(f"sweep key {key!r}: unknown field {parts[-1]!r}; allowed: {', '.join(names)}")

    def cases(self) -> list[Case]:
        """The cases: sites × designs × every combination of swept values (in that order)."""
        keys = [k for k, _ in self.sweep]
        combos = list(itertools.product(*[v for _, v in self.sweep])) or [()]
        out = []
        for site in self.sites:
            for design in self.designs:
                for combo in combos:
                    fac, ele, coo = self.facility, self.electrical, self.cooling[design]
                    swept = []
                    for key, value in zip(keys, combo, strict=True):
                        parts = key.split(".")
                        try:
                            if parts[0] == "facility":
                                fac = dataclasses.replace(fac, **{parts[1]: value})
                            elif parts[0] == "electrical":
                                ele = dataclasses.replace(ele, **{parts[1]: value})
                            elif parts[1] == design:
                                coo = dataclasses.replace(coo, **{parts[2]: value})
                            else:
                                continue
                        except ConfigError as exc:
                            raise ConfigError(f"sweep {key}: {exc}") from None
                        swept.append((key, value))
                    out.append(Case(site, design, fac, ele, coo, tuple(swept)))
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
        try:
            return cls(
                sites=tuple([sites] if isinstance(sites, str) else sites),
                designs=tuple([designs] if isinstance(designs, str) else designs),
                name=str(data.get("name", "scenario")),
                weather=WeatherSource.from_dict(data.get("weather")),
                facility=ITParams.from_dict(data.get("facility")),
                electrical=ElectricalParams.from_dict(data.get("electrical")),
                cooling=cooling,
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
    if sc.weather.is_file and not Path(sc.weather.source).is_absolute():
        # A relative weather path is relative to the scenario file.
        sc = dataclasses.replace(
            sc, weather=dataclasses.replace(sc.weather, source=str((p.parent / sc.weather.source).resolve()))
        )
    return sc


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
    if "sweep" in d:
        lines += ["", "[sweep]"] + [f'"{k}" = {_toml_value(v)}' for k, v in d["sweep"].items()]
    text = "\n".join(lines) + "\n"
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)
