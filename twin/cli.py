"""The ``twin`` command line.

Every input error ends with one line on stderr (``twin: error: ...``) and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import sites
import weather
from twin.io import OutputError, write_csv, write_netcdf
from twin.weather_source import site_weather

USER_ERRORS: tuple[type[Exception], ...] = (sites.SiteError, weather.WeatherError, OutputError)


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
                f"{s.tariff.price_cny_per_kwh:.3f}" + ("*" if "assumption" in s.tariff.source else ""),
                f"{s.grid.co2_kg_per_kwh:.3f}",
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
    print("* tariff is an assumption (no source gives it); override it in a site file")
    return 0


def _load_weather(args: argparse.Namespace) -> tuple[Any, dict[str, Any], str]:
    if args.file:
        kwargs: dict[str, Any] = {}
        if args.utc_offset is not None:
            kwargs["utc_offset_h"] = args.utc_offset
        fmt = args.format or Path(args.file).suffix.lower().lstrip(".")
        readers = {
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
    return 0


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

    v = sub.add_parser("weather-validate", help="compare generated years with real hourly files (EPW)")
    v.add_argument("--dir", default="../shared/weather", help="folder of .epw files (default ../shared/weather)")
    v.add_argument("--seeds", type=int, default=5, help="number of generated years per site (default 5)")
    v.add_argument(
        "--default-variability",
        action="store_true",
        help="ignore the sites' own [variability] tables (as for a site without an hourly record)",
    )
    v.add_argument("--markdown", action="store_true", help="print a Markdown table")
    v.set_defaults(func=cmd_weather_validate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
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
