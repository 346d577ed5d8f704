"""Frozen, validated parameter dataclasses: one piece of code checks every config field.

A parameter is declared with :func:`param` (default, allowed range, units, source); the base
class :class:`Params` validates ranges and types in ``__post_init__`` and builds instances from
TOML tables with :meth:`Params.from_dict`, rejecting unknown keys. Errors are
:class:`ConfigError` (a ``ValueError``) naming the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar, Self

__all__ = ["ConfigError", "Params", "param"]


class ConfigError(ValueError):
    """A scenario or parameter value that is not allowed; the message names the field."""


def param(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    units: str = "-",
    source: str = "assumption",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare a parameter: default, inclusive range [lo, hi] (or choices), units and source."""
    return dataclasses.field(
        default=default, metadata={"lo": lo, "hi": hi, "units": units, "source": source, "choices": choices}
    )


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of all parameter sets; subclasses are frozen dataclasses of :func:`param` fields."""

    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            self._check(f, getattr(self, f.name))

    def _check(self, f: dataclasses.Field, value: Any) -> None:
        name = f"{self.section}.{f.name}" if self.section else f.name
        md = f.metadata
        choices = md.get("choices")
        if choices is not None:
            if value not in choices:
                raise ConfigError(f"{name} = {value!r} is not allowed; choose one of {', '.join(choices)}")
            return
        if isinstance(f.default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be true or false, got {value!r}")
            return
        if isinstance(f.default, str):
            if not isinstance(value, str) or (not value and f.default):
                raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
            return
        if isinstance(f.default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be finite, got {value!r}")
            lo, hi = md.get("lo"), md.get("hi")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                rng = f"{'-∞' if lo is None else f'{lo:g}'} … {'∞' if hi is None else f'{hi:g}'}"
                raise ConfigError(f"{name} = {value:g} is out of range; allowed {rng} {md.get('units', '')}".rstrip())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str = "") -> Self:
        """Build from a mapping (a TOML table); unknown keys are an error naming them."""
        data = dict(data or {})
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            prefix = where or cls.section
            raise ConfigError(
                f"unknown field {prefix + '.' if prefix else ''}{unknown[0]}; allowed fields are {', '.join(names)}"
            )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain mapping (for TOML)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(name, default, units, source) of every parameter, for documentation."""
        return [
            (f.name, f.default, f.metadata.get("units", "-"), f.metadata.get("source", ""))
            for f in dataclasses.fields(cls)
        ]
