"""Frozen, validated parameter dataclasses: one piece of code checks every config field.

A parameter is declared once with :func:`param`: default, allowed range or choices, units
(UDUNITS strings, ``"1"`` for a ratio), source (a reference key of ``docs/references.md`` or
the word assumption), and, for a field whose ``None`` means "take it from elsewhere", what it
inherits (``inherit="site.tariff.price_cny_per_kwh"``, or a phrase such as ``"no limit"``).
The base class :class:`Params` validates every field in ``__post_init__`` by the field's
annotated type (an ``int`` refuses ``1.5``; NumPy scalars count as Python numbers), and builds
instances from TOML tables with :meth:`Params.from_dict`, rejecting unknown keys. Errors are
:class:`ConfigError` (a ``ValueError``) naming the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from twin.core.fmt import Explained, Overflow, given, nearest, number, span

__all__ = ["ConfigError", "ParamInfo", "Params", "display_units", "nearest", "param", "repeated", "unknown_field"]


class ConfigError(Explained, ValueError):
    """A scenario or parameter value that is not allowed; the message names the field (its parts:
    :class:`~weather.fmt.Explained`)."""


def unknown_field(prefix: str, name: str, names: Sequence[str], *, quoted: bool = False) -> ConfigError:
    """The error of a table's unknown field ``name`` (the table at ``prefix``, "" for the scenario's
    top level; its fields ``names``): ``unknown field facility.utilization (did you mean
    facility.utilisation?); allowed fields are …``, the nearest field named when there is one
    (:func:`nearest`), as the command line names the nearest option. ``quoted``: the names in
    quotes (``'sitee'``)."""

    def shown(n: str) -> str:
        full = f"{prefix}.{n}" if prefix else n
        return repr(full) if quoted else full

    allowed = ", ".join(names)
    near = nearest(name, names)
    if near is None:
        return ConfigError(f"unknown field {shown(name)}; allowed fields are {allowed}").explained(
            "unknown_field", field=shown(name), allowed=allowed
        )
    return ConfigError(
        f"unknown field {shown(name)} (did you mean {shown(near)}?); allowed fields are {allowed}"
    ).explained("unknown_field_close", field=shown(name), close=shown(near), allowed=allowed)


def repeated(values: Iterable[Any]) -> Any:
    """The first value of ``values`` that equals an earlier one (``None`` if none does): the one
    check of a list that must hold each value once (sites, designs, swept values, ``--grid``)."""
    seen: set[Any] = set()
    unhashable: list[Any] = []
    for v in values:
        try:
            if v in seen:
                return v
            seen.add(v)
        except TypeError:  # a list or table: compared one by one
            if v in unhashable:
                return v
            unhashable.append(v)
    return None


def param(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    units: str = "1",
    source: str = "assumption",
    choices: tuple[str, ...] | None = None,
    inherit: str | None = None,
    check: Callable[[Any], str | None] | None = None,
    currency: str | None = None,
    allowed: str | None = None,
) -> Any:
    """Declare a parameter.

    Parameters
    ----------
    default : Any
        The default value; ``None`` only together with ``inherit``.
    lo, hi : float, optional
        Inclusive range of a number.
    units : str
        UDUNITS-2 units of a number (``"1"`` for a ratio or a count); for money, the units
        besides the currency (``"kW-1 h-1"`` for a price per kWh).
    source : str
        Reference key(s) of ``docs/references.md`` and what they give, or ``"assumption: …"``.
    choices : tuple of str, optional
        The allowed values of a text field.
    inherit : str, optional
        What ``None`` means: ``"site.<path>"`` (the site's value, see :meth:`Params.inherited`)
        or a phrase (``"no limit"``, ``"off"``). Only a field with ``inherit`` may be ``None``.
    check : callable, optional
        ``check(value)`` returns an error text (what is allowed) or ``None`` for a valid value; a
        number's check runs before its range (it may allow less than ``lo … hi``, e.g. a
        sentinel below a range).
    currency : str, optional
        The currency of a money parameter (``"CNY"``); money is not a UDUNITS unit.
    allowed : str, optional
        What a number allows, in words, where ``lo … hi`` does not say it all (a ``check``'s
        rule): every message of the field (not a number, out of range) says it instead of the range.
    """
    return dataclasses.field(
        default=default,
        metadata={
            "lo": lo,
            "hi": hi,
            "units": units,
            "source": source,
            "choices": choices,
            "inherit": inherit,
            "check": check,
            "currency": currency,
            "allowed": allowed,
        },
    )


@dataclasses.dataclass(frozen=True)
class ParamInfo:
    """What a form or a table needs to show one parameter."""

    name: str
    kind: type
    default: Any
    lo: float | None
    hi: float | None
    units: str
    source: str
    choices: tuple[str, ...] | None
    inherit: str | None
    currency: str | None = None

    @property
    def display_units(self) -> str:
        """Units as a form shows them (``CNY/kWh``, ``°C``)."""
        return display_units(self.units, self.currency)


_SHOWN = {"degC": "°C", "degree": "°", "1": "", "m s-1": "m/s", "K-1": "1/K", "h-1": "1/h"}
_SHOWN |= {"MW h": "MWh", "kW h": "kWh", "L h-1": "L/h", "kg kg-1": "kg/kg", "W m-2": "W/m²", "L kW-1 h-1": "L/kWh"}
_MONEY_SHOWN = {"": "", "1": "", "kW-1 h-1": "/kWh", "MW-1 h-1": "/MWh", "W-1": "/W", "W-1 h-1": "/Wh"}
_MONEY_SHOWN |= {"year-1": "/yr", "kW-1 month-1": "/kW/month", "h-1": "/h", "kg-1": "/kg"}
_SHOWN |= {"kg kW-1": "kg/kW", "% year-1": "%/yr", "kW K-1": "kW/K", "kg h-1": "kg/h"}


def display_units(units: str, currency: str | None = None) -> str:
    """UDUNITS units (and a currency) as a table or form shows them: ``("kW-1 h-1", "CNY")`` → ``CNY/kWh``."""
    if currency:
        return currency + _MONEY_SHOWN.get(units, f" {units}")
    return _SHOWN.get(units, units)


_KINDS: dict[type, dict[str, tuple[type, bool]]] = {}


def _kinds(cls: type) -> dict[str, tuple[type, bool]]:
    """``{field: (base type, None allowed)}`` from the class annotations (once per class)."""
    if cls in _KINDS:
        return _KINDS[cls]
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = typing.get_args(tp) if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union else ()
        optional = type(None) in args
        base = next((a for a in args if a is not type(None)), tp) if args else tp
        out[f.name] = (base, optional)
    _KINDS[cls] = out
    return out


_TEXT_FIELDS: dict[type, tuple[str, ...]] = {}


def text_fields(cls: type) -> tuple[str, ...]:
    """The fields of a parameter class declared ``str`` (or ``str | None``), in order (once per
    class): the only fields whose validated values are text."""
    if cls not in _TEXT_FIELDS:
        _TEXT_FIELDS[cls] = tuple(name for name, (kind, _) in _kinds(cls).items() if kind is str)
    return _TEXT_FIELDS[cls]


_INHERITS: dict[type, dict[str, str | None]] = {}
"""``{field: inherit}`` of each class (:meth:`Params.inherited`)."""

_SPECS: dict[type, tuple[tuple[dataclasses.Field, type, bool, bool, Any, Any], ...]] = {}


def _specs(cls: type) -> tuple[tuple[dataclasses.Field, type, bool, bool, Any, Any], ...]:
    """``(field, base type, None allowed, plain float, lo, hi)`` of every field (once per class).

    A plain float is a ``float`` field without choices or a check: a finite float within
    ``lo … hi`` is valid as it is, which :meth:`Params.__post_init__` checks without
    :meth:`Params._check`.
    """
    if cls not in _SPECS:
        kinds = _kinds(cls)
        _SPECS[cls] = tuple(
            (
                f,
                *kinds[f.name],
                kinds[f.name][0] is float and f.metadata.get("choices") is None and f.metadata.get("check") is None,
                f.metadata.get("lo"),
                f.metadata.get("hi"),
            )
            for f in dataclasses.fields(cls)
        )
    return _SPECS[cls]


def _plain(value: Any, kind: type) -> Any:
    """A NumPy scalar as the Python number it is (``np.int64(3)`` → 3); other values unchanged."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of all parameter sets; subclasses are frozen dataclasses of :func:`param` fields."""

    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f, kind, optional, plain_float, lo, hi in _specs(type(self)):
            value = getattr(self, f.name)
            if (
                plain_float
                and type(value) is float
                and math.isfinite(value)
                and (lo is None or value >= lo)
                and (hi is None or value <= hi)
            ):
                continue  # a valid float, as _check would return it
            object.__setattr__(self, f.name, self._check(f, _plain(value, kind), kind, optional))

    def _name(self, field: str) -> str:
        return f"{self.section}.{field}" if self.section else field

    def _check(self, f: dataclasses.Field, value: Any, kind: type, optional: bool) -> Any:
        """The validated value (an ``int`` given for a ``float`` becomes a float)."""
        name = self._name(f.name)
        md = f.metadata
        if value is None:
            if optional and md.get("inherit"):
                return None
            raise ConfigError(f"{name} must be given (no value)").explained("no_value", field=name)
        choices = md.get("choices")
        if choices is not None:
            if value not in choices:
                raise ConfigError(
                    f"{name} = {given(value)} is not allowed; choose one of {', '.join(choices)}"
                ).explained("choice", field=name, value=given(value), allowed=", ".join(choices))
            return value
        if kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be true or false, got {given(value)}").explained(
                    "not_bool", field=name, value=given(value)
                )
            return value
        if kind is str:
            if not isinstance(value, str) or (not value and f.default):
                raise ConfigError(f"{name} must be a non-empty string, got {given(value)}").explained(
                    "not_text", field=name, value=given(value)
                )
            check = md.get("check")
            if value and check is not None and (why := check(value)) is not None:
                raise ConfigError(f"{name} = {given(value)} is not allowed; {why}")
            return value
        lo, hi = md.get("lo"), md.get("hi")
        units = display_units(md.get("units", "1"), md.get("currency"))
        bounds = md.get("allowed") or (span(lo, hi, units) if lo is not None or hi is not None else "")
        allowed = f"; allowed {bounds}" if bounds else ""
        typed = value  # a message repeats a whole number digit for digit, not as the float it becomes
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be a whole number, got {given(value)}{allowed}").explained(
                    "not_whole", field=name, value=given(value), allowed=bounds
                )
            value = int(value)  # a TypedInt's text is for the message only
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number, got {given(value)}{allowed}").explained(
                    "not_number", field=name, value=given(value), allowed=bounds
                )
            if not math.isfinite(value):  # said as the check says a value out of range, when there is one
                why = md["check"](value) if md.get("check") is not None else None
                err = ConfigError(f"{name} must be finite, got {value!r}{f'; {why}' if why else allowed}")
                if why:  # the check's own words: the message only
                    raise err
                said = "beyond_largest" if isinstance(value, Overflow) else "not_finite"
                raise err.explained(said, field=name, value=getattr(value, "text", repr(value)), allowed=bounds)
            value = float(value)
        else:  # pragma: no cover - a declaration error, not a user's
            raise TypeError(f"{name}: parameters are bool, int, float or str, not {kind}")
        check = md.get("check")
        if check is not None and (why := check(value)) is not None:
            raise ConfigError(f"{name} = {number(typed, grouped=False)} is out of range; {why}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{name} = {number(typed, grouped=False)} is out of range{allowed}").explained(
                "out_of_range", field=name, value=number(typed, grouped=False), allowed=bounds
            )
        return value

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Self:
        """Build from a mapping (a TOML table); unknown keys and non-tables are errors naming them."""
        prefix = where or cls.section
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"[{prefix}] must be a table of fields, got {given(data)}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise unknown_field(prefix, unknown[0], names)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain mapping (``None`` for an inherited value)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_toml(self) -> dict[str, Any]:
        """The fields for a TOML table: an inherited (``None``) field is left out."""
        return {k: v for k, v in self.to_dict().items() if v is not None}

    @classmethod
    def info(cls) -> list[ParamInfo]:
        """Declaration of every parameter (type, default, range, units, source, inheritance)."""
        kinds = _kinds(cls)
        return [
            ParamInfo(
                f.name,
                kinds[f.name][0],
                f.default,
                f.metadata.get("lo"),
                f.metadata.get("hi"),
                f.metadata.get("units", "1"),
                f.metadata.get("source", ""),
                f.metadata.get("choices"),
                f.metadata.get("inherit"),
                f.metadata.get("currency"),
            )
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(name, default, units, source) of every parameter, for documentation."""
        return [(i.name, i.default, i.units, i.source) for i in cls.info()]

    @classmethod
    def inherited(cls, name: str, site: Any) -> Any:
        """The value a ``None`` field takes from a site (``None`` if it inherits no site value).

        ``inherit="site.tariff.price_cny_per_kwh"`` reads ``site.tariff.price_cny_per_kwh``;
        ``"site.reported.METRIC"`` reads ``site.reported_value("METRIC")``. A form shows it as
        "site default: 0.45 CNY/kWh".
        """
        if cls not in _INHERITS:
            _INHERITS[cls] = {f.name: f.metadata.get("inherit") for f in dataclasses.fields(cls)}
        inherit = _INHERITS[cls][name]
        if not inherit or not inherit.startswith("site."):
            return None
        parts = inherit.split(".")[1:]
        if parts[0] == "reported":
            return site.reported_value(parts[1])
        value = site
        for p in parts:
            value = getattr(value, p, None)
            if value is None:  # an optional site table the site does not have (e.g. [wind])
                return None
        return value

    def resolved(self, name: str, site: Any) -> Any:
        """The field's value, or what it inherits from the site when it is ``None``."""
        value = getattr(self, name)
        return self.inherited(name, site) if value is None else value
