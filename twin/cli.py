"""The ``twin`` command line.

Every input error ends with one line on stderr (``twin: error: ...``) and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import sites
import weather
from twin.io import OutputError, OutputExists, check_output, write_csv, write_netcdf
from twin.params import ConfigError
from twin.runtime import ResourceError
from twin.weather_source import site_weather

USER_ERRORS: tuple[type[Exception], ...] = (
    sites.SiteError,
    weather.WeatherError,
    OutputError,
    ConfigError,
    ResourceError,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"twin: error: {message} (see 'twin --help')\n")


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str], markdown: bool = False) -> str:
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    fmt = "  ".join(f"{{:>{w}}}" if i else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*cells[0]), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r) for r in cells[1:]]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
def cmd_sites(args: argparse.Namespace) -> int:
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
    if args.file:
        options: dict[str, Any] = {}
        if args.utc_offset is not None:
            options["utc_offset_h"] = args.utc_offset
        if args.site:  # read for a site: its location completes the file and is checked against it
            site = sites.load(args.site[0], args.site_dir)
            ds, meta = site_weather(site, file=args.file, format=args.format, repair=not args.no_repair, **options)
        else:
            ds, meta = weather.read(args.file, args.format, repair=not args.no_repair, **options)
        return ds, meta, Path(args.file).name
    site = sites.load(args.site[0], args.site_dir)
    ds, meta = site_weather(site, seed=args.seed, year=args.year)
    return ds, meta, f"{site.key} (generated, seed {args.seed})"


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
                int(m),
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
    from weather.generator import variability_from_record
    from weather.validation import hour_counts

    if not args.file and not args.site:
        raise weather.WeatherError("give --site NAME (generated typical year) or --file PATH")
    targets = [None] if args.file else args.site
    if len(targets) > 1 and (args.output or args.csv):
        raise OutputError("-o/--csv write one file: give one --site (or run once per site)")
    outputs = _check_outputs(args, [("-o", args.output), ("--csv", args.csv)])
    for i, name in enumerate(targets):
        if name is not None:
            args.site = [name]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", weather.WeatherWarning)
            ds, meta, label = _load_weather(args)
        if args.derive:
            v = variability_from_record(ds, f"derived from {label} by weather.generator.variability_from_record")
            print("[variability]")
            for k, val in v.__dict__.items():
                if isinstance(val, tuple):
                    print(f"{k} = [{', '.join(f'{x:g}' for x in val)}]")
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
        del caught
        _write_outputs(ds, outputs, args.force)
    return 0


def cmd_weather_validate(args: argparse.Namespace) -> int:
    from weather.validation import THRESHOLDS, compare_ensemble

    folder = Path(args.dir)
    if args.seeds < 1:
        raise weather.WeatherError(f"--seeds {args.seeds}: at least 1 generated year is needed")
    if not folder.is_dir():
        raise weather.WeatherError(f"{folder}: no such directory of weather files")
    files = sorted(folder.glob("*.epw"))
    if not files:
        raise weather.WeatherError(f"{folder}: no .epw files")
    by_wmo = {}
    for key in sites.available(args.site_dir):
        s = sites.load(key, args.site_dir)
        if s.location.wmo:
            by_wmo[s.location.wmo] = s
    rows = []
    count_keys = [f"{k}>{x:g}" for k, xs in THRESHOLDS.items() for x in xs]
    for f in files:
        wmo = f.read_text(encoding="latin-1").split("\n", 1)[0].split(",")[5].strip()
        site = by_wmo.get(wmo)
        if site is None:
            print(f"skip {f.name}: no site with WMO {wmo}", file=sys.stderr)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", weather.WeatherWarning)
            real, _ = weather.read_epw(f)
            gens = [
                site_weather(site, seed=s, site_variability=not args.default_variability)[0] for s in range(args.seeds)
            ]
        res = compare_ensemble(gens, real)
        row = [site.key, f"{res['dt_month_max']:.2f}", f"{100 * res['ghi_rel']:+.1f} %"]
        for k in count_keys:
            gm, sd, r, ok = res["counts"][k]
            row.append(f"{gm:.0f}±{sd:.0f} / {r}" + ("" if ok else " ✗"))
        rows.append(row)
    header = ["site", "max ΔT month K", "ΔGHI year", *[f"h {k.replace('>', ' > ')} °C" for k in count_keys]]
    print(_table(rows, header, args.markdown))
    print(f"generated: mean ± SD over seeds 0…{args.seeds - 1} / real file; ✗ outside ±10 % (or ±100 h)")
    if args.pue:
        print()
        _pue_real_vs_generated(files, by_wmo, args)
    return 0


def _pue_real_vs_generated(files: list[Path], by_wmo: dict, args: argparse.Namespace) -> None:
    """Annual PUE of every design on the real file and on generated years of the same site."""
    from twin import Scenario
    from twin.config import WeatherSource
    from twin.cooling import DESIGNS
    from twin.simulate import annual_kpis

    designs = tuple(DESIGNS)
    rows = []
    for f in files:
        wmo = f.read_text(encoding="latin-1").split("\n", 1)[0].split(",")[5].strip()
        site = by_wmo.get(wmo)
        if site is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", weather.WeatherWarning)
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
    """``folder/stem.suffix``, or ``stem-2.suffix``, ``stem-3`` … — never an existing file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {folder} ({exc.strerror}); pass -o FILE or --out-dir DIR"
        ) from None
    p = folder / f"{stem}{suffix}"
    k = 2
    while p.exists():
        p = folder / f"{stem}-{k}{suffix}"
        k += 1
    return p


def _check_outputs(args: argparse.Namespace, named: list[tuple[str, str | None]]) -> list[tuple[Path, str]]:
    """Check every output before the run: writable, not existing unless --force, no two the same.

    Returns ``(path, kind)`` pairs, kind ``"nc"``, ``"csv"`` or ``"auto"`` (a free name in
    --out-dir, chosen again at the end if another run took it meanwhile).
    """
    out: list[tuple[Path, str]] = []
    seen: dict[str, str] = {}
    for option, value in named:
        if not value:
            continue
        p = Path(value)
        key = os.path.realpath(p)
        if key in seen:
            raise OutputError(f"{seen[key]} and {option} name the same file {p}; give each output its own name")
        seen[key] = option
        check_output(p, force=args.force)
        out.append((p, "csv" if option == "--csv" else "nc"))
    return out


def _write_outputs(ds: Any, outputs: list[tuple[Path, str]], force: bool) -> None:
    for path, kind in outputs:
        if kind == "auto":
            while True:  # another run may take the free name between the check and the write
                try:
                    write_netcdf(ds, path)
                    break
                except OutputExists:
                    path = _free_name(path.stem.rsplit("-", 1)[0], path.suffix, path.parent)
        elif kind == "csv":
            write_csv(ds, path, force=force)
        else:
            write_netcdf(ds, path, force=force)
        print(f"wrote {path}")


KPI_COLUMNS = [
    ("pue", "PUE", "{:.3f}"),
    ("overhead_share", "non-IT %", "{:.1%}"),
    ("ppue_cooling", "pPUE cool", "{:.3f}"),
    ("wue", "WUE L/kWh", "{:.2f}"),
    ("hours_out_of_envelope", "h out", "{:.0f}"),
    ("energy_cooling", "cooling MWh", "{:,.0f}"),
    ("energy_it", "IT MWh", "{:,.0f}"),
    ("energy_facility", "facility MWh", "{:,.0f}"),
    ("gb40879_grade", "GB40879", "{:.0f}"),
    ("policy_pue_limit", "limit", "{:.2f}"),
]


GREEN_COLUMNS = [
    ("green_share_annual", "green annual", "{:.1%}"),
    ("green_share_hourly", "green hourly", "{:.1%}"),
    ("islanded_hours", "islanded h", "{:.0f}"),
    ("green_days_24h", "24h-green d", "{:.0f}"),
]
MONEY_COLUMNS = [
    ("cost_per_mwh_it", "CNY/MWh IT", "{:,.0f}"),
    ("co2", "CO2 t", "{:,.0f}"),
]


def _kpi_rows(ds, k) -> tuple[list[list[str]], list[str]]:
    n = ds.sizes.get("case", 1) if "case" in ds.dims else 1
    columns = list(KPI_COLUMNS)
    if "energy_green" in k and float(k["energy_green"].sum()) > 0:
        columns += GREEN_COLUMNS
    if "co2" in k:
        columns += MONEY_COLUMNS
    swept = [c for c in ds.coords if c not in ("time", "case", "site", "design")]
    rows = []
    for i in range(n):
        sel = {"case": i} if "case" in ds.dims else {}
        kk = k.isel(sel) if sel else k
        row = [
            str(ds["site"].values if not sel else ds["site"].values[i]),
            str(ds["design"].values if not sel else ds["design"].values[i]),
        ]
        row += [f"{(ds[c].values if not sel else ds[c].values[i])}" for c in swept]
        for var, _, fmt in columns:
            v = float(kk[var])
            row.append("-" if np.isnan(v) else fmt.format(v))
        rows.append(row)
    return rows, ["site", "design", *swept, *[h for _, h, _ in columns]]


def _planned_outputs(args: argparse.Namespace, stem: str) -> list[tuple[Path, str]]:
    """The run's output files, checked before it starts (see :func:`_check_outputs`)."""
    if args.output and args.no_output:
        raise OutputError("-o and --no-output contradict each other; give one")
    outputs = _check_outputs(args, [("-o", args.output), ("--csv", args.csv), ("--save", getattr(args, "save", None))])
    outputs = [o for o in outputs if o[0] != Path(getattr(args, "save", None) or "\0")]
    if not args.output and not args.no_output:
        auto = _free_name(stem, ".nc", Path(args.out_dir))
        check_output(auto)
        outputs.insert(0, (auto, "auto"))
    return outputs


def _run_and_report(scenario, args: argparse.Namespace, outputs: list[tuple[Path, str]]) -> int:
    from twin import kpis, simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", weather.WeatherWarning)
        ds = simulate(scenario)
    k = kpis(ds)
    rows, header = _kpi_rows(ds, k)
    print(_table(rows, header, args.markdown))
    print(
        "PUE is energy-weighted over the year; non-IT % = 1 − 1/PUE; GB40879 grade thresholds unverified; limit = site policy PUE"
    )
    _write_outputs(ds, outputs, args.force)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from twin.config import Scenario, WeatherSource, load_scenario

    if args.scenario:
        if args.site or args.cooling:
            raise ConfigError("give a scenario file or --site/--cooling, not both")
        sc = load_scenario(args.scenario)
        stem = Path(args.scenario).stem
        if args.weather or args.seed is not None or args.weather_format:  # the command line overrides the file's
            ws = WeatherSource(
                source=args.weather or sc.weather.source,
                seed=sc.weather.seed if args.seed is None else args.seed,
                year=sc.weather.year,
                format=args.weather_format or (sc.weather.format if not args.weather else "auto"),
            )
            sc = dataclasses.replace(sc, weather=ws)
    else:
        if not args.site or not args.cooling:
            raise ConfigError("give a scenario file, or both --site and --cooling")
        ws = WeatherSource(source=args.weather or "typical", seed=args.seed or 0, format=args.weather_format or "auto")
        sc = Scenario(sites=(args.site,), designs=(args.cooling,), name=f"{args.site}-{args.cooling}", weather=ws)
        stem = sc.name
    outputs = _planned_outputs(args, stem)
    if args.save:
        from twin.config import save_scenario

        save_scenario(sc, args.save, force=args.force)
        print(f"wrote {args.save}")
    return _run_and_report(sc, args, outputs)


def cmd_compare(args: argparse.Namespace) -> int:
    from twin.config import Scenario, WeatherSource

    sc = Scenario(
        sites=tuple(args.sites),
        designs=tuple(args.cooling),
        name="compare",
        weather=WeatherSource(seed=args.seed or 0),
    )
    return _run_and_report(sc, args, _planned_outputs(args, "compare"))


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="NetCDF file for the hourly Dataset (default: a new name in --out-dir)")
    p.add_argument("--out-dir", default="out", help="folder for the default output name (default ./out)")
    p.add_argument("--no-output", action="store_true", help="print the table only")
    p.add_argument("--csv", help="also write the hourly data to this CSV file")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument(
        "--seed",
        type=_int_in(0, 2**31 - 1),
        default=None,
        help="seed of the generated weather year (default 0, or the scenario's)",
    )


def _number_in(kind: type, lo: float, hi: float) -> Any:
    """An argparse type: a number of ``kind`` (int or float) within lo … hi."""
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> Any:
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{text} is outside {lo} … {hi}")
        return v

    return parse


def _int_in(lo: int, hi: int) -> Any:
    return _number_in(int, lo, hi)


def _float_in(lo: float, hi: float) -> Any:
    return _number_in(float, lo, hi)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="twin", description="Data-centre energy, PUE and green-power digital twin.")
    p.add_argument("--version", action="version", version="twin 0.1.0")
    p.add_argument(
        "--site-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="directory of extra site TOML files (repeatable; also $TWIN_SITE_PATH)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("sites", help="list the site library")
    s.add_argument("--markdown", action="store_true", help="print a Markdown table")
    s.set_defaults(func=cmd_sites)

    w = sub.add_parser("weather", help="generate a typical year for a site, or read a weather file; print a summary")
    w.add_argument("--site", action="append", help="site key or name (repeatable)")
    w.add_argument("--file", help="weather file to read instead (.epw, TMY3 .csv, PVGIS .csv/.json, ERA5 .nc)")
    w.add_argument("--format", choices=list(weather.FORMATS), help="format of --file (default: detected)")
    w.add_argument(
        "--utc-offset",
        type=_float_in(-12.0, 14.0),
        help="UTC offset for PVGIS / NetCDF / CSV files, or to replace a file's, h",
    )
    w.add_argument("--no-repair", action="store_true", help="show the file as it is (no repairs: weather.REPAIRS)")
    w.add_argument("--seed", type=_int_in(0, 2**31 - 1), default=0, help="seed of the generated year (default 0)")
    w.add_argument("--year", type=_int_in(1900, 2100), default=2021, help="calendar year of the generated year")
    w.add_argument("-o", "--output", help="write the hourly Dataset to this NetCDF file")
    w.add_argument("--csv", help="write the hourly data to this CSV file")
    w.add_argument("--force", action="store_true", help="replace existing output files")
    w.add_argument(
        "--derive", action="store_true", help="print the [variability] table of a site file derived from the weather"
    )
    w.add_argument("--markdown", action="store_true", help="print Markdown tables")
    w.set_defaults(func=cmd_weather)

    from twin.cooling import DESIGNS

    r = sub.add_parser("run", help="simulate a scenario (TOML file, or --site and --cooling) and print its KPIs")
    r.add_argument("scenario", nargs="?", help="scenario TOML file")
    r.add_argument("--site", help="site key or name")
    r.add_argument("--cooling", choices=list(DESIGNS), help="cooling design")
    r.add_argument("--weather", help="weather file instead of the generated typical year (also over a scenario's)")
    r.add_argument("--weather-format", choices=list(weather.FORMATS), help="format of --weather (default: detected)")
    r.add_argument("--save", help="also save the scenario as TOML here")
    _output_args(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="sites × cooling designs in one vectorised run; KPI table")
    c.add_argument(
        "--sites", nargs="+", default=["karamay", "qingyang", "guian", "yinchuan", "us_dulles"], help="site keys"
    )
    c.add_argument("--cooling", nargs="+", default=list(DESIGNS), choices=list(DESIGNS), help="cooling designs")
    _output_args(c)
    c.set_defaults(func=cmd_compare)

    v = sub.add_parser("weather-validate", help="compare generated years with real hourly files (EPW)")
    v.add_argument("--dir", default="../shared/weather", help="folder of .epw files (default ../shared/weather)")
    v.add_argument("--seeds", type=_int_in(1, 1000), default=5, help="number of generated years per site (default 5)")
    v.add_argument(
        "--default-variability",
        action="store_true",
        help="ignore the sites' own [variability] tables (as for a site without an hourly record)",
    )
    v.add_argument(
        "--pue", action="store_true", help="also compare annual PUE of every design on real and generated weather"
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


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"twin: warning: {message}", file=sys.stderr)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary files are removed


def main(argv: Sequence[str] | None = None) -> int:
    from twin.runtime import keep_freed_memory

    keep_freed_memory()  # the CLI owns its process: let glibc reuse freed arrays (twin/runtime.py)
    stdout, showwarning = sys.stdout, warnings.showwarning
    sys.stdout = _PipeSafe(stdout)
    warnings.showwarning = _show_warning
    handlers = {}
    try:  # a file-size limit makes writes fail (EFBIG) instead of killing the process
        for sig, handler in ((signal.SIGXFSZ, signal.SIG_IGN), (signal.SIGTERM, _on_sigterm)):
            handlers[sig] = signal.signal(sig, handler)
    except (ValueError, AttributeError, OSError):  # not the main thread, or no such signal here
        pass
    try:
        return _main(argv)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        sys.stdout.flush()
        sys.stdout, warnings.showwarning = stdout, showwarning


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        with np.errstate(all="ignore"):
            return int(args.func(args))
    except USER_ERRORS as exc:
        return _error(str(exc))
    except OSError as exc:
        name = f"{exc.filename}: " if exc.filename else ""
        return _error(f"{name}{exc.strerror or exc}")
    except MemoryError:
        return _error("out of memory; use fewer cases, or twin.annual_kpis for a large sweep")
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a defect of the twin, not of the input: one line, and how to see more
        if os.environ.get("TWIN_DEBUG"):
            raise
        print(
            f"twin: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            "(please report it; TWIN_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 70


def _error(message: str) -> int:
    text = " ".join(message.split())  # one line, whatever the message held
    print(f"twin: error: {text}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
