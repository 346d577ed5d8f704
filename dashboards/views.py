"""What the pages' callbacks compute, as plain functions (unit-tested without a server).

Each function takes plain data (a scenario mapping, a case index, the language, control
values) and returns Dash components, figures or file contents. User errors (a bad TOML
value, a malformed weather file) come back as a message in the page, never as an exception.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import xarray as xr
from dash import html

import sites
import weather
from dashboards import data, figures
from dashboards.catalog import (
    KPI_BY_NAME,
    KPI_CARDS,
    LATENCY,
    RATING_STEPS,
    ComputeAssumptions,
    DispatchWindow,
    GreenRatings,
    Kpi,
    error_text,
    metric_label,
    t,
    unit_text,
)
from twin import Scenario, save_scenario
from twin.core.fmt import Explained, number, read_float, span
from twin.core.io import write_csv, write_netcdf
from twin.core.params import ConfigError, Params
from twin.core.runtime import ResourceError
from twin.engine.config import SECTIONS, scenario_from_text
from twin.money.economics import EconomicsParams, idle_storage
from twin.supply.storage import StorageParams

__all__ = [
    "USER_ERRORS",
    "amount",
    "apply_toml",
    "case_ratings",
    "checked",
    "comparison_rows",
    "compute_cost",
    "csv_bytes",
    "dispatch_start",
    "equal_shares_note",
    "idle_storage_note",
    "idle_storage_text",
    "kpi_cards",
    "kpi_unit",
    "labelled",
    "message",
    "netcdf_bytes",
    "no_green_text",
    "no_storage_text",
    "non_default_params",
    "policy_badge",
    "rating_box",
    "refused_box",
    "reported_rows",
    "same_number",
    "scenario_toml",
    "start_day_in_year",
    "swept_ratings",
    "undo_of",
    "undo_step",
    "with_capacities",
]

USER_ERRORS = (ConfigError, sites.SiteError, weather.WeatherError, ResourceError)
"""What the engine raises for a user's input (the errors ``twin run`` prints in one line)."""


def value(k: xr.Dataset, name: str) -> float:
    """A KPI of one case as a float (NaN when the scenario has no such KPI)."""
    return float(k[name]) if name in k else float("nan")


def kpi_unit(kpi: Kpi, k: xr.Dataset, lang: str = "en") -> str:
    """The unit a KPI of ``k`` is shown in, in ``lang`` (:meth:`Kpi.shown_unit`, else the KPI's
    units attribute); "" for a number without one (PUE)."""
    if kpi.unit is not None:
        return kpi.shown_unit(lang) or ""
    u = k[kpi.name].attrs.get("units", "") if kpi.name in k else ""
    return "" if u == "1" else u


def kpi_cards(
    k: xr.Dataset, lang: str = "en", names: Sequence[str] | None = None, headline: int = 1, prefix: str = "kpi-"
) -> list[html.Div]:
    """A page's KPI cards: the Overview's (:data:`KPI_CARDS`), or the KPIs ``names`` (the Green
    page's), the ``headline``-th card set as the headline and each value's id ``prefix`` + its
    name. The annual-matching card, when it shows the hourly share's figure, says why the two
    are equal (:func:`equal_shares_note`)."""
    kpis = KPI_CARDS if names is None else tuple(KPI_BY_NAME[n] for n in names)
    out = []
    for i, kpi in enumerate(kpis):
        shown = kpi.format(value(k, kpi.name))
        why = equal_shares_note(k, lang) if kpi.name == "green_share_annual" else ""
        out.append(
            html.Div(
                [
                    html.Div(kpi.label(lang), className="kpi-label"),
                    html.Div(
                        [
                            html.Span(shown, className="kpi-value", id=f"{prefix}{kpi.name}"),
                            html.Span(" " + kpi_unit(kpi, k, lang), className="kpi-unit"),
                        ]
                    ),
                    *([html.Div(why, className="small", id=f"{prefix}shares-equal")] if why else []),
                ],
                className="kpi-card headline" if i == headline else "kpi-card",
                title=why or None,
            )
        )
    return out


def equal_shares_note(k: xr.Dataset, lang: str = "en") -> str:
    """Why the annual-matching green share shows the physical hourly one's figure, when it does
    (as the cards show them): annual matching adds only green energy exported under an export
    contract (``economics.export_contract``), so without one, or with no surplus, the two are
    equal. "" when they differ."""
    hourly, annual = (KPI_BY_NAME[n].format(value(k, n)) for n in ("green_share_hourly", "green_share_annual"))
    return t("shares_equal", lang) if hourly == annual else ""


def policy_badge(k: xr.Dataset, site_key: str, lang: str = "en") -> html.Div:
    """Site PUE limit, whether the case meets it, and its GB 40879 grade."""
    lim = value(k, "policy_pue_limit")
    grade = value(k, "gb40879_grade")
    if lim != lim:
        status, cls = t("no_limit", lang), "badge neutral"
    elif value(k, "pue") <= lim:
        status, cls = f"{t('meets', lang)} ({t('limit', lang)} {number(lim)})", "badge ok"
    else:
        status, cls = f"{t('fails', lang)} ({t('limit', lang)} {number(lim)})", "badge bad"
    site = sites.load(site_key)
    return html.Div(
        [
            html.Span(f"{t('policy', lang)}: ", className="badge-title"),
            html.Span(status, className=cls),
            html.Span(f"{t('grade', lang)}: {KPI_BY_NAME['gb40879_grade'].format(grade)}", className="badge neutral"),
            html.Div(site.policy.basis + (t("basis_text", lang) if lang == "zh" else ""), className="small"),
        ],
        className="policy",
    )


REPORTED_KPI = {"pue": "pue", "green_share": "green_share_annual"}
"""Reported metric of a site file → the modelled KPI shown beside it."""

REPORTED_RATING = {"storage_power": ("power_mw", "MW"), "storage_energy": ("energy_mwh", "MWh")}
"""Reported metric of a site file → the case's storage rating shown beside it (field, units)."""


def reported_rows(
    k: xr.Dataset,
    site_key: str,
    case: Any = None,
    co2_avoided: Callable[[], float] | None = None,
    lang: str = "en",
) -> list[dict[str, str]]:
    """Every figure the sources report for the site, beside the modelled value where the twin
    computes one: a KPI of ``k``, the storage rating of ``case`` (a :class:`twin.Case`: the
    storage the case models, 0 MW when it has none), or the CO2 the case's store avoids
    (``co2_avoided``, called only for a reported ``co2_avoided``:
    :func:`dashboards.data.storage_co2_avoided`). "–" where the twin has no counterpart
    (``households_served``). Numbers by the project's formatter (``30,000 t/yr``), a KPI as its
    card shows it (:data:`dashboards.catalog.KPI_BY_NAME`); the metric by its id (``metric``) and
    by its name in ``lang`` (``label``: :func:`dashboards.catalog.metric_label`)."""
    site = sites.load(site_key)
    rows = []
    for r in site.reported:
        kpi = KPI_BY_NAME[REPORTED_KPI[r.metric]] if r.metric in REPORTED_KPI else None
        v = value(k, kpi.name) if kpi else float("nan")
        modelled = "–" if kpi is None or v != v else f"{kpi.format(v)} {kpi.shown_unit(lang) or ''}".strip()
        rating = REPORTED_RATING.get(r.metric)
        if rating is not None and case is not None:
            modelled = f"{number(getattr(case.storage, rating[0]), quantity=True)} {rating[1]}"
        if r.metric == "co2_avoided" and co2_avoided is not None:
            t_yr = co2_avoided()
            modelled = "–" if t_yr != t_yr else f"{number(round(t_yr), quantity=True)} {unit_text('t/yr', lang)}"
        rows.append(
            {
                "metric": r.metric,
                "label": metric_label(r.metric, lang),
                "reported": f"{number(r.value, quantity=True)} {'' if r.unit == '-' else unit_text(r.unit, lang)}".strip(),
                "modelled": modelled,
                "what": r.what,
                "source": r.source,
            }
        )
    return rows


def latency_text(site_key: str, lang: str = "en") -> str:
    """Latencies the sources give from a site to the eastern demand centres ('' if none)."""
    parts = [f"{zh if lang == 'zh' else en} {number(ms)} ms ({src})" for s, en, zh, ms, src in LATENCY if s == site_key]
    return "; ".join(parts)


def comparison_rows(cmp: xr.Dataset, rank_by: str = "pue", lang: str = "en") -> list[dict[str, Any]]:
    """One row per site of :func:`dashboards.data.comparison`, ranked (best first)."""
    rows = []
    for i, key in enumerate(np.asarray(cmp["site"].values)):
        s = sites.load(str(key))
        row = {
            "key": s.key,
            "name": f"{s.name} {s.name_zh}",
            "lat": s.location.latitude_deg,
            "lon": s.location.longitude_deg,
            "latency": latency_text(s.key, lang),
        }
        for name in ("pue", "cost_per_compute", "cost_per_mwh_it", "co2", "green_share_hourly", "green_share_annual"):
            row[name] = float(cmp[name].values[i]) if name in cmp else float("nan")
        rows.append(row)
    higher_better = rank_by in ("green_share_hourly", "green_share_annual")
    rows.sort(key=lambda r: -float(r[rank_by]) if higher_better else float(r[rank_by]))  # type: ignore[arg-type]
    return rows


def compute_cost(k: xr.Dataset, pflop_h_per_mwh: float, gflop_per_token: float) -> tuple[float, float]:
    """Electricity cost of compute: CNY per PFLOP-hour and CNY per million tokens.

    PFLOP-h = compute delivered (nominal-server MWh, performance factor applied) × the
    assumed PFLOP-h per nominal-server MWh; tokens = PFLOP-h × 3.6e18 FLOP / FLOP per token.
    Only the electricity (and green-plant annuity) cost of :func:`twin.kpis` is counted, not
    servers or buildings. Non-positive assumptions give NaN.
    """
    cost = value(k, "cost_total")
    pflop_h = value(k, "compute_delivered") * pflop_h_per_mwh
    if not (pflop_h_per_mwh > 0 and gflop_per_token > 0 and pflop_h > 0):
        return float("nan"), float("nan")
    per_pflop_h = cost / pflop_h
    tokens_per_pflop_h = 3.6e18 / (gflop_per_token * 1e9)
    return per_pflop_h, per_pflop_h / tokens_per_pflop_h * 1e6


def assumption_defaults() -> dict[str, float]:
    """The compute-cost assumptions' defaults."""
    return ComputeAssumptions().to_dict()


P = TypeVar("P", bound=Params)


def typed_number(text: Any) -> Any:
    """A number box's text as the value a parameter check takes: ``None`` for an empty box, an
    ``int`` or a ``float`` for a number (``1e400``: a :class:`weather.fmt.Overflow`, said as typed), any
    other text as it is (the check says it is not a number)."""
    if text is None or isinstance(text, bool | int | float):
        return text
    s = str(text).strip()
    if not s:
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        v = read_float(s)
    except ValueError:
        return s
    return v if math.isfinite(v) or s.lower().lstrip("+-") not in ("nan", "inf", "infinity") else s


def checked(cls: type[P], **values: Any) -> tuple[P | None, dict[str, str]]:
    """A page's inputs checked as the engine checks its parameters: (the parameters, {}) or
    (None, {field: message}), each field checked alone so that each input shows its own
    message (the field, the value, what is allowed).

    A value may be a number box's text (:func:`typed_number`); a number too large for a float
    (``1e400``) is named as typed by the parameter's own check."""
    errors: dict[str, str] = {}
    given = {name: typed_number(v) for name, v in values.items()}
    for name, v in given.items():
        try:
            cls(**{name: v})
        except ConfigError as exc:
            errors[name] = message(exc)
    return (None, errors) if errors else (cls(**given), {})


def start_day_in_year(err: Said, ds: xr.Dataset) -> Said:
    """A refusal of the Green page's start day (``dispatch_plot.start_day``, checked 1 … 366 alone:
    ``0``, ``abc``, ``1e400``) with what is allowed said for the year of ``ds`` (1 … 365 in 2021),
    the range :func:`dispatch_start` refuses a day beyond that year with: one range for one box.
    A refusal that says no range (an empty box) is returned as it is."""
    exc = err.error
    if not isinstance(exc, Explained) or not exc.parts.get("allowed"):
        return err
    allowed = span(1, ds.sizes["time"] // 24)
    return message(_reworded(exc, f"allowed {exc.parts['allowed']}", f"allowed {allowed}", allowed=allowed))


def dispatch_start(start_day: int, view: str, ds: xr.Dataset, lang: str = "en") -> html.Div | str:
    """The note on the Green page's start day (``dispatch_plot.start_day``, checked 1 … 366 alone)
    against the year of ``ds``, for the dispatch ``view`` (week, month, year).

    A note when a window from it would run past the year's end and
    :func:`dashboards.figures.window_start` moves it back to the year's last week or month; ""
    when it is shown as typed, and in the year view, which starts on 1 January. Raises
    :class:`ConfigError` for a day beyond the year's days (366 in 2021: allowed 1 … 365).
    """
    if view == "year":
        return ""
    n_days = ds.sizes["time"] // 24
    year = int(ds["time"].dt.year.values[0])
    field = f"{DispatchWindow.section}.start_day"
    if start_day > n_days:
        allowed = span(1, n_days)
        err = ConfigError(f"{field} = {start_day} is beyond the {n_days} days of {year}; allowed {allowed}")
        raise err.explained(
            "beyond_year", field=field, value=str(start_day), days=str(n_days), year=str(year), allowed=allowed
        )
    shown = figures.window_start(start_day, view, n_days)
    if shown == start_day:
        return ""
    said = t("start_moved", lang, span=t(view, lang), day=start_day, year=year, days=n_days, shown=shown)
    return html.Div(said, className="note")


def idle_storage_text(storage: StorageParams, economics: EconomicsParams, lang: str = "en") -> str:
    """Why the case's store is idle, when it has energy but no power (or power but no energy): it
    can neither charge nor discharge, so the engine keeps it idle. What it costs is said as the
    engine counts it (:func:`twin.money.economics.idle_storage`, as ``twin run`` warns of it);
    "" for a store that can work, or none."""
    said = idle_storage(storage.power_mw, storage.energy_mwh, economics)
    if not said:
        return ""
    key, fields = said[0]
    return t(key, lang, **fields)


def idle_storage_note(storage: StorageParams, economics: EconomicsParams, lang: str = "en") -> html.Div | str:
    """:func:`idle_storage_text` as the Green page's note ("" when there is nothing to say)."""
    said = idle_storage_text(storage, economics, lang)
    return html.Div(said, className="note", role="status") if said else ""


def no_storage_text(storage: StorageParams, economics: EconomicsParams, lang: str = "en") -> str:
    """What the Green page's storage chart says instead of drawing when the case's store has
    nothing to draw: it is idle (:func:`idle_storage_text`), or the case has none; "" for a store
    that can work."""
    if storage.power_mw <= 0 and storage.energy_mwh <= 0:
        return t("no_storage", lang)
    return idle_storage_text(storage, economics, lang)


def no_green_text(storage: StorageParams, economics: EconomicsParams, lang: str = "en") -> str:
    """What the Green page's charts say of a case in which no green power flows: its store is
    idle (:func:`twin.money.economics.idle_storage`, as ``twin run`` warns of it), or it has
    no green-power base at all."""
    said = dict(idle_storage(storage.power_mw, storage.energy_mwh, economics, green=False))
    if "no_green_idle_storage" in said:
        return t("no_green_idle_storage", lang, **said["no_green_idle_storage"])
    return t("no_green", lang)


def amount(v: float, decimals: int = 2) -> str:
    """A result as a page shows it, never wider than about 15 characters: grouped with
    ``decimals`` places from 10^-decimals up to a billion (:func:`weather.fmt.number`), else 3
    significant digits (``1.23e+12``); "–" when there is no value."""
    if not math.isfinite(v):
        return "–"
    if v == 0 or 10.0**-decimals <= abs(v) < 1e9:
        return number(v, quantity=True, places=decimals)
    return f"{v:.3g}"  # own number format: 3 significant digits beyond a billion (weather.fmt.number has none)


def scenario_toml(sc: Scenario, session: str) -> str:
    """A scenario as the TOML text :func:`twin.save_scenario` writes; a weather file uploaded in
    ``session`` by its label there, the name it was uploaded as (``upload:mine.epw``,
    :func:`dashboards.data.upload_label`), never its private path (:func:`apply_toml` reads the
    label back in that session)."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "scenario.toml"
        save_scenario(sc, p)
        text = p.read_text(encoding="utf-8")
    shown = data.upload_label(sc.weather.source, session)  # a private path is plain text: no TOML escapes in it
    return text if shown is None else text.replace(f'"{sc.weather.source}"', json.dumps(shown, ensure_ascii=False))


def apply_toml(text: str, session: str) -> tuple[dict[str, Any] | None, str]:
    """Parse, validate and run scenario TOML: (the scenario mapping, '') or (None, the error message).

    The checks are ``twin run``'s, in its order: the file's text and every value
    (:func:`twin.engine.config.scenario_from_text`), then the run itself
    (:func:`dashboards.data.check_runs`: every site resolved once, the weather of every site
    read and checked against it, every case through the engine). The message is the one
    ``twin run`` prints after ``twin: error:`` for the same file content (an uploaded file named
    as it was uploaded). A ``weather.source`` that is an upload's label (:func:`scenario_toml`:
    ``upload:mine.epw``) is the file ``session`` uploaded under it, or refused when this session
    uploaded none (another browser's label) or the server no longer keeps it
    (:func:`dashboards.data.labelled_upload`); any other source is a path.
    """
    try:
        sc = scenario_from_text(text or "", "scenario")
    except USER_ERRORS as exc:
        return None, message(exc if str(exc).startswith("scenario") else _within(exc, "scenario"))
    try:
        sc = _with_stored_upload(sc, session)
    except USER_ERRORS as exc:
        return None, message(_within(exc, "scenario"))
    try:
        data.check_runs(sc)
    except USER_ERRORS as exc:
        return None, message(exc)
    return sc.to_dict(), ""


def _with_stored_upload(sc: Scenario, session: object) -> Scenario:
    """``sc`` with its weather source, an upload as the editor labels it, read as the stored file
    :func:`dashboards.data.labelled_upload` names (raising its refusal); any other source as it is."""
    kept = data.labelled_upload(sc.weather.source, session)
    return sc if kept is None else dataclasses.replace(sc, weather=dataclasses.replace(sc.weather, source=kept))


RATING_KEYS = {
    "pv_mw": "green.pv.capacity_mw",
    "wind_mw": "green.wind.capacity_mw",
    "storage_mw": "green.storage.power_mw",
    "storage_mwh": "green.storage.energy_mwh",
}
"""Each Green-page rating (:class:`dashboards.catalog.GreenRatings`) → the scenario's field it sets."""


def swept_ratings(sc: Scenario) -> dict[str, Said]:
    """The Green-page ratings the scenario sweeps: {rating: the refusal naming its swept key and
    values}. A slider cannot set one value for every case of a swept field without dropping the
    sweep, so the page holds that slider and says why."""
    swept = dict(sc.sweep)
    out = {}
    for rating, key in RATING_KEYS.items():
        if key in swept:
            values = ", ".join(number(float(v), grouped=False) for v in swept[key])  # as the browser's copy says it
            out[rating] = message(
                ConfigError(
                    f"{key} is swept by the scenario (sweep.{key} = {values}); change it in the Scenario editor"
                ).explained("swept_rating", field=key, key=key, values=values)
            )
    return out


def with_capacities(d: dict[str, Any], case: int, pv_mw, wind_mw, st_mw, st_mwh) -> tuple[dict[str, Any], str]:
    """The applied scenario with new PV, wind and storage ratings for every case: its sites,
    designs, sweep and other fields kept (a rating is a scenario-wide field, as the editor's
    ``[green.pv] capacity_mw``).

    A rating the scenario sweeps keeps its sweep: given as case ``case`` has it, it is left as
    it is; another value is refused with :func:`swept_ratings`' message. Returns (mapping, '')
    or (the unchanged mapping, the error message).
    """
    given = dict(zip(RATING_KEYS, (pv_mw, wind_mw, st_mw, st_mwh), strict=True))
    try:
        sc = data.from_dict(d)
        cases = sc.cases()
        c = cases[case if isinstance(case, int) and 0 <= case < len(cases) else 0]
        now = dict(zip(RATING_KEYS, case_ratings(c), strict=True))
        refused = swept_ratings(sc)
        for rating, said in refused.items():
            if given[rating] is not None and float(given[rating]) != now[rating]:
                return d, said
        new = {r: float(v or 0) for r, v in given.items() if r not in refused}
        sc = dataclasses.replace(
            sc,
            pv=dataclasses.replace(sc.pv, capacity_mw=new.get("pv_mw", sc.pv.capacity_mw)),
            wind=dataclasses.replace(sc.wind, capacity_mw=new.get("wind_mw", sc.wind.capacity_mw)),
            storage=dataclasses.replace(
                sc.storage,
                power_mw=new.get("storage_mw", sc.storage.power_mw),
                energy_mwh=new.get("storage_mwh", sc.storage.energy_mwh),
            ),
        )
    except USER_ERRORS as exc:
        return d, message(exc)
    return sc.to_dict(), ""


def same_number(text: Any, value: Any) -> bool:
    """Whether a box's ``text`` reads as ``value`` (a slider's value the page wrote into its box,
    which is not refused even beyond the slider's range: it came from the applied scenario)."""
    try:
        return value is not None and read_float(str(text).strip()) == float(value)
    except (TypeError, ValueError):
        return False


def undo_step(kept: Any, d: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The ``green-undo`` store after a slider set scenario ``new`` over ``d``: the scenario before
    the first of a run of slider moves (``before``) and the key of the one they made (``after``);
    a run starts again when the scenario changed otherwise since (an Apply, an upload)."""
    before = kept["before"] if isinstance(kept, dict) and kept.get("after") == data.key_of(d) else d
    return {"before": before, "after": data.key_of(new)}


def undo_of(kept: Any, d: Any) -> dict[str, Any] | None:
    """The scenario to go back to from ``d`` (:func:`undo_step`), or None when ``d`` is not the
    one the sliders made (nothing to undo, or the scenario changed since)."""
    if not isinstance(kept, dict) or not isinstance(d, dict) or kept.get("after") != data.key_of(d):
        return None
    before = kept.get("before")
    return before if isinstance(before, dict) else None


def case_ratings(c: Any) -> tuple[float, float, float, float]:
    """A case's (PV MW, wind MW, storage MW, storage MWh), in :data:`RATING_KEYS`' order."""
    return c.pv.capacity_mw, c.wind.capacity_mw, c.storage.power_mw, c.storage.energy_mwh


def rating_box(rating: str, text: Any) -> tuple[float | None, str]:
    """A Green-page rating box's text as its slider's value: (the value, '') or (None, the
    message naming the field, the value as typed and what is allowed: the slider's range and
    step, :class:`dashboards.catalog.GreenRatings`). Never another value than the one typed."""
    ratings, errors = checked(GreenRatings, **{rating: text})
    if ratings is None:
        return None, errors[rating]
    v = float(getattr(ratings, rating))
    step = RATING_STEPS[rating]
    if not math.isclose(v / step, round(v / step), rel_tol=0.0, abs_tol=1e-9):
        info = next(i for i in GreenRatings.info() if i.name == rating)
        name, typed, units = f"{GreenRatings.section}.{rating}", str(text).strip(), info.display_units
        allowed, each = span(info.lo, info.hi, units), f"{step} {units}"
        return None, message(
            ConfigError(
                f"{name} = {typed} is not a step of its slider; allowed {allowed} in steps of {each}"
            ).explained("off_step", field=name, value=typed, allowed=allowed, step=each)
        )
    return v, ""


def _value_text(v: Any) -> str:
    """A parameter value as the scenario's TOML writes it (50000, not 50000.0; true, not True)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return number(v, grouped=False) if isinstance(v, float) else f"{v}"


YEAR_TO_YEAR_NOTE = "This page runs the year of the normals as they are: twin ensemble draws the anomalies"
"""Said beside ``ensemble.year_to_year = true`` among a scenario's parameters."""


def non_default_params(sc: Scenario, lang: str = "en") -> list[tuple[str, str, str, str, str]]:
    """(field, value, default, units, source) of every parameter that differs from its default.

    A default of ``None`` is shown as its declaration says what it means (``inherit``: a site's
    value such as ``site.wind.mean_speed_ms``, or a phrase such as ``no limit``); that text and the
    source are the declaration's own (English: the page says so in Chinese, ``params_text``)."""
    parts: list[tuple[str, Params]] = [(s.path, getattr(sc, s.attr)) for s in SECTIONS]
    parts += [(f"cooling.{name}", p) for name, p in sc.cooling.items()]
    rows = []
    for section, p in parts:
        for info in type(p).info():
            v = getattr(p, info.name)
            if v != info.default:
                default = str(info.inherit) if info.default is None else _value_text(info.default)
                shown = data.public_text(_value_text(v))  # an upload by its own name
                rows.append((f"{section}.{info.name}", shown, default, info.display_units, info.source))
    if sc.ensemble.year_to_year:
        rows = [(*r[:4], f"{r[4]}. {YEAR_TO_YEAR_NOTE}") if r[0] == "ensemble.year_to_year" else r for r in rows]
    for key, values in sc.sweep:
        rows.append((f"sweep.{key}", ", ".join(map(_value_text, values)), "-", "-", t("sweep_source", lang)))
    return rows


def _file_bytes(write, ds: xr.Dataset, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"out{suffix}"
        write(ds, p)
        return p.read_bytes()


def csv_bytes(ds: xr.Dataset) -> bytes:
    """The hourly CSV that ``twin run --csv`` writes, as bytes."""
    return _file_bytes(write_csv, ds, ".csv")


def netcdf_bytes(ds: xr.Dataset) -> bytes:
    """The NetCDF file that ``twin run -o`` writes, as bytes: every text attribute with an
    uploaded file named as it was uploaded (:func:`dashboards.data.public_text`), never by the
    private path the server keeps it under (which is gone when the server stops)."""
    out = ds.copy(deep=False)
    out.attrs = _public_attrs(ds.attrs)
    for name in out.variables:
        out.variables[name].attrs = _public_attrs(ds.variables[name].attrs)
    return _file_bytes(write_netcdf, out, ".nc")


def _public_attrs(attrs: dict) -> dict:
    return {k: data.public_text(v) if isinstance(v, str) else v for k, v in attrs.items()}


def case_figures(ds: xr.Dataset, design: str, site_key: str, cooling: Params, lang: str = "en") -> dict:
    """The Cooling page's per-case figures (also the report's)."""
    env_name = getattr(cooling, "envelope", "A1")
    return {
        "heatmap": figures.pue_heatmap(ds, lang),
        "psychro": figures.psychrometric_chart(
            ds,
            data.design_modes(design),
            data.envelope(env_name),
            env_name,
            sites.load(site_key).location.elevation_m,
            lang,
        ),
        "stack": figures.power_stack(ds, lang),
        "sankey": figures.sankey(ds, lang),
    }


def draft(text: str, d: Any, refused: bool = False, over: Any = None) -> dict[str, Any]:
    """An editor text not applied (typed, or ``refused`` by Apply), kept in the tab's ``sc-draft``
    store (``sessionStorage``) with the applied scenario ``d`` it was typed over, so that another
    page and back, or a reload, shows it again (:func:`draft_of`). A draft that continues the
    draft ``over`` keeps the scenario that one was typed over: it stays a draft of an older
    scenario (:func:`draft_changes`) until it is applied or discarded."""
    base = over.get("base") if draft_of(over) is not None else None
    if not isinstance(base, str):
        base = data.key_of(d) if isinstance(d, dict) else ""
    return {"text": text, "base": base, "refused": refused}


def draft_of(kept: Any) -> str | None:
    """The draft's text (:func:`draft`), whatever scenario it was typed over; None when there is none."""
    if not isinstance(kept, dict) or not isinstance(kept.get("text"), str):
        return None
    return kept["text"]


DRAFT_CHANGES_SHOWN = 4
"""Fields a draft's note names of those the applied scenario changed since (the rest counted)."""


def draft_changes(kept: Any, d: Any, session: object) -> list[str] | None:
    """What Apply of the draft ``kept`` would undo of the applied scenario ``d``, field by field
    (``green.pv.capacity_mw 150 → 250``, an upload by its label): the fields ``d`` changed since the
    draft was typed over it and the draft's text does not say as ``d`` does (every field ``d``
    changed while the text does not read as a scenario). [] when there is none, None when the
    scenario it was typed over is not known (a draft kept before drafts held it)."""
    base = kept.get("base") if isinstance(kept, dict) else None
    if not isinstance(d, dict) or not isinstance(base, str):
        return None
    now = data.key_of(d)
    if base == now:
        return []
    try:
        before = json.loads(base)
    except ValueError:
        return None
    if not isinstance(before, dict):
        return None
    old, new = _fields(before), _fields(json.loads(now))

    def shown(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, list):
            return ", ".join(map(shown, v))
        if isinstance(v, str):
            return data.upload_label(v, session) or data.public_text(v)
        return _value_text(v)

    typed = _typed_fields(draft_of(kept) or "", session)
    return [
        f"{k} {shown(old.get(k))} → {shown(new.get(k))}"
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k) and (typed is None or typed.get(k) != new.get(k))
    ]


def _typed_fields(text: str, session: object) -> dict[str, Any] | None:
    """The values of the scenario an editor ``text`` reads as, by field (an upload's label as the
    stored file, as Apply reads it), comparable with :func:`_fields` of a stored scenario; None when
    the text does not read as a scenario."""
    try:
        sc = _with_stored_upload(scenario_from_text(text, "scenario"), session)
    except USER_ERRORS:
        return None
    return _fields(json.loads(data.key_of(sc.to_dict())))


def _fields(d: dict[str, Any], at: str = "") -> dict[str, Any]:
    """A scenario mapping's values by their dotted field names (``green.pv.capacity_mw``)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{at}{k}"
        out.update(_fields(v, name + ".") if isinstance(v, dict) and v else {name: v})
    return out


def check_upload_held(d: dict[str, Any], session: object) -> None:
    """Refuse a scenario whose weather is an upload the browser ``session`` cannot use, with Apply's
    message for its label (:func:`dashboards.data.labelled_upload`: ``… names an upload the server no
    longer holds …; upload 'mine.epw' again``, or another tab's), not the reader's of a missing file:
    every page and download asks this before it runs or shows a result, so none shows a result
    memoised on a file the server dropped beside a refusal."""
    w = d.get("weather") if isinstance(d, dict) else None
    source = w.get("source") if isinstance(w, dict) else None
    if isinstance(source, str):
        try:
            data.labelled_upload(source, session)
        except ConfigError as exc:
            said = _within(exc, "scenario")
            raise (said if isinstance(said, Exception) else ConfigError(said)) from None


def page_case(d: dict[str, Any], i: int | None, session: object) -> tuple[Scenario, int]:
    """The scenario of a browser's store and the case index (0 when out of range), refused
    (:func:`check_upload_held`) when its weather is an upload ``session`` cannot use."""
    check_upload_held(d, session)
    sc = data.from_dict(d)
    n = len(sc.cases())
    return sc, i if isinstance(i, int) and 0 <= i < n else 0


def load_case(d: dict[str, Any], i: int | None, session: object) -> tuple[Scenario, int, xr.Dataset, xr.Dataset]:
    """:func:`page_case`, with the case's hourly Dataset and KPIs."""
    sc, i = page_case(d, i, session)
    ds, k = data.run_case(sc, i)
    return sc, i, ds, k


class Said(str):
    """A user error's English message as a page shows it (:func:`message`), holding the error
    it came from (``error``), so that :func:`error_box` can say it in the page's language."""

    error: Exception | None = None


def message(exc: Exception | str) -> Said:
    """A user error's text as a page shows it: an uploaded file named as it was uploaded,
    never by the private path the server keeps it under (:func:`dashboards.data.public_text`)."""
    said = Said(data.public_text(str(exc)))
    said.error = exc.error if isinstance(exc, Said) else exc if isinstance(exc, Exception) else None
    return said


def _within(exc: Exception, where: str) -> Exception | str:
    """``exc`` said within ``where`` (``scenario: …``), its parts kept where it has them."""
    return exc.within(where) if isinstance(exc, Explained) else f"{where}: {exc}"


def error_box(exc: Exception | str, lang: str = "en") -> html.Div:
    """A user error shown in the page: the message the CLI would print, or in Chinese where the
    catalogue says the error's kind (:func:`dashboards.catalog.error_text`); an English message
    in the Chinese page is marked as English."""
    return html.Div(error_said(exc, lang), className="error", role="alert")


def refused_box(err: Exception | str, label: str, lang: str = "en", applied: str | None = None) -> html.Div:
    """A number box's refusal as the page shows it, beside the box: the message of
    :func:`error_box` naming the box by the ``label`` the page shows beside it (``“PV, MW” = 700
    is out of range; allowed 0 … 600 MW``; the field's own name, ``green_sliders.pv_mw``, is
    the page's code, not what the user sees), the value as typed and what is allowed, then that
    the value is not applied and, when there is one, what is (``applied``: ``150 MW``, the
    slider's value, or the last value the Overview's costs use), which stays. Every number box
    of every page says its refusals with this."""
    said = t("refused_kept" if applied is not None else "refused", lang, value=applied)
    return html.Div(f"{error_said(labelled(err, label, lang), lang)}{said}", className="error", role="alert")


def labelled(err: Exception | str, label: str, lang: str) -> Exception | str:
    """``err`` (a parameter's refusal, :class:`weather.fmt.Explained` with a ``field`` part) with
    its field said as the page's ``label``, quoted as the page's language quotes; as it is when it
    names no field."""
    exc = err.error if isinstance(err, Said) else err
    if not isinstance(exc, Explained) or not exc.parts.get("field"):
        return err
    field, quoted = exc.parts["field"], t("quoted", lang, text=label)
    return _reworded(exc, field, quoted, field=quoted)


def _reworded(exc: Explained, old: str, new: str, **parts: str) -> Explained:
    """``exc`` (the same class and kind) with ``old`` said as ``new`` in its message and ``parts`` replaced."""
    said = type(exc).__new__(type(exc))  # no __init__: a subclass may take other arguments
    said.__dict__.update(exc.__dict__)
    said.args = (str(exc).replace(old, new, 1),)
    said.parts = {**exc.parts, **parts}
    return said


def error_said(exc: Exception | str, lang: str = "en") -> str:
    """The text of :func:`error_box` (``Error: …``; ``错误: …``, or marked as English), for a chart's message."""
    said = message(exc)
    text, own = error_text(said.error, lang) if said.error is not None else (str(said), lang != "zh")
    shown = data.public_text(text) if own else str(said)
    return f"{t('error_said' if own else 'error', lang)}: {shown}"


def use_uploaded_epw(
    d: dict[str, Any], contents: str | None, filename: str | None, session: str
) -> tuple[dict | None, str]:
    """An uploaded EPW (a data: URL from ``dcc.Upload``) as the scenario's weather, labelled in the
    browser ``session`` that uploaded it (:func:`dashboards.data.upload_epw`).

    Returns (the new scenario mapping, a summary) or (None, the error message): an
    unreadable upload, a file the EPW reader rejects (its message, naming the line), a file a
    run refuses (not one whole year, a station far from the site: ``twin run --weather``'s
    message, naming the uploaded file), or a scenario with several sites (one weather file is
    one site). The summary ends with the CLI's warning when the station is some way off.
    """
    name = Path(filename or "upload.epw").name
    if not contents or "," not in contents:
        return None, f"{name}: empty upload"
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None, f"{name}: the upload could not be decoded"
    try:
        sc = data.from_dict(d)
        if len(sc.sites) > 1:
            raise ConfigError(
                f"{name}: a weather file is one site, but the scenario has {len(sc.sites)} sites"
            ).explained("one_file_many_sites", file=name, count=str(len(sc.sites)))
        path, ds, meta = data.upload_epw(raw, name, sites.load(sc.sites[0], sc.site_dirs), session=session)
        new = dataclasses.replace(sc, weather=sc.weather.with_source(path))
    except USER_ERRORS as exc:
        return None, message(exc)
    notes = "; ".join(meta.get("notes", [])) or "-"
    said = "".join(f"; warning: {w}" for w in meta["warnings"])
    return new.to_dict(), f"{name}: {ds.sizes['time']} h, {meta.get('name', '')} ({notes}){said}"


STEM_CHARS = 120
"""Longest file name stem of a download (file systems allow 255 bytes; a stem cut here ends
with the case's number, so two cases never share a name)."""


def file_stem(sc: Scenario, i: int) -> str:
    """A file name stem for case ``i`` of a scenario: its name, site, design and swept values
    (``k-karamay-free_air-utilisation_0.5``), letters, digits, ``-``, ``_`` and ``.`` only."""
    site, design, *swept = data.case_labels(sc)[i].split(" · ")
    parts = [sc.name, site, design, *(v.replace("=", "_") for v in ", ".join(swept).split(", ") if v)]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in "-".join(parts)).strip(".")
    if len(stem) > STEM_CHARS:
        stem = f"{stem[: STEM_CHARS - 12]}-case{i + 1}"
    return stem
