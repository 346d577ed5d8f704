"""The ``twin`` command line.

Every input error ends with one line on stderr (``twin: error: ...``) and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import os
import re
import signal
import stat
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from twin import __version__

if TYPE_CHECKING:
    import numpy as np


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors of bad input: one line ``twin: error: ...`` and exit status 2."""
    import sites
    import weather
    from twin.core.io import OutputError
    from twin.core.params import ConfigError
    from twin.core.runtime import ResourceError

    return (sites.SiteError, weather.WeatherError, OutputError, ConfigError, ResourceError)


class _Choices(Sequence[str]):
    """Choices of an option read from a registry at first use (``twin --help`` and ``--version``
    do not import the engine). Options with them name a ``metavar``: argparse lists the
    choices of an option without one when the option is added."""

    def __init__(self, names: Callable[[], Sequence[str]]) -> None:
        self._names = names
        self._cache: list[str] | None = None

    def _list(self) -> list[str]:
        if self._cache is None:
            self._cache = list(self._names())
        return self._cache

    def __getitem__(self, i: Any) -> Any:
        return self._list()[i]

    def __len__(self) -> int:
        return len(self._list())

    def __contains__(self, value: object) -> bool:
        return value in self._list()

    def __iter__(self) -> Iterator[str]:
        return iter(self._list())

    def __repr__(self) -> str:
        return repr(self._list())


def _designs() -> list[str]:
    from twin.building.cooling import DESIGNS

    return list(DESIGNS)


def _baselines() -> list[str]:
    from twin.engine.presets import BASELINES

    return list(BASELINES)


def _formats() -> list[str]:
    from weather.readers import FORMATS

    return list(FORMATS)


def _bad_records() -> list[str]:
    from weather.dataset import BAD_RECORDS

    return list(BAD_RECORDS)


def _kernels() -> list[str]:
    from twin.core.jit import KERNELS

    return list(KERNELS)


DESIGN_CHOICES = _Choices(_designs)
ALL_DESIGNS = "all"
DESIGNS_OR_ALL = _Choices(lambda: [*_designs(), ALL_DESIGNS])
BASELINE_CHOICES = _Choices(_baselines)
FORMAT_CHOICES = _Choices(_formats)
BAD_RECORD_CHOICES = _Choices(_bad_records)
KERNEL_CHOICES = _Choices(_kernels)
COMPARE_SITES = ("karamay", "qingyang", "guian", "yinchuan", "us_dulles")  # twin compare without --site


def _every_design(names: Sequence[str]) -> list[str]:
    """The designs a ``--cooling`` list names: ``all`` stands for every design
    (``twin.building.cooling.DESIGNS``, in its order) and is given alone."""
    return _designs() if ALL_DESIGNS in names else list(names)


class _DesignsAction(argparse.Action):
    """``--cooling`` of the commands that take several designs (compare, size, sweep, ensemble):
    the names checked against :data:`DESIGNS_OR_ALL` and read by :func:`_every_design`."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if ALL_DESIGNS in values and len(values) > 1:
            others = " ".join(v for v in values if v != ALL_DESIGNS)
            parser.error(
                f"{option_string} {' '.join(values)}: all names every design already; give all alone "
                f"or the designs without it ({others})"
            )
        setattr(namespace, self.dest, _every_design(values))


def _designs_option(p: argparse.ArgumentParser, *names: str, **kwargs: Any) -> None:
    """The ``--cooling`` option of a command that takes one or more designs, or ``all``."""
    kwargs.setdefault("help", "cooling designs: %(choices)s (all: every design)")
    p.add_argument(*names, nargs="+", choices=DESIGNS_OR_ALL, action=_DesignsAction, metavar="DESIGN", **kwargs)


_NEGATIVE_VALUE = re.compile(r"^-\.?\d")
"""A word that is a value, not an option, though it begins with '-': a digit (or '.' and a digit)
follows (``--warming -1,0,1``, ``--warming -1:1:0.5``, ``--utc-offset -5``, ``-1e-3``). argparse's own
pattern takes only a plain negative number, and read a list starting with one as an unknown
option (``expected one argument``); no option of twin's begins with '-' and a digit."""


class _Parser(argparse.ArgumentParser):
    """argparse with the twin's error line: one line on stderr naming the help of the command
    at fault (``twin run --help``, or ``twin --help`` for the command's name), exit status 2.

    Options are written in full (``allow_abbrev=False``): an abbreviation that works today
    (``--co`` for ``--cooling``) would silently change meaning, or stop working, when a later
    release adds an option with the same beginning; a script must not depend on that. An
    unknown option names the options it could have meant (:func:`_meant`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._subparsers is not None:  # the top parser: every option checked before parsing
            self._check_options(sys.argv[1:] if args is None else list(args))
        ns, extras = super().parse_known_args(args, namespace)
        command = getattr(ns, "command", None)
        if extras and command and self._subparsers is not None:  # the top parser: extras belong to the command
            self._fail(f"unrecognized arguments: {' '.join(extras)}", f"{self.prog} {command}")
        return ns, extras

    def _check_options(self, argv: list[str]) -> None:
        """Refuse the first ``--option`` that is not one of twin's (before the command) or the
        command's (after it), naming what it could have meant: argparse would take it for a
        value, or report a missing required option first (``twin size --t 0.8``)."""
        at = _command_at(argv)
        parser = None if at is None else _subparsers_of(self).get(argv[at])
        command = "" if at is None else argv[at]
        seen: dict[int, tuple[str, str]] = {}
        for i, word in enumerate(argv):
            if word == "--":
                return
            name = word.split("=", 1)[0]
            before = at is None or i < at
            if not word.startswith("-") or word.startswith("---") or " " in word or (parser is None and not before):
                continue  # after an unknown command: argparse names the commands
            own, other = (self, parser) if before else (parser, self)
            assert own is not None
            if name in own._option_string_actions:
                action = own._option_string_actions[name]
                if type(action) is argparse._StoreAction:  # one value: a second would replace the first silently
                    given = word.split("=", 1)[1] if "=" in word else (argv[i + 1] if i + 1 < len(argv) else "")
                    if id(action) in seen:
                        first, was = seen[id(action)]
                        self._fail(
                            f"{name} is given twice ({first} {was} and {name} {given}); give it once",
                            self.prog if own is self else f"{self.prog} {command}",
                        )
                    seen[id(action)] = (name, given)
                continue
            if not word.startswith("--"):
                continue
            if before and parser is None:  # twin --site karamay: the option of a command, and no command
                value = at == i + 1 and "=" not in word and _takes_value(name)  # twin --seed 3: 3 is its value
                self._fail(_without_command(name, self, None if at is None or value else argv[at]), self.prog)
            if other is not None and name in other._option_string_actions:
                if before:
                    self._fail(
                        f"{name} is an option of {command}, not of twin: give it after the command "
                        f"(twin {command} {name} …)",
                        f"{self.prog} {command}",
                    )
                self._fail(  # e.g. twin run --site-dir DIR
                    f"{name} is an option of twin itself, not of {command}: give it before the command "
                    f"(twin {name} … {command} …)",
                    self.prog,
                )
            hint = _meant(name, own, other, command if before else "twin", command=command)
            self._fail(
                f"unrecognized arguments: {name}{f' ({hint})' if hint else ''}",
                self.prog if own is self else f"{self.prog} {command}",
            )

    def error(self, message: str) -> NoReturn:
        self._fail(message, self.prog)

    def _fail(self, message: str, prog: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(2, f"twin: error: {text} (see '{prog} --help')\n")


class _Outline(_Parser):
    """The parser of a command that is not being run: its name and help (all ``twin --help``
    lists), without its options (:func:`build_parser` with ``command``)."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return argparse.Action((), argparse.SUPPRESS)


def _subparsers_of(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The commands of the top parser by name."""
    if parser._subparsers is None:
        return {}
    choices: dict[str, argparse.ArgumentParser] = parser._subparsers._group_actions[0].choices  # type: ignore[assignment]
    return dict(choices)


def _long(parser: argparse.ArgumentParser | None, name: str) -> list[str]:
    """The long options of ``parser`` that ``name`` begins (an abbreviation of them)."""
    return (
        []
        if parser is None
        else [o for o in parser._option_string_actions if o.startswith("--") and o.startswith(name)]
    )


def _meant(
    name: str,
    parser: argparse.ArgumentParser,
    other: argparse.ArgumentParser | None = None,
    owner: str = "",
    command: str | None = None,
) -> str:
    """The options an unknown option ``name`` of ``parser`` may stand for: those it begins (an
    abbreviation, not accepted) — of ``parser``, and of ``other`` with where they go (``owner``:
    ``twin`` for an option of twin itself given after the command, else the command, whose
    option was given before it) — or the options of ``parser`` close to it (a typo), else, for an
    option of other commands, which ones take it; and what ``command`` does instead
    (:data:`_INSTEAD`, :data:`_SET_KEY`: then no close option, which may be the opposite, as
    ``--output`` for ``--no-output``); empty when there are none."""
    import difflib

    starts = " or ".join(_long(parser, name))
    elsewhere = _long(other, name)
    if elsewhere:
        where = (
            "an option of twin itself: give it before the command"
            if owner == "twin"
            else f"an option of {owner}: give it after the command"
        )
        starts = " or ".join(x for x in (starts, f"{' or '.join(elsewhere)} ({where})") if x)
    if starts:
        return f"options are written in full, not abbreviated: {starts}"
    options = [o for o in parser._option_string_actions if o.startswith("--")]
    same = _SAME_AS.get(name)
    if same in options:
        return f"did you mean {same}?"
    instead = _INSTEAD.get((name, command or ""), "")
    if name in _SET_KEY and "--set" in options:
        instead = f"twin {command} sets it with --set {_SET_KEY[name]}=…"
    close = [] if instead else difflib.get_close_matches(name, options, n=3, cutoff=0.75)
    if close:
        return f"did you mean {' or '.join(close)}?"
    of = [c for c, p in _subparsers_of(build_parser()).items() if c != command and name in p._option_string_actions]
    if of:
        return f"{name} is an option of {', '.join(of[:-1])}{' and ' if len(of) > 1 else ''}{of[-1]}" + (
            f"; {instead}" if instead else ""
        )
    return instead


_STUDY_FILE = "its results are the study's file, which it always writes: -o names it (by default a new file in out/)"
_INSTEAD = {
    ("--no-output", "sweep"): f"twin sweep: {_STUDY_FILE}",
    ("--no-output", "ensemble"): f"twin ensemble: {_STUDY_FILE}",
    ("--no-output", "weather"): "twin weather writes a file only with -o or --csv: leave them out",
    ("--no-output", "size"): "twin size writes a file only with -o or --save: leave them out",
}
"""What a command does instead of another command's option (``(option, command)``: the text)."""

_SET_KEY = {"--storage-mw": "green.storage.power_mw", "--storage-mwh": "green.storage.energy_mwh"}
"""The ``--set`` key of a rating that ``twin size`` takes as an option (``--storage-mwh``)."""

_SAME_AS = {"--file": "--weather", "--weather": "--file"}
"""Options of one meaning that commands spell differently: ``twin weather --file``, ``twin run --weather``."""


def _takes_value(name: str) -> bool:
    """Whether the option ``name`` of some command takes a value (``--seed 3``; not ``--force``)."""
    actions = [p._option_string_actions.get(name) for p in _subparsers_of(build_parser()).values()]
    return any(a is not None and a.nargs != 0 for a in actions)


def _without_command(name: str, top: argparse.ArgumentParser, word: str | None) -> str:
    """The error of an option that is not twin's own given with no command (``twin --site
    karamay``; ``word``: the word in the command's place, not a command): the commands it belongs
    to (or the options it abbreviates), and the commands."""
    commands = _subparsers_of(build_parser())  # every command's options (``top`` may hold outlines)
    of = [c for c, p in commands.items() if name in p._option_string_actions]
    if of:
        what = f"{name} is an option of {', '.join(of)}"
    else:
        starts = sorted({o for p in (top, *commands.values()) for o in _long(p, name)})
        hint = f" (options are written in full, not abbreviated: {' or '.join(starts)})" if starts else ""
        what = f"unrecognized arguments: {name}{hint}"
    given = "no command was given" if word is None else f"{word!r} is not a command"
    return (
        f"{what}; {given}: a command comes first, then its options (twin COMMAND {name} …); "
        f"commands: {', '.join(commands)}"
    )


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs (its first word that is neither an option nor the value of
    ``--site-dir``, abbreviated or not), or None when it names none."""
    at = _command_at(argv)
    return None if at is None else argv[at]


def _command_at(argv: Sequence[str]) -> int | None:
    """The position of :func:`_command_of`'s word in ``argv``, or None."""
    skip = False
    for i, word in enumerate(argv):
        if skip:
            skip = False
        elif word == "--":
            return None
        elif not word.startswith("-"):
            return i
        else:  # an abbreviation is refused, but its value is still not the command
            skip = len(word) > 2 and "=" not in word and "--site-dir".startswith(word)
    return None


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str], markdown: bool = False) -> str:
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in cells[1:]]
        return "\n".join(lines)
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:  # the first column to the left, the others to the right
        pads = [" " * (w - _width(c)) for c, w in zip(row, widths, strict=True)]
        return "  ".join(c + p if i == 0 else p + c for i, (c, p) in enumerate(zip(row, pads, strict=True)))

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: 2 for a wide or full-width character (Chinese,
    ``unicodedata.east_asian_width`` W or F), 0 for a combining mark, else 1."""
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------------------------------------
def cmd_sites(args: argparse.Namespace) -> int:
    import sites

    rows = []
    for key in sites.available(args.site_dir):
        s = sites.load(key, args.site_dir)
        lim = f"{s.policy.pue_limit:g}" if s.policy.pue_limit is not None else "-"
        rep = s.reported_value("pue")
        rows.append(
            [
                key,
                f"{s.name} {s.name_zh}",
                f"{s.location.latitude_deg:.2f}",
                f"{s.location.longitude_deg:.2f}",
                f"{s.location.elevation_m:.0f}",
                f"{s.normals.annual_mean_temperature_c:.1f}",
                f"{sum(s.normals.ghi_kwh_m2):.0f}",
                f"{s.tariff.price_cny_per_kwh:.3f}" + _assumed(s.tariff.source),
                f"{s.grid.co2_kg_per_kwh:.3f}" + _assumed(s.grid.source),
                lim,
                f"{rep:g}" if rep is not None else "-",
            ]
        )
    header = [
        "key",
        "name",
        "lat",
        "lon",
        "elev m",
        "T °C",
        "GHI kWh/m²",
        "CNY/kWh",
        "kgCO2/kWh",
        "PUE limit",
        "PUE reported",
    ]
    print(_table(rows, header, args.markdown))
    print("* an assumption (no source gives the tariff or grid factor); override it in a site file")
    return 0


def _assumed(source: str) -> str:
    """``*`` for a value whose source says it is an assumption."""
    return "*" if source.lower().startswith("assumption") else ""


def _load_weather(args: argparse.Namespace) -> tuple[Any, dict[str, Any], str]:
    import sites
    import weather
    from twin.engine.weather_source import site_weather

    if args.file:
        options: dict[str, Any] = {}
        if args.utc_offset is not None:
            options["utc_offset_h"] = args.utc_offset
        if args.site:  # read for a site: its location completes the file and is checked against it
            site = sites.load(args.site[0], args.site_dir)
            ds, meta = site_weather(
                site,
                file=args.file,
                format=args.format,
                repair=not args.no_repair,
                bad_records=args.bad_records or "repair",
                **options,
            )
        else:
            ds, meta = weather.read(
                args.file, args.format, repair=not args.no_repair, bad_records=args.bad_records or "repair", **options
            )
        return ds, meta, Path(args.file).name
    site = sites.load(args.site[0], args.site_dir)
    seed = 0 if args.seed is None else args.seed
    ds, meta = site_weather(site, seed=seed, year=2021 if args.year is None else args.year)
    return ds, meta, f"{site.key} (generated, seed {seed})"


def _monthly_summary(ds: Any) -> list[list[str]]:
    from weather.validation import wet_bulb_of

    g = ds.groupby("time.month")
    t = g.mean()
    tmax = ds["t_db"].resample(time="D").max().groupby("time.month").mean()
    tmin = ds["t_db"].resample(time="D").min().groupby("time.month").mean()
    ghi = ds["ghi"].groupby("time.month").sum() / 1000.0 if "ghi" in ds else None
    wb = ds["t_db"].copy(data=wet_bulb_of(ds)).groupby("time.month").mean()
    rows = []
    for i, m in enumerate(t["month"].to_numpy()):
        rows.append(
            [
                str(int(m)),
                f"{float(t['t_db'][i]):.1f}",
                f"{float(tmax[i]):.1f}",
                f"{float(tmin[i]):.1f}",
                f"{float(t['t_dp'][i]):.1f}",
                f"{float(wb[i]):.1f}",
                f"{float(t['rh'][i]):.0f}",
                f"{float(t['wind_speed'][i]):.2f}" if "wind_speed" in ds else "-",
                f"{float(ghi[i]):.0f}" if ghi is not None else "-",
            ]
        )
    return rows


def cmd_weather(args: argparse.Namespace) -> int:
    import weather
    from twin.core.io import OutputError
    from weather.generator import variability_from_record
    from weather.validation import hour_counts

    if not args.file and not args.site:
        raise weather.WeatherError("give --site NAME (generated typical year) or --file PATH")
    if args.format and not args.file:
        raise weather.WeatherError(
            f"--format {args.format}: there is no weather file to read (the generated typical year); give --file PATH"
        )
    for option, given in (
        ("--utc-offset", args.utc_offset),
        ("--bad-records", args.bad_records),
        ("--no-repair", True if args.no_repair else None),
    ):
        if not args.file and given is not None:
            shown = option if given is True else f"{option} {given}"
            raise weather.WeatherError(
                f"{shown} applies to a weather file read with --file; the generated typical year of --site "
                f"has nothing to apply it to: give --file PATH, or leave {option} out"
            )
    for option, value in (("--seed", args.seed), ("--year", args.year)):
        if args.file and value is not None:
            raise weather.WeatherError(
                f"{option} {value} is of the generated typical year, and --file {args.file} is read as it is; "
                f"give {option} or --file, not both"
            )
    if args.file and args.site and len(args.site) > 1:
        raise weather.WeatherError(
            f"--site {' '.join(args.site)} with --file {args.file}: the file is one place; give one --site "
            "(its location and normals for the file), or leave --file out to print several sites' generated years"
        )
    if args.derive:
        for option, given in (("-o", args.output), ("--csv", args.csv), ("--markdown", args.markdown)):
            if given:
                raise weather.WeatherError(
                    f"{option} with --derive: --derive prints a site file's [variability] table (TOML) and "
                    f"writes nothing; give {option} without --derive, or redirect the table (> file.toml)"
                )
    targets = [None] if args.file else args.site
    if len(targets) > 1 and (args.output or args.csv):
        raise OutputError("-o/--csv write one file: give one --site (or run once per site)")
    outputs = _check_outputs(args, [("-o", args.output), ("--csv", args.csv)], [("--file", args.file)])
    for i, name in enumerate(targets):
        if name is not None:
            args.site = [name]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", weather.WeatherWarning)
            ds, meta, label = _load_weather(args)
        notes = meta.get("notes", []) if not args.derive else []
        for w in caught:  # to the one policy (main), but a note the report prints below is not said twice
            if not any(str(w.message).endswith(f": {note}") for note in notes):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        if args.derive:
            v = variability_from_record(ds, f"derived from {label} by weather.generator.variability_from_record")
            print("[variability]")
            for k, val in v.__dict__.items():
                if val is None:  # a field the record cannot give (no wind column): TOML has no null
                    continue
                if isinstance(val, tuple):
                    print(f"{k} = [{', '.join(f'{x + 0.0:g}' for x in val)}]")  # + 0.0: no "-0"
                elif isinstance(val, str):
                    print(f'{k} = "{val}"')
                else:
                    print(f"{k} = {val:g}")
            continue
        if i:
            print()
        print(
            f"{label}: {ds.sizes['time']} h from {str(ds.time.values[0])[:16]}, "
            f"lat {meta['latitude']:.2f}, lon {meta['longitude']:.2f}, elev {meta['elevation']:.0f} m"
        )
        header = ["month", "T °C", "Tmax", "Tmin", "Tdew", "Twb", "RH %", "wind m/s", "GHI kWh/m²"]
        print(_table(_monthly_summary(ds), header, args.markdown))
        counts = hour_counts(ds)
        print("hours above: " + ", ".join(f"{k} °C: {v}" for k, v in counts.items()))
        ghi = float(ds["ghi"].sum()) / 1000.0 if "ghi" in ds else float("nan")
        print(f"annual: T {float(ds['t_db'].mean()):.2f} °C, GHI {ghi:.0f} kWh/m²")
        for note in meta.get("notes", []):
            print(f"note: {note}")
        if args.file and not meta.get("flags"):
            print("record check: no impossible or implausible records")
        _write_outputs(ds, outputs, args.force, dataset=functools.partial(weather.location_columns, ds))
    return 0


def _epw_wmo(path: Path) -> str:
    """The WMO number of an EPW's LOCATION line, decoded as its reader decodes it (a UTF-16 file's
    was read as Latin-1: ``5\x003\x009…``, and matched no site)."""
    from weather.readers import head_lines

    return head_lines(Path(path))[0].split(",")[5].strip()


def cmd_weather_validate(args: argparse.Namespace) -> int:
    import sites
    import weather
    from twin.engine.weather_source import site_weather
    from weather.validation import SATURATION_LEVELS, THRESHOLDS, compare_design_conditions, compare_ensemble

    folder = Path(args.dir)
    if args.seeds < 1:
        raise weather.WeatherError(f"--seeds {args.seeds}: at least 1 generated year is needed")
    if not folder.is_dir():
        what = "is a file, not" if folder.exists() else "no such"
        raise weather.WeatherError(f"--dir {folder}: {what} directory of weather files (.epw)")
    files = sorted(folder.glob("*.epw"))
    if not files:
        raise weather.WeatherError(f"{folder}: no .epw files")
    by_wmo = {}
    for key in sites.available(args.site_dir):
        s = sites.load(key, args.site_dir)
        if s.location.wmo:
            by_wmo[s.location.wmo] = s
    rows, design_rows, problems = [], [], []
    count_keys = [f"{k}>{x:g}" for k, xs in THRESHOLDS.items() for x in xs]
    saturation_keys = [f"rh>={x:g}" for x in SATURATION_LEVELS]
    for f in files:
        real, real_meta = weather.read_epw(f)  # the reader's checks first: a file, not empty, an EPW
        wmo = _epw_wmo(f)  # of the LOCATION line the reader accepted
        site = by_wmo.get(wmo)
        if site is None:
            print(f"skip {f.name}: no site with WMO {wmo}", file=sys.stderr)
            continue
        problems += [f"{f.name}: {flag}" for flag in real_meta["flags"]] or [f"{f.name}: no bad records"]
        gens = [site_weather(site, seed=s, site_variability=not args.default_variability)[0] for s in range(args.seeds)]
        res = compare_ensemble(gens, real)
        if args.design:
            dc = compare_design_conditions(gens, real)
            design_rows.append([site.key, *[_design_cell(*dc[k]) for k in DESIGN_COLUMNS]])
        row = [site.key, f"{res['dt_month_max']:.2f}", f"{100 * res['ghi_rel']:+.1f} %"]
        for group, k in [*(("counts", k) for k in count_keys), *(("saturation", k) for k in saturation_keys)]:
            gm, sd, r, ok = res[group][k]
            row.append(f"{gm:.0f}±{sd:.0f} / {r}" + ("" if ok else " ✗"))
        rows.append(row)
    header = [
        "site",
        "max ΔT month K",
        "ΔGHI year",
        *[f"h {k.replace('>', ' > ')} °C" for k in count_keys],
        *[f"h RH ≥ {x:g} %" for x in SATURATION_LEVELS],
    ]
    print(_table(rows, header, args.markdown))
    print(f"generated: mean ± SD over seeds 0…{args.seeds - 1} / real file; ✗ outside ±10 % (or ±100 h)")
    if args.design:
        print()
        print(_table(design_rows, ["site", *DESIGN_COLUMNS.values()], args.markdown))
        print(
            "ASHRAE-style design conditions, °C (percentiles of the hourly year; MCWB = mean wet bulb at that dry bulb "
            f"±0.5 K): generated mean ± SD over seeds 0…{args.seeds - 1} / real file; ✗ gap of the mean > 0.5 K"
        )
    print()
    for line in problems:
        print(f"record check: {line}")
    if args.pue:
        print()
        _pue_real_vs_generated(files, by_wmo, args)
    return 0


DESIGN_COLUMNS = {
    "db_0.4": "DB 0.4 %",
    "mcwb_0.4": "MCWB 0.4 %",
    "db_1": "DB 1 %",
    "mcwb_1": "MCWB 1 %",
    "wb_0.4": "WB 0.4 %",
    "wb_1": "WB 1 %",
    "db_99.6": "DB 99.6 %",
    "db_99": "DB 99 %",
}


def _design_cell(mean: float, sd: float, real: float) -> str:
    return f"{mean:.1f}±{sd:.1f} / {real:.1f}" + (" ✗" if abs(mean - real) > 0.5 else "")


def _pue_real_vs_generated(files: list[Path], by_wmo: dict, args: argparse.Namespace) -> None:
    """Annual PUE of every design on the real file and on generated years of the same site."""
    import numpy as np

    from twin import Scenario
    from twin.building.cooling import DESIGNS
    from twin.engine.config import WeatherSource
    from twin.engine.simulate import annual_kpis

    designs = tuple(DESIGNS)
    rows = []
    for f in files:
        site = by_wmo.get(_epw_wmo(f))
        if site is None:
            continue
        real = annual_kpis(Scenario(sites=(site.key,), designs=designs, weather=WeatherSource(source=str(f))))
        gen = [
            annual_kpis(Scenario(sites=(site.key,), designs=designs, weather=WeatherSource(seed=s)))
            for s in range(args.seeds)
        ]
        row = [site.key]
        for i in range(len(designs)):
            g = np.array([float(k["pue"][i]) for k in gen])
            row.append(f"{float(real['pue'][i]):.3f} / {g.mean():.3f}±{g.std():.3f}")
        rows.append(row)
    print(_table(rows, ["site", *[f"{d}: real / generated" for d in designs]], args.markdown))
    print(f"annual PUE on the real file / mean ± SD over generated seeds 0…{args.seeds - 1}")


def _free_name(stem: str, suffix: str, folder: Path) -> Path:
    """``folder/stem.suffix``, or ``stem-2.suffix``, ``stem-3`` … — never an existing file.

    A folder not there yet is checked (it can be made) but not made: the write makes it
    (:func:`_write_outputs`, a study's checkpoint), so a refused command leaves none behind.
    """
    from twin.core.io import OutputError

    first = folder  # the outermost part missing: made and removed again, to know it can be made
    while not os.path.lexists(first.parent) and first.parent != first.parent.parent:
        first = first.parent
    try:
        if not folder.is_dir():
            first.mkdir()
            first.rmdir()
    except OSError as exc:
        raise OutputError(
            f"--out-dir {folder}: cannot create the output folder ({exc.strerror}); pass -o FILE or another --out-dir"
        ) from None
    p = folder / f"{stem}{suffix}"
    k = 2
    while p.exists():
        p = folder / f"{stem}-{k}{suffix}"
        k += 1
    return p


def _check_output(option: str, path: str | Path, force: bool = False) -> Path:
    """:func:`twin.core.io.check_output` of the path given with ``option``; its error names the option."""
    from twin.core.io import OutputError, check_output

    try:
        return check_output(path, force=force)
    except OutputError as exc:
        raise type(exc)(f"{option} {exc}") from None


def _same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: :func:`os.path.samefile` when both exist (hard and
    symbolic links, ``./x`` and ``x``), else their resolved paths."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: str | Path, folder: Path) -> bool:
    """Whether ``path`` is in ``folder`` (at any depth), both resolved."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _check_outputs(
    args: argparse.Namespace,
    named: list[tuple[str, str | None]],
    inputs: Sequence[tuple[str, str | None]] = (),
    checkpoint: bool = False,
) -> list[tuple[Path, str]]:
    """Check every output before the run: writable, not existing unless --force, no two the same,
    none the same file as an input the command reads (``inputs``: ``(what, path)`` pairs, what
    as a message names it, e.g. ``--weather``), with or without --force; with ``checkpoint``
    (a study's output), no input in the output's checkpoint folder either (the study writes and
    removes it).

    Returns ``(path, kind)`` pairs, kind ``"nc"``, ``"csv"`` or ``"auto"`` (a free name in
    --out-dir, chosen again at the end if another run took it meanwhile).
    """
    from twin.core.io import OutputError

    read = [(what, path) for what, path in inputs if path]
    out: list[tuple[Path, str]] = []
    written: list[tuple[str, str]] = []
    for option, value in named:
        if not value:
            continue
        p = Path(value)
        for what, path in read:
            if _same_file(p, path):
                raise OutputError(
                    f"{option} and {what} name the same file {value}, which the command reads; give the output "
                    "another name (--force replaces an output, never an input)"
                )
            folder = p.with_name(p.name + ".checkpoint")
            if checkpoint and _inside(path, folder):
                raise OutputError(
                    f"{what} {path} is in {folder}, the checkpoint folder of {option} {value}, which the study "
                    "writes and removes; move the input or give the output another name"
                )
        for other, path in written:
            if _same_file(p, path):
                raise OutputError(f"{other} and {option} name the same file {p}; give each output its own name")
        written.append((option, value))
    for option, value in written:
        if option != "--out-dir":  # a free name: STEM.nc
            _check_suffix(args, option, value)
        if option != "--out-dir" or Path(value).parent.is_dir():  # a folder not made yet: checked by _free_name
            _check_output(option, value, args.force)  # as typed: Path() drops a trailing '/'
        out.append((Path(value), {"--csv": "csv", "--save": "toml"}.get(option, "nc")))
    return out


OUTPUT_SUFFIXES = {
    "NetCDF": (".nc", ".nc4", ".cdf", ".netcdf"),
    "CSV": (".csv", ".txt"),
    "TOML": (".toml",),
    "HTML": (".html", ".htm"),
}
"""The suffixes of each format a command writes; an output's name ends in one of its format's."""


def _output_format(args: argparse.Namespace, option: str) -> str:
    """The format the output ``option`` of ``args.command`` writes."""
    if option == "-o":
        return "HTML" if args.command == "report" else "NetCDF"
    return {"--csv": "CSV", "--save": "TOML"}[option]


def _check_suffix(args: argparse.Namespace, option: str, value: str) -> None:
    """Refuse an output whose name's suffix is not of the format ``option`` writes (``-o y.csv``
    wrote a NetCDF file named ``y.csv``), naming the option of the command that writes the format
    the suffix names; a name with no suffix, or one of no format, is refused too. A path that is
    not a name of a regular file ('-', a folder, a device) is :func:`twin.core.io.check_output`'s
    to say."""
    from twin.core.io import OutputError

    mode = os.lstat(value).st_mode if os.path.lexists(value) else None
    if value == "-" or value.endswith(tuple(filter(None, (os.sep, os.altsep)))) or os.path.isdir(value):
        return
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        return
    fmt = _output_format(args, option)
    name = Path(value).name.lower()
    suffix = Path(value).suffix.lower() or (name if name.startswith(".") else "")
    if suffix in OUTPUT_SUFFIXES[fmt]:
        return
    writes = f"{option} writes {_a(fmt)} file ({', '.join(OUTPUT_SUFFIXES[fmt])})"
    other = next((f for f, suffixes in OUTPUT_SUFFIXES.items() if suffix in suffixes), None)
    if other is None:
        named = f"ends in {suffix}, the suffix of no format written here" if suffix else "has no suffix"
        kept = Path(f"{value}.checkpoint")
        resume = (
            f"; to resume the study whose checkpoint {kept}/ is there, rename it {value}.nc.checkpoint and give "
            f"{option} {value}.nc"
            if fmt == "NetCDF" and kept.is_dir()
            else ""
        )
        raise OutputError(
            f"{option} {value}: the name {named}, and {writes}; give a name ending in one of them{resume}"
        )
    options = [o for o in ("-o", "--csv", "--save") if o == "-o" or hasattr(args, o.lstrip("-"))]
    by = next((o for o in options if _output_format(args, o) == other), None)
    instead = f"for a {other} file give {by} {value}" if by else f"twin {args.command} writes no {other} file"
    raise OutputError(f"{option} {value}: the name ends in {suffix}, {_a(other)} file's, and {writes}; {instead}")


def _a(fmt: str) -> str:
    """The format's name with its article (an HTML, a NetCDF)."""
    return f"{'an' if fmt == 'HTML' else 'a'} {fmt}"


def _scenario_inputs(sc: Any, args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """The files a command reads for a scenario, as :func:`_check_outputs` names them: the
    scenario file, the site files, the weather file, hourly profiles (``SECTION.profile_csv``)
    and a case list (``--list``)."""
    import sites
    from twin.engine.config import SECTIONS

    files: list[tuple[str, str | None]] = [("the scenario file", getattr(args, "scenario", None))]
    for key in sc.sites:
        with contextlib.suppress(sites.SiteError):  # an unknown site is said when the run loads it
            files.append((f"the site file of {key}", sites.load(key, sc.site_dirs).path))
    if sc.weather.is_file:
        files.append(("--weather" if getattr(args, "weather", None) else "weather.source", sc.weather.source))
    for s in SECTIONS:
        files.append((f"{s.path}.profile_csv", getattr(getattr(sc, s.attr), "profile_csv", None)))
    files.append(("--list", getattr(args, "list", None)))
    return files


def _write_outputs(
    ds: Any, outputs: list[tuple[Path, str]], force: bool, dataset: Any = None, scenario: Any = None
) -> None:
    """Write ``ds`` (a Dataset, or a run's :class:`~twin.core.io.NcContent`) to each output;
    a CSV file from ``dataset()`` when given (building the Dataset only for a CSV file), the
    ``scenario`` as TOML to a ``toml`` output (``--save``). A free name (``auto``, ``--out-dir``)
    is written first; the named outputs are committed together
    (:func:`twin.core.io.committed_together`)."""
    from twin.core.io import OutputError, OutputExists, committed_together, write_csv, write_netcdf

    written = {}
    for given, kind in outputs:  # a new name: nothing to keep as it was
        path = given
        if kind == "auto":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"--out-dir {path.parent}: cannot create the output folder ({exc.strerror})"
                ) from None
            while True:  # another run may take the free name between the check and the write
                try:
                    written[given, kind] = write_netcdf(ds, path)
                    break
                except OutputExists:
                    path = _free_name(path.stem.rsplit("-", 1)[0], path.suffix, path.parent)
    with committed_together():  # a failure while one is written leaves them all as they were
        for path, kind in outputs:
            if kind == "csv":
                written[path, kind] = write_csv(dataset() if dataset is not None else ds, path, force=force)
            elif kind == "toml":
                from twin.engine.config import save_scenario

                written[path, kind] = save_scenario(scenario, path, force=force)
            elif kind != "auto":
                written[path, kind] = write_netcdf(ds, path, force=force)
    for path, kind in outputs:
        print(f"wrote {written.get((path, kind), path)}")


KPI_COLUMNS = (
    "pue",
    "overhead_share",
    "ppue_cooling",
    "wue",
    "hours_out_of_envelope",
    "energy_cooling",
    "energy_it",
    "energy_facility",
    "gb40879_grade",
    "policy_pue_limit",
)
"""KPIs of the run/compare table; headers and formats from :mod:`twin.core.variables`."""
GREEN_COLUMNS = (
    "green_share_hourly",
    "green_share_annual",
    "cfe_score",
    "energy_curtailed",
    "pv_capacity_factor",
    "wind_capacity_factor",
    "islanded_hours",
    "green_days_24h",
)
MONEY_COLUMNS = ("cost_per_compute", "cost_per_mwh_it", "co2")
COST_NOTE = (
    "CNY/MWh compute = energy cost incl. green plant per nominal-server MWh of work: rank designs by it; CNY/MWh IT "
    "divides by IT energy, which counts the server fans that liquid designs remove, so it is not a ranking of designs"
)
REUSE_COLUMNS = ("erf", "energy_reused")
"""Shown when a heat customer is set ([heat_reuse])."""
FLUID_COLUMNS = ("fluid_lost_kg", "co2e_fluid_t", "cost_fluid_makeup")
"""Shown when an immersion fluid is lost."""


def _kpi_rows(ds, k) -> tuple[list[list[str]], list[str]]:
    """The table's rows and header from a run's Dataset and its KPI Dataset (:func:`_table_rows`)."""
    coords = {str(c): ds[c].values for c in ds.coords if c not in ("time", "case")}
    return _table_rows(coords, {str(v): k[v].values for v in k.data_vars}, "case" in ds.dims)


def _table_rows(coords: dict[str, Any], k: dict[str, Any], many: bool) -> tuple[list[list[str]], list[str]]:
    """The table's rows and header: one row per case.

    ``coords``: ``site``, ``design`` and the swept parameters, ``k``: the KPIs
    (:func:`twin.engine.metrics.kpi_figures`), numpy arrays with a value per case when ``many``,
    0-d for one case.
    """
    import numpy as np

    from twin.core.variables import format_value, label

    n = len(coords["site"]) if many else 1
    columns = list(KPI_COLUMNS)
    if "energy_green" in k and float(np.nansum(k["energy_green"])) > 0:
        columns += GREEN_COLUMNS
    if "co2" in k:
        columns += MONEY_COLUMNS
    if "cost_servers" in k:
        columns.append("cost_servers")
    if float(np.nansum(k["energy_heat_demand"])) > 0:
        columns += REUSE_COLUMNS
    if float(np.nansum(k["fluid_lost_kg"])) > 0:
        columns += FLUID_COLUMNS
    swept = [c for c in coords if c not in ("site", "design")]
    rows = []
    for i in range(n):
        row = [
            str(coords["site"][i] if many else coords["site"]),
            str(coords["design"][i] if many else coords["design"]),
        ]
        row += [f"{coords[c][i] if many else coords[c]}" for c in swept]
        row += [format_value(var, k[var][i] if many else k[var]) for var in columns]
        rows.append(row)
    return rows, ["site", "design", *swept, *[label(var) for var in columns]]


def _planned_outputs(args: argparse.Namespace, stem: str, sc: Any) -> list[tuple[Path, str]]:
    """The run's output files, checked before it starts against each other and the files the
    scenario ``sc`` reads (see :func:`_check_outputs`)."""
    from twin.core.io import OutputError

    if args.output and args.no_output:
        raise OutputError("-o and --no-output contradict each other; give one")
    named = [("-o", args.output), ("--csv", args.csv), ("--save", getattr(args, "save", None))]
    outputs = _check_outputs(args, named, _scenario_inputs(sc, args))
    if not args.output and not args.no_output:
        auto = _free_name(stem, ".nc", Path(args.out_dir))
        if auto.parent.is_dir():
            _check_output("--out-dir", auto)
        outputs.insert(0, (auto, "auto"))
    return outputs


def _run_and_report(scenario, args: argparse.Namespace, outputs: list[tuple[Path, str]]) -> int:
    import numpy as np

    from twin.engine.simulate import run_content, run_dataset, simulate_arrays
    from twin.supply.wind import LOW_CAPACITY_FACTOR

    run = simulate_arrays(scenario)
    k = run.figures()  # the KPIs of twin.kpis(simulate(scenario)), without building the Dataset
    rows, header = _table_rows(run.case_coords(), k, not run.one)
    print(_table(rows, header, args.markdown))
    print(
        "PUE is energy-weighted over the year; non-IT % = 1 − 1/PUE; GB40879 grade 1 best, 0 = fails grade 3 (thresholds unverified); limit = site policy PUE"
    )
    if "energy_green" in k and float(np.nansum(k["energy_green"])) > 0:
        print(
            "green hourly = green energy used in the hour it is made (incl. storage); green annual adds only "
            "contracted export; 24/7 CFE counts grid imports at the province's clean share; curtailed is never green"
        )
        cf = np.atleast_1d(k["wind_capacity_factor"])
        low = cf[cf < LOW_CAPACITY_FACTOR]
        if low.size:
            print(
                f"twin: warning: wind-farm capacity factor {float(low.min()):.1%} is below "
                f"{LOW_CAPACITY_FACTOR:.0%}: check the hub-height wind resource ([wind] of the site file, "
                "green.wind.hub_mean_speed_ms) before rejecting wind",
                file=sys.stderr,
            )
    if "cost_per_compute" in k:
        print(COST_NOTE)
    flows = [run.results[k] for k in ("p_green", "p_discharge") if k in run.results]
    _warn_idle_storage(
        run.plan.table, [any(float(np.max(f[i], initial=0.0)) > 0 for f in flows) for i in range(len(run.plan.table))]
    )
    if outputs:
        _write_outputs(run_content(run), outputs, args.force, dataset=lambda: run_dataset(run), scenario=scenario)
    return 0


def _warn_idle_storage(table: Any, green: Any) -> None:
    """One ``twin: warning:`` line on stderr for each distinct idle store of a run's cases
    (:func:`twin.engine.simulate.idle_storage_warnings`, the Green page's note; ``twin sweep``
    and ``twin ensemble`` warn of them through :mod:`warnings`, from their study)."""
    from twin.engine.simulate import idle_storage_warnings

    for text in idle_storage_warnings(table, green):
        print(f"twin: warning: {text}", file=sys.stderr)


def _refuse_seed_with_file(seed: int | None, file: str | None) -> None:
    """``--seed`` picks a generated typical year: beside a weather file it would change nothing."""
    from twin.core.params import ConfigError
    from twin.engine.config import WeatherSource

    if seed is not None and file and WeatherSource(source=file).is_file:
        raise ConfigError(
            f"--seed {seed} picks a generated typical year, and the weather is read from the file {file}; "
            "give --seed or a weather file, not both"
        )


def _weather_from_args(sc: Any, args: argparse.Namespace) -> Any:
    """A scenario with the command line's ``--weather``, ``--seed``, ``--weather-format`` and
    ``--bad-records`` laid over its own ``[weather]`` (the command line wins; a new file's
    format is detected unless ``--weather-format`` names it)."""
    from twin.core.params import ConfigError

    if not (args.weather or args.seed is not None or args.weather_format or args.bad_records):
        return sc
    _refuse_seed_with_file(args.seed, args.weather or (sc.weather.source if sc.weather.is_file else None))
    if not (args.weather or sc.weather.is_file):
        for option, value in (("--weather-format", args.weather_format), ("--bad-records", args.bad_records)):
            if value:
                raise ConfigError(
                    f"{option} {value}: there is no weather file to read (the generated typical year); "
                    "give --weather FILE, or a scenario whose [weather] source is a file"
                )
    ws = sc.weather.with_source(args.weather, "auto") if args.weather else sc.weather
    ws = dataclasses.replace(
        ws,
        seed=ws.seed if args.seed is None else args.seed,
        format=args.weather_format or ws.format,
        bad_records=args.bad_records or ws.bad_records,
    )
    return dataclasses.replace(sc, weather=ws)


_SET_BY_OPTION = {
    "site": ("--site", "site"),
    "sites": ("--site", "site"),
    "design": ("--cooling", "cooling"),
    "designs": ("--cooling", "cooling"),
    "preset": ("--preset", "preset"),
    "weather.source": ("--weather", "weather"),
    "weather.seed": ("--seed", "seed"),
    "weather.format": ("--weather-format", "weather_format"),
    "weather.bad_records": ("--bad-records", "bad_records"),
    "ensemble.year_to_year": ("--year-to-year", "year_to_year"),
    "ensemble.t_sd_k": ("--t-sd", "t_sd"),
    "ensemble.t_dew_sd_k": ("--dew-sd", "dew_sd"),
    "ensemble.t_dew_corr": ("--t-dew-corr", "t_dew_corr"),
    "ensemble.ghi_sd_pct": ("--ghi-sd", "ghi_sd"),
    "ensemble.wind_sd_pct": ("--wind-sd", "wind_sd"),
    "ensemble.ghi_month_sd_pct": ("--ghi-month-sd", "ghi_month_sd"),
    "ensemble.wind_month_sd_pct": ("--wind-month-sd", "wind_month_sd"),
}
"""The ``--set`` keys an option of run, compare, sweep or ensemble also sets: the option and its
``args`` name (``--site`` is ``args.sites`` in twin compare)."""


def _same_value(key: str, given: Any, value: Any) -> bool:
    """Whether an option's value and a ``--set`` value of ``key`` are the same."""
    if key == "weather.source":
        return isinstance(value, str) and _same_file(given, value)
    if key in ("site", "sites", "design", "designs"):
        many = [given] if isinstance(given, str) else list(given)
        return many == ([value] if isinstance(value, str) else list(value) if isinstance(value, list) else [None])
    return bool(given == value) and isinstance(given, bool) == isinstance(value, bool)


def _typed(option: str, given: Any) -> str:
    """An option as typed: ``--year-to-year`` / ``--no-year-to-year`` for a switch, ``--t-sd 1``
    (not 1.0) for a number, ``--site a b`` for a list."""
    if isinstance(given, bool):
        return option if given else option.replace("--", "--no-", 1)
    if isinstance(given, float):
        from twin.core.fmt import number

        return f"{option} {number(given, grouped=False)}"
    return f"{option} {given if isinstance(given, str | int) else ' '.join(map(str, given))}"


def _refuse_set_beside_option(args: argparse.Namespace) -> None:
    """Refuse a ``--set`` of a key that an option given on the command line also sets, with
    another value (one of them would be dropped silently); the same value is accepted."""
    from twin.core.params import ConfigError
    from twin.engine.config import parse_override

    for text in args.set or ():
        key, value = parse_override(text)
        if key not in _SET_BY_OPTION:
            continue
        option, dest = _SET_BY_OPTION[key]
        given = getattr(args, "sites" if dest == "site" and hasattr(args, "sites") else dest, None)
        if given is None or given is DESIGN_CHOICES or _same_value(key, given, value):
            continue  # not given (compare's --cooling default: every design), or the same value
        raise ConfigError(
            f"{_typed(option, given)} and --set {text.strip()} both set {key}; "
            "give one of them (or the same value in both)"
        )


def _scenario_from_args(sc: Any, args: argparse.Namespace) -> Any:
    """A scenario with the command line's site folders (``--site-dir``) and ``--set`` overrides
    (a key an option also sets, with another value, is refused: :func:`_refuse_set_beside_option`)."""
    if args.site_dir:
        here = tuple(str(Path(d).resolve()) for d in args.site_dir)  # a saved scenario finds them anywhere
        sc = dataclasses.replace(sc, site_dirs=(*here, *sc.site_dirs))
    _refuse_set_beside_option(args)
    sc = sc.with_overrides(args.set)
    for text in args.set or ():
        parts = text.split("=", 1)[0].strip().split(".")
        if len(parts) == 3 and parts[0] == "cooling" and parts[1] not in sc.designs:
            import warnings

            warnings.warn(
                f"--set {text}: {parts[1]} is not among the designs run ({', '.join(sc.designs)}); it changes nothing",
                stacklevel=2,
            )
    if sc.ensemble.year_to_year and getattr(args, "func", None) is not cmd_ensemble:
        import warnings

        warnings.warn(
            "ensemble.year_to_year = true draws year-to-year anomalies in twin ensemble only; "
            "this command runs the generated year of the normals as they are",
            stacklevel=2,
        )
    return sc


def _scenario_alone(args: argparse.Namespace, designs: str, options: Sequence[str]) -> None:
    """Refuse a scenario file beside the ``options`` that name a scenario instead; a second site
    (``twin run --site karamay guian``: argparse reads ``guian`` as the scenario file) is said as
    such. ``designs``: what the command takes of --cooling, for that message."""
    from twin.core.params import ConfigError

    looks_like_a_file = args.scenario.endswith(".toml") or os.sep in args.scenario
    if args.site and not looks_like_a_file and not Path(args.scenario).exists():
        raise ConfigError(
            f"{args.scenario!r} was read as a scenario file, and there is none: twin {args.command} takes one site "
            f"(--site) and {designs}; twin compare and twin sweep take several "
            f"(twin compare --site A B --cooling X Y …)"
        )
    given = [o for o in options if getattr(args, o.lstrip("-").replace("-", "_"), None)]
    if given:
        raise ConfigError(f"give a scenario file or {'/'.join(options)}, not both (the scenario file: {args.scenario})")


def cmd_run(args: argparse.Namespace) -> int:
    from twin.core.params import ConfigError
    from twin.engine.config import Scenario, load_scenario

    if args.scenario:
        _scenario_alone(args, "one design (--cooling)", ("--site", "--cooling", "--preset"))
        sc = load_scenario(args.scenario)
        stem = Path(args.scenario).stem
    else:
        if not args.site or not args.cooling:
            raise ConfigError("give a scenario file, or both --site and --cooling")
        name = f"{args.site}-{args.cooling}" + (f"-{args.preset}" if args.preset else "")
        sc = Scenario.from_dict({"sites": [args.site], "designs": [args.cooling], "name": name, "preset": args.preset})
        stem = sc.name
    sc = _scenario_from_args(_weather_from_args(sc, args), args)
    _set_not_swept(args, [k for k, _ in sc.sweep], "the scenario's [sweep]")
    return _run_and_report(sc, args, _planned_outputs(args, stem, sc))


def cmd_compare(args: argparse.Namespace) -> int:
    from twin.engine.config import Scenario

    sc = Scenario.from_dict(
        {
            "sites": list(args.sites or COMPARE_SITES),
            "designs": list(args.cooling),
            "name": "compare",
            "preset": args.preset,
        }
    )
    sc = _scenario_from_args(_weather_from_args(sc, args), args)
    return _run_and_report(sc, args, _planned_outputs(args, "compare", sc))


def _study_tables(scenario, args: argparse.Namespace) -> None:
    """Print the default study (built-in sites × designs) and the scenario's KPIs."""
    from dashboards import data

    study = data.study()
    rows, header = _kpi_rows(study, study)
    print("Default study: every built-in site × every cooling design (generated typical year, seed 0)")
    print(_table(rows, header, getattr(args, "markdown", False)))
    k = data.scenario_kpis(scenario)
    rows, header = _kpi_rows(k, k)
    print()
    print(f"Scenario {scenario.name!r}:")
    print(_table(rows, header, getattr(args, "markdown", False)))


def _load_scenario_arg(path: str | None):
    from dashboards import data

    return data.check_size(data.default_scenario(path))


def cmd_dash(args: argparse.Namespace) -> int:
    sc = _load_scenario_arg(args.scenario)
    from dashboards.app import bind, create_app, serve
    from dashboards.data import public_text

    _WARNINGS.public = public_text  # the server's log names an uploaded file as the pages and downloads do

    with _interrupt_remembered() as interrupted:  # from the app's building to the serving
        app = create_app(sc.to_dict())
        server = None if args.debug else bind(app, args.host, args.port)  # a busy port fails before the study
        try:
            _study_tables(sc, args)
            if interrupted:  # a Ctrl-C whose KeyboardInterrupt was lost in a finaliser since the app's building
                raise KeyboardInterrupt
        except BaseException:
            if server is not None:
                server.close()
            raise
        _WARNINGS.say(from_now=True)  # the study's before serving, a request's as it comes
        serve(app, host=args.host, port=args.port, debug=args.debug, server=server)
    return 0


@contextlib.contextmanager
def _interrupt_remembered() -> Iterator[list[int]]:
    """SIGINT raises KeyboardInterrupt as Python's own handler does, and is also remembered in the
    list yielded: an interrupt that arrives while Python runs a finaliser (``__del__``, a weakref or
    garbage-collector callback) raises there, where Python reports and drops the exception, so
    ``twin dash`` went on to serve after a Ctrl-C during its study. The main thread only; the
    previous handler is restored on exit."""
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def on_sigint(sig: int, frame: Any) -> None:
        seen.append(sig)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_report(args: argparse.Namespace) -> int:
    from twin.core.io import atomic_write

    sc = _load_scenario_arg(args.scenario)
    _check_outputs(args, [("-o", args.output)], _scenario_inputs(sc, args))  # before the report is built
    from dashboards.report import build_report

    text = build_report(sc, 0, args.lang)
    out = atomic_write(args.output, lambda p: p.write_text(text, encoding="utf-8"), force=args.force)
    print(f"wrote {out} ({len(text) / 1e6:.1f} MB, {len(sc.cases())} case(s))")
    return 0


_SIZE_OPTIONS = {
    "pv_max_mw": "--pv-max-mw",
    "wind_max_mw": "--wind-max-mw",
    "storage_max_mw": "--storage-max-mw",
    "storage_max_mwh": "--storage-max-mwh",
    "pv_min_mw": "--pv-min-mw",
    "wind_min_mw": "--wind-min-mw",
    "storage_min_mw": "--storage-min-mw",
    "storage_min_mwh": "--storage-min-mwh",
    "grid_cap_mw": "--grid-cap-mw",
    "export_cap_mw": "--export-cap-mw",
    "grid_clean_share": "--clean-share",
    "representative_days": "--rep-days",
    "storage_link": "--storage-link",
    "sunk": "--sunk",
    "time_limit_s": "--time-limit",
    "pv_type": "--pv",
    "wind": "--no-wind",
}  # twin size's options by the SizingParams field they set
_SIZE_FLAGS = {"wind": "--no-wind"}  # an option without a value, which sets its field to false


_SIZE_APPLIES: dict[str, tuple[str, Any, str, frozenset[str]]] = {
    "clean_share": (
        "--clean-share",
        None,
        "a cfe target (24/7 CFE credits that share of the grid's imports)",
        frozenset({"cfe"}),
    ),
    "export_credit": (
        "--export-credit",
        False,
        "an annual target (annual matching counts the exported green energy)",
        frozenset({"annual"}),
    ),
    "export_cap_mw": (
        "--export-cap-mw",
        -1.0,
        "exports that count: an annual target with --export-credit, or exports paid under the scenario's "
        "economics.export_contract",
        frozenset({"exports"}),
    ),
    "resilience": ("--resilience", False, "one sizing, not the --pareto frontier", frozenset({"one"})),
    "save": ("--save", None, "one sizing (its cheapest base), not the --pareto frontier", frozenset({"one"})),
    "storage_link": (
        "--storage-link",
        None,
        "representative days (--rep-days 1 … 364); the full year carries one storage state through it",
        frozenset({"representative"}),
    ),
}
"""twin size's options that apply to some runs only: dest → (option, default, what it applies to,
the runs it applies to). A run is its target kind, ``one`` or ``pareto``, and ``exports`` when
exports count; an option in none of these is refused, not ignored. The options not named here
(the bounds, --pv, --no-wind, --rep-days, --check-dispatch, --time-limit, the weather and the
outputs) apply to every run."""


def _refuse_ignored_size_options(args: argparse.Namespace, target: Any, sc: Any) -> None:
    """Refuse a ``twin size`` option the run would ignore (:data:`_SIZE_APPLIES`)."""
    from twin.core.fmt import number
    from twin.core.params import ConfigError
    from twin.studies.sizing import export_price

    exports = (args.export_credit and target.kind == "annual") or export_price(sc.economics) > 0
    run = {target.kind, "pareto" if args.pareto else "one"} | ({"exports"} if exports else set())
    run |= {"representative"} if 0 < args.rep_days < 365 else set()  # 365 days and more: the full year
    for dest, (option, default, applies_to, runs) in _SIZE_APPLIES.items():
        value = getattr(args, dest)
        if value == default or runs & run:
            continue
        shown = (
            option
            if isinstance(value, bool)
            else f"{option} {number(value, grouped=False) if isinstance(value, float) else value}"
        )
        if "pareto" in run and "one" in runs:
            this = f"--pareto {args.pareto} asks for the frontier"
        elif "exports" in runs:
            this = "no export counts here"
        elif "representative" in runs:
            this = f"--rep-days {args.rep_days} solves the full year"
        else:
            this = f"the target is {args.target}"
        raise ConfigError(f"{shown} applies to {applies_to}; {this}: leave {option} out")


def _size_options(exc: Exception) -> Exception:
    """The error with each ``size.FIELD`` it names preceded by its option (``--pv-max-mw (size.pv_max_mw)``);
    a flag or a choice set is said as the user typed it (``--no-wind``, ``--pv none``), not as its field."""

    def said(m: re.Match[str]) -> str:
        field, value = m[1], m[2]
        if field in _SIZE_FLAGS and value == "false":
            return _SIZE_FLAGS[field]
        if field not in _SIZE_OPTIONS:
            return m[0]
        if value is not None and value.startswith("'"):
            return f"{_SIZE_OPTIONS[field]} {value[1:-1]}"
        return f"{_SIZE_OPTIONS[field]} (size.{field})" + ("" if value is None else f" = {value}")

    return type(exc)(re.sub(r"\bsize\.(\w+)(?: = (true|false|'[^']*'))?", said, str(exc)))


def _size_params(args: argparse.Namespace) -> Any:
    """The sizing parameters of ``twin size``'s options; a bad value's message names its option."""
    from twin.core.params import ConfigError

    try:
        return _size_fields(args)
    except ConfigError as exc:
        raise _size_options(exc) from None


def _fixed_rating(args: argparse.Namespace, unit: str) -> tuple[float, float]:
    """(minimum, maximum) of the storage's rating in ``unit`` (``mw`` or ``mwh``): ``--storage-MW X``
    fixes both at X, and is refused beside the minimum or maximum it sets."""
    from twin.core.fmt import number
    from twin.core.params import ConfigError
    from twin.studies.sizing import SizingParams

    fixed = getattr(args, f"storage_{unit}")
    lo, hi = getattr(args, f"storage_min_{unit}"), getattr(args, f"storage_max_{unit}")
    if fixed is None:
        return lo, hi
    try:  # its range is the minimum's: said by the option typed
        SizingParams(**{f"storage_min_{unit}": fixed})
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(f"size.storage_min_{unit}", f"--storage-{unit}")) from None
    for option, value, default in ((f"--storage-min-{unit}", lo, 0.0), (f"--storage-max-{unit}", hi, -1.0)):
        if value != default:
            raise ConfigError(
                f"--storage-{unit} {number(fixed, grouped=False)} fixes the rating that {option} "
                f"{number(value, grouped=False)} bounds; give one of them"
            )
    return fixed, fixed


def _size_fields(args: argparse.Namespace) -> Any:
    from twin.studies.sizing import SizingParams

    storage_min_mw, storage_max_mw = _fixed_rating(args, "mw")
    storage_min_mwh, storage_max_mwh = _fixed_rating(args, "mwh")
    return SizingParams(
        pv_type=args.pv,
        wind=not args.no_wind,
        pv_max_mw=args.pv_max_mw,
        wind_max_mw=args.wind_max_mw,
        storage_max_mw=storage_max_mw,
        storage_max_mwh=storage_max_mwh,
        pv_min_mw=args.pv_min_mw,
        wind_min_mw=args.wind_min_mw,
        storage_min_mw=storage_min_mw,
        storage_min_mwh=storage_min_mwh,
        sunk=",".join(args.sunk or ()),
        grid_cap_mw=args.grid_cap_mw,
        export_cap_mw=args.export_cap_mw,
        export_credit=args.export_credit,
        grid_clean_share=args.clean_share,
        representative_days=args.rep_days,
        storage_link=args.storage_link or "chained",
        check_dispatch=args.check_dispatch,
        time_limit_s=args.time_limit,
    )


def _pareto_values(text: str, kind: str) -> np.ndarray:
    import math

    import numpy as np

    from twin.core.fmt import number, read_typed, span
    from twin.core.params import ConfigError

    parts = text.split(":")
    try:
        lo, hi, step = (read_typed(x) for x in parts)
    except ValueError:
        raise ConfigError(f"--pareto {text!r} must be START:STOP:STEP, e.g. 0.5:1.0:0.05") from None
    bad = next((x for x in (lo, hi, step) if not math.isfinite(x)), None)
    if bad is not None:
        raise ConfigError(f"--pareto {text}: {bad!r} is not a finite number; give START:STOP:STEP, e.g. 0.5:1.0:0.05")
    if not (step > 0 and hi >= lo):
        raise ConfigError(f"--pareto {text!r}: need START ≤ STOP and STEP > 0 (START:STOP:STEP)")
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    if n > 200:
        raise ConfigError(f"--pareto {text!r} asks for {number(n)} points; at most 200")
    values = np.round(lo + step * np.arange(n), 10)
    top, what = (366.0, "numbers of days") if kind == "days" else (1.0, "shares")
    stop = hi if values[-1] == np.round(hi, 10) else values[-1]  # STOP reached: as typed, not rounded into range
    for end, value, typed in (("start at", lo, parts[0]), ("reach", stop, parts[1] if stop == hi else None)):
        if not 0.0 <= value <= top:
            shown = typed.strip() if typed is not None else number(value, grouped=False)
            raise ConfigError(f"--pareto {text}: the targets {end} {shown}; give {what} {span(0.0, top)}")
    if kind == "days" and not np.array_equal(values, np.round(values)):
        odd = next(v for v in values if v != round(v))
        raise ConfigError(
            f"--pareto {text}: a days target counts whole days, and {number(odd, grouped=False)} is not one; "
            "give whole numbers of days 0 … 366 (e.g. 250:350:25)"
        )
    return values


def cmd_size(args: argparse.Namespace) -> int:
    from twin.core.fmt import number
    from twin.core.io import committed_together, write_netcdf
    from twin.core.params import ConfigError
    from twin.engine.config import Scenario, WeatherSource, load_scenario, save_scenario
    from twin.studies import sizing

    sp = _size_params(args)
    try:
        target = sizing.parse_target(args.target)
    except ConfigError as exc:
        named = "" if args.target in str(exc) else f" {args.target}"
        raise ConfigError(f"--target{named}: {exc}") from None
    designs = tuple(args.cooling or ())
    if args.scenario:
        _scenario_alone(args, "one or more designs (--cooling)", ("--site",))
        sc = load_scenario(args.scenario)
        if sc.sweep:
            swept = ", ".join(k for k, _ in sc.sweep)
            print(f"note: the scenario's [sweep] ({swept}) is ignored: twin size runs one facility and sizes its base")
            sc = dataclasses.replace(sc, sweep=())
        if designs:
            sc = dataclasses.replace(sc, designs=designs)
        sc = _weather_from_args(sc, args)
    else:
        if not args.site:
            raise ConfigError("give a scenario file, or --site (and --cooling DESIGN, or all)")
        _refuse_seed_with_file(args.seed, args.weather)
        ws = WeatherSource(source=args.weather or "typical", seed=args.seed or 0)
        sc = Scenario(sites=(args.site,), designs=designs or ("free_air",), name=f"{args.site}-size", weather=ws)
    _refuse_ignored_size_options(args, target, sc)
    _check_outputs(args, [("-o", args.output), ("--save", args.save)], _scenario_inputs(sc, args))
    values = _pareto_values(args.pareto, target.kind) if args.pareto else None
    top = target if values is None else sizing.Target(target.kind, float(values[-1]))

    def check_generation(prof: Any = None) -> None:
        try:
            sizing.check_generation(top, sp, prof)
        except sizing.InfeasibleError as exc:
            raise _size_options(exc if values is None else type(exc)(f"--pareto {args.pareto}: {exc}")) from None

    check_generation()  # before the engine's year and the solver: bounds without PV and wind
    inp = sizing.sizing_inputs(sc, sp)
    check_generation(inp.profiles[0])  # a cfe target's reach: the site's clean share, known from its year
    credit = sizing.clean_credit(inp.profiles[0], sp, "--clean-share") if target.kind == "cfe" else ""
    sunk = sizing.sunk_note(sp, inp.cases[0].economics)
    if values is not None:
        try:
            ds = sizing.pareto(inp, target.kind, values, sp)
        except sizing.UnboundedError as exc:
            raise _size_options(exc) from None
        rows, header, note = sizing.frontier_rows(ds, credit)
        print(_table(rows, header, args.markdown))
        print(note)
        if sunk:
            print(sunk)
        if args.output:
            write_netcdf(ds, args.output, force=args.force)
            print(f"wrote {args.output}")
        return 0
    try:
        results = [sizing.size_design(inp, i, target, sp) for i in range(len(inp.cases))]
    except sizing.UnboundedError as exc:
        raise _size_options(exc) from None
    rows, header, note = sizing.results_rows(results, credit)
    print(_table(rows, header, args.markdown))
    print(note)
    if sunk:
        print(sunk)
    best = min(results, key=lambda r: r.cost)
    if len(results) > 1:
        print(f"cheapest for {target}: {best.design} with {sizing.describe_base(best.base)}")
    for r in results:
        if r.note:
            print(f"note ({r.design}): {r.note}")
    if args.resilience:
        print()
        rows, header, note = sizing.resilience_rows(inp, results)
        print(_table(rows, header, args.markdown))
        print(note)
    with committed_together():  # a failure while one is written leaves both as they were
        if args.save:
            save_scenario(sizing.sized_scenario(sc, best, sp), args.save, force=args.force)
        if args.output:
            write_netcdf(sizing.results_dataset(results, inp, sp), args.output, force=args.force)
    if args.save:
        print(f"wrote {args.save} (the cheapest base; run it with: twin run {args.save})")
        if sunk:
            print(f"note: twin run {args.save} counts the sunk plant's capital recovery in its cost")
        if target.kind == "cfe" and args.clean_share is not None:
            print(
                f"note: twin run {args.save} credits the site's [grid] clean_share in its 24/7 CFE, not "
                f"--clean-share {number(args.clean_share, grouped=False)}"
            )
    if args.output:
        print(f"wrote {args.output}")
    return 0


def _study_scenario(args: argparse.Namespace) -> tuple[Any, str]:
    """The base scenario of ``twin sweep`` / ``twin ensemble``: a file, or --site and --cooling."""
    from twin.core.params import ConfigError
    from twin.engine.config import Scenario, WeatherSource, load_scenario

    if args.scenario:
        if args.site or args.cooling:
            raise ConfigError(
                f"give a scenario file or --site/--cooling, not both (the scenario file: {args.scenario})"
            )
        sc = load_scenario(args.scenario)
        if args.seed is not None:
            _refuse_seed_with_file(args.seed, sc.weather.source if sc.weather.is_file else None)
            sc = dataclasses.replace(sc, weather=dataclasses.replace(sc.weather, seed=args.seed))
        stem = Path(args.scenario).stem
    else:
        if not args.site or not args.cooling:
            raise ConfigError("give a scenario file, or --site and --cooling (each takes one or more names)")
        sc = Scenario(sites=tuple(args.site), designs=tuple(args.cooling), weather=WeatherSource(seed=args.seed or 0))
        stem = "-".join([*args.site, *args.cooling])
    return _scenario_from_args(sc, args), stem


def _set_not_swept(
    args: argparse.Namespace, swept: Sequence[str], where: str = "--grid, --list or the scenario's [sweep]"
) -> None:
    """Refuse a ``--set`` of a key the study also varies (the swept values would hide it)."""
    from twin.core.params import ConfigError

    for text in args.set or ():
        key = text.split("=", 1)[0].strip()
        if key in swept:
            raise ConfigError(f"--set {text}: {key} is also swept ({where}); give it once")


def _study_output(args: argparse.Namespace, stem: str, sc: Any) -> Path:
    """``-o`` or the first free ``out/STEM.nc`` (an unfinished study keeps its name: its file is not there yet),
    checked before the study starts against the files the scenario ``sc`` reads (:func:`_check_outputs`)."""
    from twin.studies.study import refuse_if_held

    named = ("-o", args.output) if args.output else ("--out-dir", str(_free_name(stem, ".nc", Path(args.out_dir))))
    out = _check_outputs(args, [named], _scenario_inputs(sc, args), checkpoint=True)[0][0]
    refuse_if_held(out.with_name(out.name + ".checkpoint"))  # before a Dask cluster is started for it
    return out


@contextlib.contextmanager
def _resumable(out: Path) -> Iterator[None]:
    """On Ctrl-C, say where the finished blocks are and how to resume (the words of the interrupt,
    which :func:`_main` prints in its one line; :func:`twin.studies.study.run_blocks` counts them);
    so does a write that failed (a full disk: the blocks are kept, and the line said only that
    nothing was written)."""
    from twin.core.io import OutputError, OutputExists

    ckpt = out.with_name(out.name + ".checkpoint")
    try:
        yield
    except KeyboardInterrupt as exc:
        if exc.args or not ckpt.is_dir():
            raise
        raise KeyboardInterrupt(f"finished blocks are kept in {ckpt}; run the same command to resume") from None
    except OutputError as exc:
        if isinstance(exc, OutputExists) or not any(ckpt.glob("block-*.npz")):
            raise
        raise OutputError(f"{exc}; the finished blocks are kept in {ckpt}: run the same command to resume") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    from twin.core.fmt import number
    from twin.studies.study import cluster
    from twin.studies.sweep import parse_grid, read_case_list, run_sweep

    base, stem = _study_scenario(args)
    grid = [parse_grid(g) for g in args.grid]
    case_list = read_case_list(args.list, len(base.sites) * len(base.designs)) if args.list else None
    _set_not_swept(args, [k for k, _ in (*base.sweep, *grid)] + list(case_list[0] if case_list else ()))
    out = _study_output(args, f"{stem}-sweep", base)
    with cluster(args.workers, args.scheduler) as client, _resumable(out):
        ds = run_sweep(
            base, grid, case_list, output=out, force=args.force, block=args.block, client=client, kernel=args.kernel
        )
    rows = []
    for s in ds["site"].values:
        for d in ds["design"].values:
            pue = ds["pue"].sel(site=s, design=d)
            at = ", ".join(f"{k}={v}" for k, v in _where_lowest(pue).items())
            rows.append([s, d, f"{float(pue.min()):.3f}", f"{float(pue.median()):.3f}", f"{float(pue.max()):.3f}", at])
    print(_table(rows, ["site", "design", "PUE min", "median", "max", "lowest PUE at"], args.markdown))
    said = _kernel_line(ds.attrs["kernel"], args.kernel, int(ds.attrs["cases"]), base.designs, "sweep")
    print(said, file=sys.stderr)
    n = int(ds.attrs["cases"])
    print(f"{number(n)} {'case' if n == 1 else 'cases'}; every KPI in {out}")
    return 0


def _kernel_line(summary: str, requested: str, case_years: int, designs: Sequence[str], study: str) -> str:
    """The line saying which implementation ran a study (``summary``: its ``kernel`` attribute,
    :func:`twin.studies.sweep.kernel_summary`), and, where ``--kernel auto`` left a design that has
    a compiled kernel on the numpy reference, why: the study is below the size from which auto
    compiles (a fresh process pays numba's import and the kernel's load, more than it saves on a
    small study)."""
    from twin.engine.kernels import COMPILED_DESIGNS, kernel_for

    line = f"kernel: {summary}"
    if requested == "auto" and kernel_for(case_years) == "reference":
        from twin.core.jit import AUTO_MIN_CASE_YEARS

        if any(d in COMPILED_DESIGNS for d in designs):
            line += (
                f"; this {study} is {_count(case_years, 'case-year', 'case-years')}, --kernel auto compiles "
                f"from {AUTO_MIN_CASE_YEARS:,} (--kernel numba compiles it, results agree to 1e-12)"
            )
    return line


def _where_lowest(da: Any) -> dict[str, str]:
    """Coordinates of the lowest value per dimension: the first of those that tie, ``any`` if all do."""
    import numpy as np

    at = np.argwhere(da.to_numpy() == float(da.min()))
    out = {}
    for j, dim in enumerate(da.dims):
        vals = np.unique(at[:, j])
        v = da[dim].values[vals[0]]
        first = str(v) if isinstance(v, str | np.str_ | bytes) else f"{v:g}"
        if vals.size > 1:
            first = "any" if vals.size == da.sizes[dim] else f"{first} (+{vals.size - 1} tied)"
        out[dim] = first
    return out


def _year_to_year(sc: Any, args: argparse.Namespace) -> Any:
    """The scenario with the year-to-year options of ``twin ensemble`` (``--year-to-year``,
    ``--t-sd`` …) laid over its ``[ensemble]`` table (the file's, then ``--set``'s), validated
    once on the final values: a value out of its range is refused naming the option, the field and
    what is allowed; an SD typed on this command line (option or ``--set``) while the final
    ``ensemble.year_to_year`` is false is refused, as it draws nothing (one kept in the scenario
    file is not: :func:`~twin.studies.ensemble.run_ensemble` warns of it)."""
    from twin.core.fmt import number
    from twin.core.params import ConfigError
    from twin.engine.config import parse_override

    changes: dict[str, Any] = {}
    typed: dict[str, str] = {}
    for key, (option, dest) in _SET_BY_OPTION.items():
        value = getattr(args, dest, None) if key.startswith("ensemble.") else None
        if value is not None:
            changes[key.partition(".")[2]] = value
            typed[key] = _typed(option, value)
    if changes:
        try:
            sc = dataclasses.replace(sc, ensemble=dataclasses.replace(sc.ensemble, **changes))
        except ConfigError as exc:
            raise ConfigError(f"{' '.join(typed.values())}: {exc}") from None
    for text in args.set or ():
        key = parse_override(text)[0]
        if key.startswith("ensemble.") and key not in typed:
            typed[key] = f"--set {text.strip()}"
    p = sc.ensemble
    for name in p.unused():
        if f"ensemble.{name}" in typed:
            raise ConfigError(
                f"{typed[f'ensemble.{name}']}: ensemble.{name} = {number(getattr(p, name), grouped=False)} sets a "
                "year-to-year anomaly, but ensemble.year_to_year = false draws none; set ensemble.year_to_year = "
                "true (twin ensemble --year-to-year) or drop the value"
            )
    return sc


def cmd_ensemble(args: argparse.Namespace) -> int:
    from twin.core.fmt import span
    from twin.core.params import ConfigError
    from twin.studies.ensemble import MAX_SEEDS, WARMING_RANGE_K, check_warming, run_ensemble, spread_note
    from twin.studies.study import cluster
    from twin.studies.sweep import parse_grid, sweep_scenario

    base, stem = _study_scenario(args)
    base = _year_to_year(sweep_scenario(base, [parse_grid(g) for g in args.grid]), args)
    _set_not_swept(args, [k for k, _ in base.sweep])
    if args.seeds > MAX_SEEDS:  # before range(N) is counted: 10**20 seeds is one line too
        raise ConfigError(f"--seeds = {args.seeds}: at most {MAX_SEEDS:,} generated years per site and warming")
    allowed = f"each within {span(*WARMING_RANGE_K)} K"
    try:
        values = parse_grid(f"warming={args.warming}")[1]
    except ConfigError as exc:
        why = str(exc).partition("': ")[2]  # e.g. a value is repeated
        why = f"{why}; " if why and not why.startswith("write") else ""
        raise ConfigError(
            f"--warming {args.warming!r}: {why}write kelvin values w1,w2,... or start:stop:step ({allowed})"
        ) from None
    try:
        one = "," not in args.warming and ":" not in args.warming  # then named as typed: '1e400', not inf
        warming = check_warming([args.warming.strip()] if one else values, name="" if one else "value")
    except ConfigError as exc:
        raise ConfigError(f"--warming {args.warming!r}: {exc}") from None
    out = _study_output(args, f"{stem}-ensemble", base)
    with cluster(args.workers, args.scheduler) as client, _resumable(out):
        members, q = run_ensemble(
            base, range(args.seeds), warming, output=out, force=args.force, client=client, kernel=args.kernel
        )
    cols = [("pue", "PUE", "{:.3f}"), ("wue", "WUE", "{:.2f}"), ("green_share_annual", "green", "{:.1%}")]
    cols += [("cost_per_compute", "CNY/MWh compute", "{:,.0f}"), ("cost_per_mwh_it", "CNY/MWh IT", "{:,.0f}")]
    case_dims = [d for d in q["pue"].dims if d != "quantile"]
    flat = q.stack(case=case_dims)
    green = (members["energy_green"] > 0).any("seed").transpose(*case_dims).to_numpy().ravel()
    rows = []
    for i in range(flat.sizes["case"]):
        c = flat.isel(case=i)
        row = [f"{c[d].item():g}" if d == "warming" else str(c[d].item()) for d in flat.indexes["case"].names]
        for var, _, fmt in cols:
            none = var == "green_share_annual" and not green[i]
            row.append("–" if none else " / ".join(fmt.format(float(v)) for v in c[var].values))
        rows.append(row)
    names = ["ΔT K" if d == "warming" else d for d in flat.indexes["case"].names]
    print(_table(rows, [*names, *[f"{h} P10/P50/P90" for _, h, _ in cols]], args.markdown))
    print(f"P10/P50/P90: {spread_note(base)}")
    if not green.all():
        print("green –: no PV or wind generation in the case")
    print(COST_NOTE)
    case_years = int(members["pue"].size)  # warmings × seeds × cases
    print(_kernel_line(members.attrs["kernel"], args.kernel, case_years, base.designs, "ensemble"), file=sys.stderr)
    print(f"over {args.seeds} generated years (seeds 0…{args.seeds - 1}); every member and KPI in {out}")
    return 0


def _count(n: int, one: str, many: str) -> str:
    """``n`` with the noun in the singular for 1, else the plural."""
    return f"{n:,} {one if n == 1 else many}"


def _cache_origin() -> str:
    """Where the cache folder comes from, for ``twin cache``: the variable, or the default."""
    from twin.core import diskcache

    return (
        diskcache.CACHE_ENV
        if os.environ.get(diskcache.CACHE_ENV)
        else f"the default: {diskcache.CACHE_ENV} is unset or empty"
    )


def cmd_cache(args: argparse.Namespace) -> int:
    from twin.core import diskcache

    info = diskcache.cache_info()
    folder = info["folder"]
    if folder is None:
        print(f"the disk cache is off ({diskcache.CACHE_ENV}={os.environ.get(diskcache.CACHE_ENV, '')!r})")
        return 0
    if info["state"] == "not a folder":
        from twin.core.params import ConfigError

        raise ConfigError(f"{diskcache.CACHE_ENV} = {str(folder)!r} is not a folder: nothing is cached (runs compute)")
    if info["state"] == "missing":
        print(f"folder: {folder} ({_cache_origin()}) does not exist yet: nothing is cached")
        return 0
    if args.action == "clear":
        n, size, failed = diskcache.clear(folder)
        print(f"removed {_count(n, 'entry', 'entries')} ({size / 1e6:.1f} MB) from {folder}")
        if failed:
            first = failed[0]
            print(
                f"twin: error: {_count(len(failed), 'entry', 'entries')} could not be removed "
                f"(first: {first.filename}: {first.strerror or first})",
                file=sys.stderr,
            )
            return 1
        return 0
    rows = [[kind, f"{n:,}", f"{size / 1e6:.1f}"] for kind, (n, size) in info["kinds"].items()]
    print(f"folder: {folder} ({_cache_origin()})")
    print(
        f"size: {info['bytes'] / 1e6:.1f} MB in {info['entries']:,} entries; "
        f"limit {info['limit'] / 1e6:g} MB ({diskcache.MAX_ENV}, default {diskcache.DEFAULT_MAX_MB:g}; "
        "least recently used entries are removed first)"
    )
    if rows:
        print(_table(rows, ["kind", "entries", "MB"], args.markdown))
    return 0


MAX_WORKERS_PER_CORE = 4
"""The most ``--workers`` of a local cluster per core of this machine: each is a process of its
own, single-threaded; more than a few per core only wait and take memory."""


def _study_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=_path, nargs="?", help="scenario TOML file (its [sweep] is part of the grid)")
    p.add_argument("--site", nargs="+", type=_site_name, help="site keys or names")
    _designs_option(p, "--cooling")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a swept parameter: KEY=v1,v2,... or KEY=start:stop:step (stop included); repeatable",
    )
    p.add_argument("-o", "--output", type=_path, help="NetCDF file of the results (default: a new name in --out-dir)")
    p.add_argument("--out-dir", type=_path, default="out", help="folder for the default output name (default ./out)")
    p.add_argument("--force", action="store_true", help="replace an existing output (and a stale checkpoint)")
    p.add_argument(
        "--workers",
        type=_int_in(1, MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)),
        help=f"run on a local Dask cluster of N worker processes (127.0.0.1; at most {MAX_WORKERS_PER_CORE} per core)",
    )
    p.add_argument("--scheduler", type=_scheduler, metavar="tcp://HOST:PORT", help="run on this Dask cluster")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    _kernel_arg(p)
    _set_arg(p)


def _kernel_arg(p: argparse.ArgumentParser) -> None:
    """``--kernel``, the ``kernel`` argument of :func:`twin.engine.simulate.annual_kpis` and the studies."""
    p.add_argument(
        "--kernel",
        choices=KERNEL_CHOICES,
        default="auto",
        metavar="KERNEL",
        help="which implementation runs the cases: %(choices)s; auto (the default) runs the compiled numba "
        "kernels for a study of 1,000 case-years or more and the numpy reference below that (results agree "
        "to 1e-12); the choice is printed and kept in the file's kernel attribute",
    )


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o", "--output", type=_path, help="NetCDF file for the hourly Dataset (default: a new name in --out-dir)"
    )
    p.add_argument("--out-dir", type=_path, default="out", help="folder for the default output name (default ./out)")
    p.add_argument("--no-output", action="store_true", help="print the table only")
    p.add_argument("--csv", type=_path, help="also write the hourly data to this CSV file")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument(
        "--seed",
        type=_int_in(0, 2**31 - 1),
        default=None,
        help="seed of the generated weather year (default 0, or the scenario's)",
    )
    _set_arg(p)


def _set_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.NAME=VALUE",
        help="override one parameter, e.g. facility.it_capacity_kw=50000 or green.pv.capacity_mw=150 "
        "(repeatable; VALUE is a TOML literal; validated as in a scenario file)",
    )


def _weather_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--weather", type=_path, help="weather file instead of the generated typical year (also over a scenario's)"
    )
    p.add_argument(
        "--weather-format",
        choices=FORMAT_CHOICES,
        metavar="FORMAT",
        help="format of --weather: %(choices)s (default: detected)",
    )
    p.add_argument(
        "--bad-records",
        choices=BAD_RECORD_CHOICES,
        metavar="ACTION",
        help="impossible or implausible records of --weather: %(choices)s (default: the scenario's, repair)",
    )


def _whole(text: str) -> int:
    """A whole number as typed on the command line: ``1000``, or a whole value in any spelling of a
    number (``1e3``, ``1000.0``); ``ValueError`` for any other text (``1.5``, ``inf``, ``abc``).
    (A ``--set`` of an integer field reads only integer text: ``--set weather.seed=1e3`` is refused.)"""
    import math

    from twin.core.fmt import read_float

    try:
        return int(text)
    except ValueError:
        v = read_float(text)
    if not math.isfinite(v) or not float(v).is_integer():
        raise ValueError(text)
    return int(v)


def _number_in(kind: type, lo: float, hi: float | None, *, bounded: bool = True, quantity: bool = False) -> Any:
    """An argparse type: a number of ``kind`` (int or float) within lo … hi (``None``: no upper
    bound); an error names the range. ``bounded=False``: any number of ``kind`` (a text that is
    not one still names the range), the range checked by the parameter the option sets.
    ``quantity``: the range's numbers grouped from 1,000 (an amount, :func:`twin.core.fmt.number`)."""
    from twin.core.fmt import number

    what = "a whole number" if kind is int else "a number"
    rng = (
        f"≥ {number(lo, quantity=quantity)}"
        if hi is None
        else f"{number(lo, quantity=quantity)} … {number(hi, quantity=quantity)}"
    )

    def parse(text: str) -> Any:
        try:
            v = (_float if kind is float else _whole if kind is int else kind)(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; allowed {rng}") from None
        if bounded and not (lo <= v and (hi is None or v <= hi)):
            raise argparse.ArgumentTypeError(f"{text} is outside {rng}" if hi is not None else f"{text} is not {rng}")
        return v

    return parse


def _scheduler(text: str) -> str:
    """An argparse type: a Dask scheduler's address, tcp://HOST:PORT with a
    port 1 … 65535 (:func:`twin.studies.study.scheduler_address`); whether one answers there is
    asked when the study starts."""
    from twin.studies.study import ClusterError, scheduler_address

    try:
        scheduler_address(text)
    except ClusterError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--scheduler = ")) from None
    return text


def _path(text: str) -> str:
    """An argparse type: a file or folder name, not empty (an empty name would read as "not given")."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is an empty name; give a file or folder name")
    return text


def _site_name(text: str) -> str:
    """An argparse type: a site key or name, not empty (an empty one would read as "not given")."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an empty site name; give a site key or name (twin sites lists them)"
        )
    return text


def _host(text: str) -> str:
    """An argparse type: a host name or address to bind, not empty (an empty one would bind nothing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is an empty address; give a host name or address, e.g. 127.0.0.1")
    return text


def _site_dir(text: str) -> str:
    """An argparse type: a folder of site files that exists."""
    from weather.files import input_dir

    _path(text)
    try:
        input_dir(text, "site directory", argparse.ArgumentTypeError)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; give a folder of site TOML files") from None
    return text


def _float(text: str) -> float:
    """An argparse type: a number, repeated as typed by a message about it
    (:func:`twin.core.fmt.read_typed`: ``0.00001``, not ``1e-05``; ``1e400``, not ``inf``)."""
    from twin.core.fmt import read_typed

    return read_typed(text)


_float.__name__ = "float"  # argparse's message for a text that is not a number: "invalid float value"


def _int_in(lo: int, hi: int | None, *, quantity: bool = False) -> Any:
    return _number_in(int, lo, hi, quantity=quantity)


def _float_in(lo: float, hi: float) -> Any:
    return _number_in(float, lo, hi)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``twin`` command's parser; with ``command``, the other commands' options are left out
    (building them costs about 10 ms; ``twin COMMAND --help`` and errors are the same)."""

    p = _Parser(prog="twin", description="Data-centre energy, PUE and green-power digital twin.")
    p.add_argument("--version", action="version", version=f"twin {__version__}")
    p.add_argument(
        "--site-dir",
        action="append",
        default=[],
        type=_site_dir,
        metavar="DIR",
        help="directory of extra site TOML files (repeatable; also $TWIN_SITE_PATH)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if command is not None:
        add_parser = sub.add_parser

        def add_only(name: str, **kwargs: Any) -> argparse.ArgumentParser:
            sub._parser_class = _Parser if name == command else _Outline
            return add_parser(name, **kwargs)

        sub.add_parser = add_only  # type: ignore[method-assign,assignment]

    s = sub.add_parser("sites", help="list the site library")
    s.add_argument("--markdown", action="store_true", help="print a Markdown table")
    s.set_defaults(func=cmd_sites)

    w = sub.add_parser("weather", help="generate a typical year for a site, or read a weather file; print a summary")
    w.add_argument("--site", action="append", type=_site_name, help="site key or name (repeatable)")
    w.add_argument(
        "--file", type=_path, help="weather file to read instead (.epw, TMY3 .csv, PVGIS .csv/.json, ERA5 .nc)"
    )
    w.add_argument(
        "--format", choices=FORMAT_CHOICES, metavar="FORMAT", help="format of --file: %(choices)s (default: detected)"
    )
    w.add_argument(
        "--utc-offset",
        type=_float_in(-12.0, 14.0),
        help="UTC offset for PVGIS / NetCDF / CSV files, or to replace a file's, h",
    )
    w.add_argument("--no-repair", action="store_true", help="show the file as it is (no repairs: weather.REPAIRS)")
    w.add_argument(
        "--bad-records",
        choices=BAD_RECORD_CHOICES,
        metavar="ACTION",
        help="impossible or implausible records of --file (weather.RECORD_CHECKS): %(choices)s; repair and "
        "report them (default), or refuse the file",
    )
    w.add_argument("--seed", type=_int_in(0, 2**31 - 1), help="seed of the generated year (default 0)")
    w.add_argument("--year", type=_int_in(1900, 2100), help="calendar year of the generated year (default 2021)")
    w.add_argument("-o", "--output", type=_path, help="write the hourly Dataset to this NetCDF file")
    w.add_argument("--csv", type=_path, help="write the hourly data to this CSV file")
    w.add_argument("--force", action="store_true", help="replace existing output files")
    w.add_argument(
        "--derive", action="store_true", help="print the [variability] table of a site file derived from the weather"
    )
    w.add_argument("--markdown", action="store_true", help="print Markdown tables")
    w.set_defaults(func=cmd_weather)

    r = sub.add_parser("run", help="simulate a scenario (TOML file, or --site and --cooling) and print its KPIs")
    r.add_argument("scenario", type=_path, nargs="?", help="scenario TOML file")
    r.add_argument("--site", type=_site_name, help="site key or name (one; twin compare and twin sweep take several)")
    r.add_argument("--cooling", choices=DESIGN_CHOICES, metavar="DESIGN", help="cooling design: %(choices)s")
    r.add_argument(
        "--preset",
        choices=BASELINE_CHOICES,
        metavar="BASELINE",
        help="facility baseline (with --site/--cooling): %(choices)s",
    )
    _weather_args(r)
    r.add_argument("--save", type=_path, help="also save the scenario as TOML here")
    _output_args(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="sites × cooling designs in one vectorised run; KPI table")
    c.add_argument(
        "--site",
        "--sites",
        dest="sites",
        nargs="+",
        type=_site_name,
        action="extend",
        metavar="SITE",
        default=None,
        help="site keys or names, as in twin sweep (--sites: the same option, its older spelling; "
        "given more than once, the sites add up; default karamay qingyang guian yinchuan us_dulles)",
    )
    _designs_option(c, "--cooling", default=DESIGN_CHOICES, help="cooling designs: %(choices)s (default all)")
    c.add_argument(
        "--preset",
        choices=BASELINE_CHOICES,
        metavar="BASELINE",
        help="facility baseline: %(choices)s (default best_practice)",
    )
    _weather_args(c)
    _output_args(c)
    c.set_defaults(func=cmd_compare)

    d = sub.add_parser("dash", help="serve the Dash app for a scenario (default: the Minning green-power example)")
    d.add_argument("scenario", type=_path, nargs="?", help="scenario TOML file")
    d.add_argument(
        "--host", type=_host, default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    d.add_argument("--port", type=_int_in(1, 65535), default=8050, help="TCP port, 1 … 65535 (default 8050)")
    d.add_argument("--debug", action="store_true", help="Dash's development server with hot reload (not waitress)")
    d.set_defaults(func=cmd_dash)

    rp = sub.add_parser("report", help="write a self-contained HTML report of a scenario")
    rp.add_argument("scenario", type=_path, help="scenario TOML file")
    rp.add_argument("-o", "--output", type=_path, required=True, help="HTML file to write")
    rp.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the labels (default en)")
    rp.add_argument("--force", action="store_true", help="replace an existing file")
    rp.set_defaults(func=cmd_report)
    z = sub.add_parser(
        "size",
        help="the cheapest PV + wind + storage base for a green target (LP/MILP, checked by the engine)",
        description="Size the green-power base of one site's facility for a green target: "
        "hourly:X (physical hourly share), cfe:X (24/7 CFE, grid credited --clean-share), "
        "annual:X (annual matching), days:N (24-hour green days). See README 'Sizing the green-power base'.",
    )
    z.add_argument(
        "scenario", type=_path, nargs="?", help="scenario TOML file (facility, storage and economics parameters)"
    )
    z.add_argument("--site", type=_site_name, help="site key or name")
    _designs_option(z, "--cooling", "--designs", help="cooling designs: %(choices)s (default free_air)")
    z.add_argument("--target", required=True, help="hourly:0.8, cfe:0.9, annual:1.0 or days:100")
    z.add_argument("--pareto", metavar="START:STOP:STEP", help="cost against target values, e.g. 0.5:1.0:0.05")
    z.add_argument(
        "--pv", choices=["fixed", "tracking", "none"], help="PV plant type (default: the scenario's green.pv.tracking)"
    )
    z.add_argument("--no-wind", action="store_true", help="no wind in the base")
    for name, unit in (
        ("pv-max-mw", "MW"),
        ("wind-max-mw", "MW"),
        ("storage-max-mw", "MW"),
        ("storage-max-mwh", "MWh"),
        ("grid-cap-mw", "MW"),
        ("export-cap-mw", "MW"),
    ):
        z.add_argument(f"--{name}", type=_float, default=-1.0, metavar=unit, help="upper bound (default -1: none)")
    for name, unit in (
        ("pv-min-mw", "MW"),
        ("wind-min-mw", "MW"),
        ("storage-min-mw", "MW"),
        ("storage-min-mwh", "MWh"),
    ):
        z.add_argument(
            f"--{name}", type=_float, default=0.0, metavar=unit, help="lower bound: plant already built (default 0)"
        )
    for name, unit in (("storage-mw", "MW"), ("storage-mwh", "MWh")):
        z.add_argument(f"--{name}", type=_float, default=None, metavar=unit, help="fixed rating: the storage as built")
    z.add_argument(
        "--sunk",
        action="append",
        choices=["pv", "wind", "storage"],
        metavar="PLANT",
        help="plant already built and paid for (pv, wind, storage; repeat for more): its minimum rating's capital "
        "recovery is left out of the cost",
    )
    z.add_argument("--export-credit", action="store_true", help="annual matching counts exported green energy")
    z.add_argument(
        "--clean-share",
        type=_float,
        default=None,
        help="clean share of grid imports credited by cfe: (default: the site's [grid] clean_share by month, "
        "as twin run's 24/7 CFE)",
    )
    z.add_argument(
        "--rep-days",
        type=_number_in(int, 0, 366, bounded=False),
        default=36,
        help="representative days the LP solves on (0 = full year)",
    )
    z.add_argument(
        "--storage-link",
        choices=["chained", "cyclic"],
        default=None,
        help="representative days' storage: chained through the calendar (default) or cyclic within each day",
    )
    z.add_argument(
        "--check-dispatch", choices=["green_first", "lp"], default="green_first", help="engine dispatch of the check"
    )
    z.add_argument("--time-limit", type=_float, default=120.0, help="solver time limit per solve, s (default 120)")
    z.add_argument("--resilience", action="store_true", help="also print outage ride-through of the sized bases")
    z.add_argument("--weather", type=_path, help="weather file instead of the generated typical year")
    z.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=None, help="seed of the generated weather year")
    z.add_argument("-o", "--output", type=_path, help="NetCDF file of the result or the frontier")
    z.add_argument("--save", type=_path, help="save the cheapest sized scenario as TOML (for twin run)")
    z.add_argument("--force", action="store_true", help="replace existing output files")
    z.add_argument("--markdown", action="store_true", help="print Markdown tables")
    z.set_defaults(func=cmd_size, weather_format=None, bad_records=None)
    from twin.core.runtime import MAX_CASES, MAX_SEEDS

    sw = sub.add_parser("sweep", help="a grid or list of parameter values in blocks; resumable; one NetCDF")
    _study_args(sw)
    sw.add_argument(
        "--list", type=_path, metavar="FILE.csv", help="cases from a CSV file: a header of keys, one case per row"
    )
    sw.add_argument(
        "--block",
        type=_int_in(1, MAX_CASES),
        default=256,
        help=f"cases per block / checkpoint / Dask task (default 256; at most {MAX_CASES:,}, the most cases a study has)",
    )
    sw.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=None, help="seed of the generated weather year")
    sw.set_defaults(func=cmd_sweep)

    en = sub.add_parser(
        "ensemble",
        help="P10/P50/P90 of the KPIs over generated years and warmer normals",
        description="P10/P50/P90 of the KPIs over generated years (seeds 0…N−1) and warmer normals. The seeds "
        "replace the scenario's own: a [weather] seed of the scenario file or --set weather.seed=… other than 0 "
        "is not used, and a warning says so.",
    )
    _study_args(en)
    en.add_argument(
        "--seeds",
        type=_int_in(1, MAX_SEEDS, quantity=True),
        default=10,
        help="generated years per warming: seeds 0…N−1 (default 10; they replace the scenario's [weather] seed)",
    )
    en.add_argument(
        "--warming", default="0", help="K added to the monthly temperature normals: 0,1,2 or 0:2:0.5 (default 0)"
    )
    en.add_argument(
        "--year-to-year",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="each generated year draws its own monthly anomalies of the normals (ensemble.year_to_year; "
        "--no-year-to-year switches a scenario file's off); README 'Year-to-year variability'",
    )
    for option, dest, what in (
        ("--t-sd", "t_sd", "SD of a month's mean dry bulb between years, K (default 0: no source found)"),
        ("--dew-sd", "dew_sd", "SD of a month's mean dew point between years, K (default 0: no source found)"),
        ("--t-dew-corr", "t_dew_corr", "correlation of the dry-bulb and dew-point anomalies (default 0)"),
        (
            "--ghi-sd",
            "ghi_sd",
            "SD of the year's common GHI factor, %% (default 2.5: ACPSolarVar, US; an assumption elsewhere; "
            "docs/references.md)",
        ),
        ("--ghi-month-sd", "ghi_month_sd", "SD of each month's own GHI factor, %% (default 0: no source found)"),
        (
            "--wind-sd",
            "wind_sd",
            "SD of the year's common wind-speed factor, %% (default 6: Pryor2018, the industry's rule of thumb; "
            "an assumption outside the eastern USA; docs/references.md)",
        ),
        (
            "--wind-month-sd",
            "wind_month_sd",
            "SD of each month's own wind-speed factor, %% (default 0: no source found)",
        ),
    ):
        en.add_argument(option, dest=dest, type=_float, default=None, metavar="X", help=f"{what}; with --year-to-year")
    en.set_defaults(func=cmd_ensemble, seed=None)

    ca = sub.add_parser("cache", help="the disk cache of derived tables: its size and entries, or clear it")
    ca.add_argument(
        "action",
        choices=["info", "clear"],
        help="info: folder, size, limit, entries per kind; clear: remove every entry",
    )
    ca.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ca.set_defaults(func=cmd_cache)

    v = sub.add_parser("weather-validate", help="compare generated years with real hourly files (EPW)")
    v.add_argument(
        "--dir", type=_path, default="../shared/weather", help="folder of .epw files (default ../shared/weather)"
    )
    v.add_argument(
        "--seeds",
        type=_int_in(1, MAX_SEEDS, quantity=True),
        default=5,
        help="number of generated years per site (default 5)",
    )
    v.add_argument(
        "--default-variability",
        action="store_true",
        help="ignore the sites' own [variability] tables (as for a site without an hourly record)",
    )
    v.add_argument(
        "--pue", action="store_true", help="also compare annual PUE of every design on real and generated weather"
    )
    v.add_argument(
        "--design",
        action="store_true",
        help="also compare ASHRAE-style design conditions (the real files' bad records are always listed)",
    )
    v.add_argument("--markdown", action="store_true", help="print a Markdown table")
    v.set_defaults(func=cmd_weather_validate)
    return p


class _PipeSafe:
    """stdout that stops writing, without an error, when the reader goes away (``twin … | head``)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        try:  # later flushes of the real stdout (at exit) go nowhere instead of failing
            fd = self._stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Warnings:
    """The CLI's one policy for warnings (a weather file's repairs, a site file's field beyond the
    generator's bound, a station far from the site, a ``--set`` that changes nothing, …): each
    message once per command, as one line ``twin: warning: …`` on stderr, however many years,
    blocks or sites raise it. :meth:`show` is the ``warnings.showwarning`` of a command.

    They are held until the command ends (:meth:`say`, by :func:`_main`) and dropped when it ends
    in an error, whose one line is then all of stderr (bad input is one line); ``twin dash`` says
    them before it serves and each later one as it comes (:meth:`say` with ``from_now``), each
    through :attr:`public` (:func:`dashboards.data.public_text`: an uploaded file by the name it
    was uploaded as, as the pages and downloads name it, never by its private path).
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.held: list[str] = []
        self.at_once = False
        self.public: Callable[[str], str] = str  # twin dash: an upload named as uploaded, not by its private path
        self._lock = threading.Lock()  # the dashboard's request threads and the engine's pool warn too

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = self.public(" ".join(str(message).split()))
        with self._lock:
            if text in self.seen:
                return
            self.seen.add(text)
            self.held.append(text)
            if self.at_once:
                self._say()

    def say(self, from_now: bool = False) -> None:
        """Print the held warnings; with ``from_now``, each later one as it comes."""
        with self._lock:
            self._say()
            self.at_once = self.at_once or from_now

    def _say(self) -> None:
        for text in self.held:
            print(f"twin: warning: {text}", file=sys.stderr)
        self.held.clear()

    def drop(self) -> None:
        with self._lock:
            self.held.clear()


_WARNINGS = _Warnings()
"""The running command's warnings (:func:`main` sets a new one for each command)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary files are removed


def main(argv: Sequence[str] | None = None) -> int:
    from twin.core.runtime import defer_dask_in_xarray, freeze_at_exit, keep_freed_memory, one_blas_thread

    freeze_at_exit()  # the interpreter's exit skips collecting what the command leaves alive
    one_blas_thread()  # before numpy's first import: OpenBLAS's thread pool is CPU the CLI never uses
    # numexpr (imported by pandas when linopy is) reads OMP_NUM_THREADS with int() when this is
    # unset: an OpenMP list such as "2,1" failed its import; the twin computes nothing with it
    os.environ.setdefault("NUMEXPR_NUM_THREADS", "1")
    keep_freed_memory()  # the CLI owns its process: let glibc reuse freed arrays (twin/core/runtime.py)
    defer_dask_in_xarray()  # and xarray import dask only if the command uses it
    stdout = sys.stdout
    sys.stdout = _PipeSafe(stdout)
    handlers = {}
    try:  # a file-size limit makes writes fail (EFBIG) instead of killing the process
        for sig, handler in ((signal.SIGXFSZ, signal.SIG_IGN), (signal.SIGTERM, _on_sigterm)):
            handlers[sig] = signal.signal(sig, handler)
    except (ValueError, AttributeError, OSError):  # not the main thread, or no such signal here
        pass
    try:
        with warnings.catch_warnings():  # filters and showwarning restored on return
            warnings.simplefilter("always", UserWarning)  # every one reaches the policy, which shows each once
            global _WARNINGS
            _WARNINGS = _Warnings()
            warnings.showwarning = _WARNINGS.show
            return _main(argv)
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)
        sys.stdout.flush()
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    import numpy as np

    from twin.core.environment import check_environment

    try:
        check_environment()  # a bad TWIN_* variable is said at once, whatever the command
        with np.errstate(all="ignore"):
            status = int(args.func(args))
        _WARNINGS.say()
        return status
    except _user_errors() as exc:
        return _error(str(exc))
    except OSError as exc:
        name = f"{exc.filename}: " if exc.filename else ""
        return _error(f"{name}{exc.strerror or exc}")
    except MemoryError as exc:
        if not _study_memory(exc):
            return _internal(exc)
        return _error("out of memory; use fewer cases, or twin.annual_kpis for a large sweep")
    except KeyboardInterrupt as exc:
        _WARNINGS.say()
        print(f"twin: interrupted{f'; {exc}' if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:  # a defect of the twin, not of the input
        return _internal(exc)


def _internal(exc: BaseException) -> int:
    """A defect of the twin, not of the input: one line, and how to see more (``TWIN_DEBUG=1``
    raises it); exit status 70."""
    if _debug():
        raise exc
    print(
        f"twin: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
        "(please report it; TWIN_DEBUG=1 shows the traceback)",
        file=sys.stderr,
    )
    return 70


_ARRAY_LIBRARIES = ("numpy", "xarray", "pandas", "numba", "scipy", "h5py", "h5netcdf", "netCDF4")
"""Libraries the twin's own code allocates and writes its arrays through (:func:`_study_memory`)."""


def _study_memory(exc: MemoryError) -> bool:
    """``exc`` ran out of memory for the study's arrays: the innermost frame outside the array
    libraries is the twin's own. Another library's MemoryError (Dask reading another protocol's
    bytes as a frame length asks for exabytes) is not the study's size: no advice to use fewer cases."""
    tb = exc.__traceback__
    module = ""
    while tb is not None:
        name = str(tb.tb_frame.f_globals.get("__name__", ""))
        if name.split(".")[0] not in _ARRAY_LIBRARIES:
            module = name
        tb = tb.tb_next
    return module.split(".")[0] == "twin"


def _debug() -> bool:
    """``TWIN_DEBUG`` is on (a bad value was refused before the command ran)."""
    from twin.core.environment import env

    try:
        return bool(env("TWIN_DEBUG"))
    except ValueError:
        return False


def _error(message: str) -> int:
    _WARNINGS.drop()  # the error is the one line (the warnings come when the command runs)
    text = " ".join(message.split())  # one line, whatever the message held
    print(f"twin: error: {text}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
