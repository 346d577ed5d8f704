"""Numbers in messages: the one formatter of values, bounds and counts the user reads.

It lives at the bottom (``weather`` imports neither ``twin`` nor ``sites``) so that the weather
readers, the site library and the engine write a number the same way; ``twin.core.fmt``
re-exports it. Standard library only, so that the command line's checks (environment
variables, option types) can use it before anything heavy is imported (``import weather``
loads nothing else, PEP 562).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from numbers import Integral
from typing import Self, SupportsFloat

__all__ = [
    "BEYOND_LARGEST",
    "Explained",
    "Overflow",
    "Typed",
    "TypedInt",
    "given",
    "nearest",
    "number",
    "read_float",
    "read_typed",
    "span",
]

_PLAIN_BELOW = 100_000
"""Whole numbers from here on get thousands separators (2,147,483,647); below it they do not
(a year, 2021; a port, 65535)."""
_WHOLE_BELOW = 1e15
"""Whole floats below this are written as integers (2^31 − 1 as 2,147,483,647, never
2.14748e+09); from here on, and for fractions, 12 significant digits (1e+300, 0.35)."""


_TYPED_INT_BITS = 128
"""A whole number a user gave (``grouped=False``) up to this size is repeated digit for digit."""


def number(value: SupportsFloat, grouped: bool = True, *, quantity: bool = False, places: int | None = None) -> str:
    """A number as a message shows it: whole numbers in full (``2,147,483,647``, ``8050``),
    other values (and whole numbers from 10^15 on) to 12 significant digits (``0.35``, ``1e+20``,
    ``inf``); ``True``/``False`` as such.

    ``grouped=False`` leaves out the thousands separators: for the value a user gave, which the
    message repeats as it was typed (``weather.year = 99999``), while a bound is read (``2,100``);
    a :class:`Typed` number is its text (``0.00001``, where Python writes ``1e-05``).
    ``quantity=True``: an amount in a table (tonnes a year, households, a result on a page), grouped
    from 1,000 (``30,000 t/yr``, ``1,636.7 MWh``), where a count in a message is grouped from 100,000
    (a year, 2021; a port, 65535). ``places``: a fixed number of decimal places, rounded (a result
    shown to its precision: PUE ``1.098``, ``28,598`` t), grouped as the rounded value is; values of
    10^15 and more, and those that are not finite, as without it.

    Examples
    --------
    >>> number(2**31 - 1), number(2147483647.0), number(8050), number(0.1 + 0.2), number(1e300)
    ('2,147,483,647', '2,147,483,647', '8050', '0.3', '1e+300')
    >>> number(99999, grouped=False), number(1e12, grouped=False), number(2**63 - 1, grouped=False)
    ('99999', '1000000000000', '9223372036854775807')
    >>> number(Typed("0.00001"), grouped=False), number(0.00001, grouped=False)
    ('0.00001', '1e-05')
    >>> number(30000, quantity=True), number(30000), number(1.08, quantity=True), number(1636.7, quantity=True)
    ('30,000', '30000', '1.08', '1,636.7')
    >>> number(1.0984, places=3), number(28598.4, quantity=True, places=0), number(999.96, quantity=True, places=1)
    ('1.098', '28,598', '1,000.0')
    """
    if isinstance(value, Typed | TypedInt) and not grouped:
        return value.text
    dtype = getattr(value, "dtype", None)  # a numpy scalar (no numpy import here)
    if isinstance(value, bool) or getattr(dtype, "kind", "") == "b":
        return str(bool(value))
    if places is not None and not (isinstance(value, Integral) and abs(int(value)) >= _WHOLE_BELOW):
        fixed = round(float(value), places)
        if math.isfinite(fixed) and abs(fixed) < _WHOLE_BELOW:
            sep = "," if grouped and abs(fixed) >= (1000 if quantity else _PLAIN_BELOW) else ""
            return f"{fixed:{sep}.{places}f}"
    if isinstance(value, Integral):
        n = int(value)
        if abs(n) < _WHOLE_BELOW:
            return _whole(n, grouped, quantity)
        if not grouped and n.bit_length() <= _TYPED_INT_BITS:  # as typed: 99999999999999999999999, not 1e+23
            return str(n)
        if n.bit_length() > 1023:  # beyond any float
            return f"about {'-' if n < 0 else ''}10^{int(abs(n).bit_length() * math.log10(2))}"
    if getattr(dtype, "kind", "") == "f" and getattr(dtype, "itemsize", 8) < 8:
        value = float(str(value))  # a float32 value as it was written (70.1), not its double (70.0999984741211)
    v = float(value)
    if math.isfinite(v) and v.is_integer() and abs(v) < _WHOLE_BELOW:
        return _whole(int(v), grouped, quantity)
    if not grouped:
        return repr(v)
    return f"{v:,.12g}" if quantity else f"{v:.12g}"


def _whole(n: int, grouped: bool, quantity: bool = False) -> str:
    return f"{n:,}" if grouped and abs(n) >= (1000 if quantity else _PLAIN_BELOW) else str(n)


def span(lo: SupportsFloat | None, hi: SupportsFloat | None, units: str = "") -> str:
    """Bounds as a message shows them: ``lo … hi`` with :func:`number`, ``-∞``/``∞`` for a
    missing side and the units after a space.

    Examples
    --------
    >>> span(0, 2**31 - 1), span(1, None), span(-90, 90, "°"), span(0.5, 250, "m")
    ('0 … 2,147,483,647', '1 … ∞', '-90 … 90 °', '0.5 … 250 m')
    """
    text = f"{'-∞' if lo is None else number(lo)} … {'∞' if hi is None else number(hi)}"
    return f"{text} {units}" if units else text


GIVEN_CHARS = 60
"""Longest rendering of a value a user gave that a message repeats whole; a longer one is cut
there and its length said (a 2 MB string pasted into a field is not echoed back)."""


def given(value: object, limit: int = GIVEN_CHARS) -> str:
    """A value from a user's file or option as a message repeats it: in TOML's spelling where
    Python's differs (``true``, ``2021-01-01``, ``[0.5, 0.6]``, ``{utilisation = 0.5}``), text
    quoted, and anything longer than ``limit`` characters cut with its length.

    Examples
    --------
    >>> given(True), given([{"utilisation": 0.5}]), given("x" * 100, 10)
    ('true', '[{utilisation = 0.5}]', "'xxxxxxxx… (102 characters)")
    """
    text = _given(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


def _given(value: object) -> str:
    if isinstance(value, Typed | TypedInt):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "isoformat"):  # TOML's dates and times
        return str(value.isoformat())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_given, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_given(v)}" for k, v in value.items()) + "}"
    return repr(value)


BEYOND_LARGEST = "beyond ±1.8e308, the largest number"
"""What a message says after a number typed beyond the largest float (:class:`Overflow`)."""


class Overflow(float):
    """A number typed beyond the largest float (``1e400``): infinite, and repeated as typed.

    ``float("1e400")`` is ``inf``; a message naming the value says ``1e400 (beyond ±1.8e308, the
    largest number)``, not ``inf``, which the user never typed.
    """

    text: str

    def __new__(cls, text: str) -> Overflow:
        self = super().__new__(cls, text)
        self.text = text.strip()
        return self

    def __repr__(self) -> str:
        return f"{self.text} ({BEYOND_LARGEST})"

    __str__ = __repr__


class Typed(float):
    """A number as a user typed it (a command-line option): a float that keeps its text, which a
    message repeats (:func:`number` with ``grouped=False``: ``--clean-share 0.00001``, not Python's
    ``1e-05``). Anything else sees a float; a parameter stores ``float(value)``."""

    text: str

    def __new__(cls, text: str) -> Typed:
        self = super().__new__(cls, text)
        self.text = text.strip()
        return self

    def __reduce__(self) -> tuple[type[Typed], tuple[str]]:
        return Typed, (self.text,)


class TypedInt(int):
    """A whole number as a user typed it (``1_000``, ``+5``, ``0x10`` in TOML): an int that keeps
    its text, as :class:`Typed` keeps a float's. A parameter stores ``int(value)``."""

    text: str

    def __new__(cls, text: str, value: int) -> TypedInt:
        self = super().__new__(cls, value)
        self.text = text.strip()
        return self

    def __reduce__(self) -> tuple[type[TypedInt], tuple[str, int]]:
        return TypedInt, (self.text, int(self))


def read_typed(text: str) -> float:
    """:func:`read_float`, a finite number as a :class:`Typed` (its text kept for messages): for
    the command line's number options and values.

    Examples
    --------
    >>> x = read_typed(" 0.00001"); x == 1e-05, number(x, grouped=False)
    (True, '0.00001')
    """
    value = read_float(text)
    return Typed(text) if type(value) is float and math.isfinite(value) else value


def read_float(text: str) -> float:
    """``float(text)``, except that a number beyond the largest float is an :class:`Overflow`.

    For every number a user types: tomllib's ``parse_float`` (scenario and site files, ``--set``)
    and the command line's number options. ``inf`` and ``nan`` typed as such stay plain floats.
    Raises ``ValueError`` as ``float`` does.

    Examples
    --------
    >>> read_float("1e400"), read_float("0.5"), read_float("-inf")
    (1e400 (beyond ±1.8e308, the largest number), 0.5, -inf)
    """
    value = float(text)
    if math.isinf(value) and "inf" not in text.lower():
        return Overflow(text)
    return value


class Explained(Exception):
    """A user error whose English message is made of named parts, so that a front end can say it
    in another language from the parts (``dashboards.catalog.ERRORS_ZH``) and not from the text.

    ``kind`` says what is wrong (``"out_of_range"``, ``"choice"``, ``"unknown_site"``, …; None:
    no parts, the message only), ``parts`` the pieces the message repeats as it says them (the
    field, the value, what is allowed), ``where`` the contexts its message is prefixed with,
    outermost first (``("scenario",)``: ``scenario: …``). ``str()`` is the English message.
    """

    kind: str | None = None
    parts: dict[str, str] = {}  # noqa: RUF012 - replaced, never mutated
    where: tuple[str, ...] = ()

    def explained(self, kind: str, **parts: str) -> Self:
        """This error with its kind and parts (``raise ConfigError(msg).explained("choice", field=…)``)."""
        self.kind, self.parts = kind, parts
        return self

    def within(self, where: str) -> Self:
        """This error said within ``where`` (a file, a sweep): the message ``where: message``, the
        same class, kind and parts."""
        err = type(self).__new__(type(self))  # no __init__: a subclass may take other arguments
        err.__dict__.update(self.__dict__)
        err.args = (f"{where}: {self}",)
        err.where = (where, *self.where)
        return err


def nearest(name: str, names: Sequence[str]) -> str | None:
    """The one of ``names`` that ``name`` is a likely typo of (``utilization`` → ``utilisation``,
    ``it_capacity_k`` → ``it_capacity_kw``; :func:`difflib.get_close_matches` at ratio 0.75), or
    None: the "did you mean" of an unknown field in a scenario or site file."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return close[0] if close else None
