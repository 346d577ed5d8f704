"""Green power (planners): dispatch, the hourly green share, storage cycles, sizing sliders that re-run the year."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboards import figures, views
from dashboards.catalog import KPI_BY_NAME, DispatchWindow, t

dash.register_page(__name__, path="/green", name="Green power", order=2)

SLIDERS = (  # id, text key, max, step, marks step
    ("green-pv", "pv_mw", 600, 10, 100),
    ("green-wind", "wind_mw", 600, 10, 100),
    ("green-st-mw", "st_mw", 400, 10, 100),
    ("green-st-mwh", "st_mwh", 1600, 20, 400),
)
CARDS = ("green_share_hourly", "green_share_annual", "cfe_score", "energy_grid_import", "cost_per_mwh_it", "co2")
CONFIG: Any = {"displaylogo": False}  # a dcc.Graph config (Dash types it as its own TypedDict)


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    sliders = [
        html.Div(
            [
                html.Label(t(key, lang), htmlFor=sid),
                dcc.Slider(
                    id=sid,
                    min=0,
                    max=hi,
                    step=step,
                    marks={m: str(m) for m in range(0, hi + 1, mark)},
                ),
            ],
            className="slider",
        )
        for sid, key, hi, step, mark in SLIDERS
    ]
    return html.Div(
        [
            dcc.Store(id="green-lang", data=lang),
            html.H2(t("green", lang)),
            html.Div(id="green-error"),
            html.Div(sliders, className="sliders"),
            html.Div(id="green-storage-note"),
            html.Div(id="green-cards", className="kpi-row"),
            html.Div(
                [
                    dcc.RadioItems(
                        id="green-span",
                        options=[{"label": t(s, lang), "value": s} for s in ("week", "month", "year")],
                        value="week",
                        inline=True,
                    ),
                    html.Label(t("start_day", lang), htmlFor="green-start"),
                    dcc.Input(  # text: a number box sends no value for 1e400 or 1e, the page checks the text
                        id="green-start",
                        type="text",
                        inputMode="numeric",
                        value=str(DispatchWindow().start_day),
                        debounce=True,
                        style={"width": "140px"},
                    ),
                    html.Div(id="green-start-error"),
                ],
                className="controls",
            ),
            dcc.Loading(
                html.Div(
                    [
                        *(
                            dcc.Graph(id=g, config=CONFIG)
                            for g in ("green-dispatch", "green-share-map", "green-cycles")
                        ),
                        html.Div(
                            [
                                html.Button(t("run_pareto", lang), id="green-pareto-run", n_clicks=0),
                                html.Div(id="green-pareto-error"),
                                dcc.Graph(
                                    id="green-pareto",
                                    config=CONFIG,
                                    figure=figures.message_figure(t("not_computed", lang), t("pareto", lang)),
                                ),
                            ]
                        ),
                    ],
                    className="grid",
                ),
                type="dot",
            ),
        ]
    )


@callback(
    *[Output(sid, "value") for sid, *_ in SLIDERS],
    Input("scenario", "data"),
    Input("case", "data"),
)
def slider_values(d, case):
    """The sliders follow the chosen case: on the page's first drawing and when a case is chosen.

    Not when ``resize`` set the scenario: the sliders already show what it applied, and an answer
    written back after a later move would put the slider where it was (and drop that move's run).
    """
    if "scenario.data" in ctx.triggered_prop_ids:
        return (dash.no_update,) * len(SLIDERS)
    try:
        sc = views.data.from_dict(d)
        c = sc.cases()[case if isinstance(case, int) and 0 <= case < len(sc.cases()) else 0]
    except views.USER_ERRORS:
        return (dash.no_update,) * len(SLIDERS)
    return c.pv.capacity_mw, c.wind.capacity_mw, c.storage.power_mw, c.storage.energy_mwh


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("case", "data", allow_duplicate=True),
    Output("green-error", "children"),
    *[Input(sid, "value") for sid, *_ in SLIDERS],
    State("scenario", "data"),
    State("case", "data"),
    State("green-lang", "data"),
    prevent_initial_call=True,
)
def resize(pv, wind, st_mw, st_mwh, d, case, lang):
    """A slider moved: the chosen case with the new ratings becomes the scenario."""
    if ctx.triggered_id is None:
        return dash.no_update, dash.no_update, ""
    try:
        c = views.data.from_dict(d).cases()[case if isinstance(case, int) else 0]
    except (*views.USER_ERRORS, IndexError) as exc:
        return dash.no_update, dash.no_update, views.error_box(exc, lang)
    if (pv, wind, st_mw, st_mwh) == (c.pv.capacity_mw, c.wind.capacity_mw, c.storage.power_mw, c.storage.energy_mwh):
        return dash.no_update, dash.no_update, ""
    new, err = views.with_capacities(d, case, pv, wind, st_mw, st_mwh)
    if err:
        return dash.no_update, dash.no_update, views.error_box(err, lang)
    return new, 0, ""


@callback(
    Output("green-cards", "children"),
    Output("green-dispatch", "figure"),
    Output("green-share-map", "figure"),
    Output("green-cycles", "figure"),
    Output("green-start-error", "children"),
    Output("green-storage-note", "children"),
    Input("scenario", "data"),
    Input("case", "data"),
    Input("green-span", "value"),
    Input("green-start", "value"),
    State("green-lang", "data"),
    State("session", "data"),
)
def render(d, case, span, start, lang, session=None):
    window, errors = views.checked(DispatchWindow, start_day=start)
    start_error = views.error_box(errors["start_day"], lang) if window is None else ""
    try:
        sc, i, ds, k = views.load_case(d, case, session)
    except views.USER_ERRORS as exc:
        empty = figures.message_figure(views.error_said(exc, lang))
        return views.error_box(exc, lang), empty, empty, empty, start_error, ""
    c = sc.cases()[i]
    note = views.idle_storage_note(c.storage, c.economics, lang)
    cards = [
        html.Div(
            [
                html.Div(KPI_BY_NAME[n].label(lang), className="kpi-label"),
                html.Span(KPI_BY_NAME[n].format(views.value(k, n)), className="kpi-value", id=f"green-kpi-{n}"),
                html.Span(" " + (KPI_BY_NAME[n].shown_unit(lang) or ""), className="kpi-unit"),
            ],
            className="kpi-card headline" if n == "green_share_hourly" else "kpi-card",
        )
        for n in CARDS
    ]
    if float(ds["p_green"].max()) <= 0 and float(ds["p_discharge"].max()) <= 0:
        stored = c.storage.power_mw or c.storage.energy_mwh  # storage there and paid for is idle, not absent
        text = t("no_green_idle_storage", lang, **views.storage_amounts(c.storage)) if stored else t("no_green", lang)
        msg = figures.message_figure(text)
        return cards, msg, msg, msg, start_error, note
    return (
        cards,
        figures.message_figure(views.error_said(errors["start_day"], lang), t("dispatch", lang))
        if window is None
        else figures.dispatch(ds, span or "week", window.start_day, lang),
        figures.green_share_heatmap(ds, lang),
        figures.storage_cycles(ds, lang),
        start_error,
        note,
    )


@callback(
    Output("green-pareto", "figure"),
    Output("green-pareto-error", "children"),
    Input("green-pareto-run", "n_clicks"),
    Input("scenario", "data"),
    Input("case", "data"),
    State("green-lang", "data"),
    State("session", "data"),
)
def pareto(n_clicks, d, case, lang, session=None):
    """The optimiser's frontier for the chosen case: computed on request, shown from the cache after."""
    asked = ctx.triggered_id == "green-pareto-run"
    try:
        sc, i = views.page_case(d, case, session)
        ds = views.data.frontier(sc, i, compute=asked)
    except views.USER_ERRORS as exc:
        return figures.message_figure(views.error_said(exc, lang), t("pareto", lang)), views.error_box(exc, lang)
    if ds is None:
        return figures.message_figure(t("not_computed", lang), t("pareto", lang)), ""
    return figures.pareto_frontier(ds, lang), ""
