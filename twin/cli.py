"""The ``twin`` command line.

Every input error ends with one line on stderr (``twin: error: ...``) and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import sites
import weather
from twin import __version__
from twin.io import OutputError, write_csv, write_netcdf
from twin.params import ConfigError
from twin.variables import format_value, label
from twin.weather_source import site_weather
from twin.wind import LOW_CAPACITY_FACTOR

USER_ERRORS: tuple[type[Exception], ...] = (sites.SiteError, weather.WeatherError, OutputError, ConfigError)


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
        kwargs: dict[str, Any] = {}
        if args.utc_offset is not None:
            kwargs["utc_offset_h"] = args.utc_offset
        fmt = args.format or Path(args.file).suffix.lower().lstrip(".")
        readers: dict[str, Callable[..., tuple[Any, dict[str, Any]]]] = {
            "epw": weather.read_epw,
            "tmy3": weather.read_tmy3,
            "pvgis": weather.read_pvgis_tmy,
            "json": weather.read_pvgis_tmy,
            "nc": weather.read_netcdf,
            "netcdf": weather.read_netcdf,
        }
        if fmt not in readers:
            raise weather.WeatherError(
                f"{args.file}: format {fmt!r} unknown; pass --format with one of epw, tmy3, pvgis, netcdf "
                "(CSV files with a column mapping are read from Python: weather.read_csv)"
            )
        ds, meta = readers[fmt](args.file, **kwargs)
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
    from weather.generator import variability_from_record
    from weather.validation import hour_counts

    if not args.file and not args.site:
        raise weather.WeatherError("give --site NAME (generated typical year) or --file PATH")
    targets = [None] if args.file else args.site
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
        if args.output:
            write_netcdf(ds, args.output, force=args.force)
            print(f"wrote {args.output}")
        if args.csv:
            write_csv(ds, args.csv, force=args.force)
            print(f"wrote {args.csv}")
    return 0


def cmd_weather_validate(args: argparse.Namespace) -> int:
    from weather.validation import THRESHOLDS, compare_ensemble

    folder = Path(args.dir)
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
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{stem}{suffix}"
    k = 2
    while p.exists():
        p = folder / f"{stem}-{k}{suffix}"
        k += 1
    return p


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
"""KPIs of the run/compare table; headers and formats from :mod:`twin.variables`."""
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
MONEY_COLUMNS = ("cost_per_mwh_it", "co2")


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
        row += [format_value(var, kk[var]) for var in columns]
        rows.append(row)
    return rows, ["site", "design", *swept, *[label(var) for var in columns]]


def _run_and_report(scenario, args: argparse.Namespace, stem: str) -> int:
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
    if "energy_green" in k and float(k["energy_green"].sum()) > 0:
        print(
            "green hourly = green energy used in the hour it is made (incl. storage); green annual adds only "
            "contracted export; 24/7 CFE counts grid imports at the province's clean share; curtailed is never green"
        )
        cf = np.atleast_1d(k["wind_capacity_factor"].values)
        low = cf[cf < LOW_CAPACITY_FACTOR]
        if low.size:
            print(
                f"twin: warning: wind-farm capacity factor {float(low.min()):.1%} is below "
                f"{LOW_CAPACITY_FACTOR:.0%}: check the hub-height wind resource ([wind] of the site file, "
                "green.wind.hub_mean_speed_ms) before rejecting wind",
                file=sys.stderr,
            )
    if args.output or not args.no_output:
        out = Path(args.output) if args.output else _free_name(stem, ".nc", Path(args.out_dir))
        write_netcdf(ds, out, force=args.force)
        print(f"wrote {out}")
        if args.csv:
            csv = Path(args.csv)
            write_csv(ds, csv, force=args.force)
            print(f"wrote {csv}")
    return 0


def _scenario_from_args(sc: Any, args: argparse.Namespace) -> Any:
    """A scenario with the command line's site folders (``--site-dir``) and ``--set`` overrides."""
    if args.site_dir:
        here = tuple(str(Path(d).resolve()) for d in args.site_dir)  # a saved scenario finds them anywhere
        sc = dataclasses.replace(sc, site_dirs=(*here, *sc.site_dirs))
    return sc.with_overrides(args.set)


def cmd_run(args: argparse.Namespace) -> int:
    from twin.config import Scenario, WeatherSource, load_scenario

    if args.scenario:
        if args.site or args.cooling or args.preset:
            raise ConfigError("give a scenario file or --site/--cooling/--preset, not both")
        sc = load_scenario(args.scenario)
        stem = Path(args.scenario).stem
        if args.weather or args.seed is not None:  # the command line overrides the file's weather
            ws = WeatherSource(
                source=args.weather or sc.weather.source,
                seed=sc.weather.seed if args.seed is None else args.seed,
                year=sc.weather.year,
            )
            sc = dataclasses.replace(sc, weather=ws)
    else:
        if not args.site or not args.cooling:
            raise ConfigError("give a scenario file, or both --site and --cooling")
        ws = WeatherSource(source=args.weather or "typical", seed=args.seed or 0)
        name = f"{args.site}-{args.cooling}" + (f"-{args.preset}" if args.preset else "")
        sc = Scenario.from_dict({"sites": [args.site], "designs": [args.cooling], "name": name, "preset": args.preset})
        sc = dataclasses.replace(sc, weather=ws)
        stem = sc.name
    sc = _scenario_from_args(sc, args)
    if args.save:
        from twin.config import save_scenario

        save_scenario(sc, args.save, force=args.force)
        print(f"wrote {args.save}")
    return _run_and_report(sc, args, stem)


def cmd_compare(args: argparse.Namespace) -> int:
    from twin.config import Scenario, WeatherSource

    sc = Scenario.from_dict(
        {"sites": list(args.sites), "designs": list(args.cooling), "name": "compare", "preset": args.preset}
    )
    sc = dataclasses.replace(sc, weather=WeatherSource(seed=args.seed or 0))
    return _run_and_report(_scenario_from_args(sc, args), args, "compare")


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="NetCDF file for the hourly Dataset (default: a new name in --out-dir)")
    p.add_argument("--out-dir", default="out", help="folder for the default output name (default ./out)")
    p.add_argument("--no-output", action="store_true", help="print the table only")
    p.add_argument("--csv", help="also write the hourly data to this CSV file")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument(
        "--seed", type=int, default=None, help="seed of the generated weather year (default 0, or the scenario's)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.NAME=VALUE",
        help="override one parameter, e.g. facility.it_capacity_kw=50000 or green.pv.capacity_mw=150 "
        "(repeatable; VALUE is a TOML literal; validated as in a scenario file)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="twin", description="Data-centre energy, PUE and green-power digital twin.")
    p.add_argument("--version", action="version", version=f"twin {__version__}")
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
    w.add_argument("--format", choices=["epw", "tmy3", "pvgis", "netcdf"], help="format of --file")
    w.add_argument("--utc-offset", type=float, help="site UTC offset for PVGIS / NetCDF files, h")
    w.add_argument("--seed", type=int, default=0, help="seed of the generated year (default 0)")
    w.add_argument("--year", type=int, default=2021, help="calendar year of the generated year")
    w.add_argument("-o", "--output", help="write the hourly Dataset to this NetCDF file")
    w.add_argument("--csv", help="write the hourly data to this CSV file")
    w.add_argument("--force", action="store_true", help="replace existing output files")
    w.add_argument(
        "--derive", action="store_true", help="print the [variability] table of a site file derived from the weather"
    )
    w.add_argument("--markdown", action="store_true", help="print Markdown tables")
    w.set_defaults(func=cmd_weather)

    from twin.cooling import DESIGNS
    from twin.presets import BASELINES

    r = sub.add_parser("run", help="simulate a scenario (TOML file, or --site and --cooling) and print its KPIs")
    r.add_argument("scenario", nargs="?", help="scenario TOML file")
    r.add_argument("--site", help="site key or name")
    r.add_argument("--cooling", choices=list(DESIGNS), help="cooling design")
    r.add_argument("--weather", help="weather file instead of the generated typical year (also over a scenario's)")
    r.add_argument("--preset", choices=list(BASELINES), help="facility baseline (with --site/--cooling)")
    r.add_argument("--save", help="also save the scenario as TOML here")
    _output_args(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="sites × cooling designs in one vectorised run; KPI table")
    c.add_argument(
        "--sites", nargs="+", default=["karamay", "qingyang", "guian", "yinchuan", "us_dulles"], help="site keys"
    )
    c.add_argument("--cooling", nargs="+", default=list(DESIGNS), choices=list(DESIGNS), help="cooling designs")
    c.add_argument("--preset", choices=list(BASELINES), help="facility baseline: legacy or best_practice (default)")
    _output_args(c)
    c.set_defaults(func=cmd_compare)

    v = sub.add_parser("weather-validate", help="compare generated years with real hourly files (EPW)")
    v.add_argument("--dir", default="../shared/weather", help="folder of .epw files (default ../shared/weather)")
    v.add_argument("--seeds", type=int, default=5, help="number of generated years per site (default 5)")
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


def main(argv: Sequence[str] | None = None) -> int:
    from twin.runtime import keep_freed_memory

    keep_freed_memory()  # the CLI owns its process: let glibc reuse freed arrays (twin/runtime.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        with np.errstate(all="ignore"):
            return int(args.func(args))
    except USER_ERRORS as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
