"""Green power (planners): dispatch, the hourly green share, storage cycles, sizing sliders that re-run the year."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboards import figures, views
from dashboards.catalog import (
    RATING_STEPS,
    DispatchWindow,
    GreenRatings,
    error_text,
    graph_config,
    t,
)
from twin.core.fmt import number

dash.register_page(__name__, path="/green", name="Green power", order=2)

SLIDERS = (  # id, text key, rating (its range: GreenRatings; its step: RATING_STEPS), marks step
    ("green-pv", "pv_mw", "pv_mw", 100),
    ("green-wind", "wind_mw", "wind_mw", 100),
    ("green-st-mw", "st_mw", "storage_mw", 100),
    ("green-st-mwh", "st_mwh", "storage_mwh", 400),
)
HIGH = {i.name: int(i.hi or 0) for i in GreenRatings.info()}
UNITS = {i.name: i.display_units for i in GreenRatings.info()}
POLL_MS = 1000
"""How often a Green page drawn while its frontier is computed asks whether the run has ended, ms."""
CARDS = ("green_share_hourly", "green_share_annual", "cfe_score", "energy_grid_import", "cost_per_mwh_it", "co2")


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    config = graph_config(lang)
    sliders = [
        html.Div(
            [
                html.Label(t(key, lang), htmlFor=f"{sid}-box"),
                dcc.Slider(
                    id=sid,
                    min=0,
                    max=HIGH[rating],
                    step=RATING_STEPS[rating],
                    marks={m: str(m) for m in range(0, HIGH[rating] + 1, mark)},
                    allow_direct_input=False,  # its own box clamps and rounds what is typed, silently
                ),
                dcc.Input(  # text: the page checks what is typed (a number box sends nothing for 1e400)
                    id=f"{sid}-box",
                    type="text",
                    inputMode="numeric",
                    debounce=True,
                    style={"width": "90px"},
                ),
                html.Div(id=f"{sid}-error"),
            ],
            className="slider",
        )
        for sid, key, rating, mark in SLIDERS
    ]
    return html.Div(
        [
            dcc.Store(id="green-lang", data=lang),
            dcc.Interval(id="green-pareto-poll", interval=POLL_MS, disabled=True),  # outside Loading: no spinner
            dcc.Store(id="green-pareto-ended"),
            html.H2(t("green", lang)),
            html.Div(id="green-error"),
            html.Div(id="green-sliders-note", role="status"),
            html.Button(t("undo_sliders", lang), id="green-undo-run", n_clicks=0, style={"display": "none"}),
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
                            dcc.Graph(id=g, config=config)
                            for g in ("green-dispatch", "green-share-map", "green-cycles")
                        ),
                        html.Div(
                            [
                                html.Button(t("run_pareto", lang), id="green-pareto-run", n_clicks=0),
                                html.Div(id="green-pareto-error"),
                                html.Div(id="green-pareto-note", role="status"),
                                html.P(t("pareto_free", lang), className="note small", id="green-pareto-free"),
                                dcc.Graph(
                                    id="green-pareto",
                                    config=config,
                                    figure=figures.message_figure(t("not_computed", lang), t("pareto", lang)),
                                ),
                                html.Div(id="green-pareto-marginal", className="note small"),
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
    return views.case_ratings(c)


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("green-error", "children"),
    Output("green-undo", "data"),
    *[Input(sid, "value") for sid, *_ in SLIDERS],
    State("scenario", "data"),
    State("case", "data"),
    State("green-lang", "data"),
    State("green-undo", "data"),
    prevent_initial_call=True,
)
def resize(pv, wind, st_mw, st_mwh, d, case, lang, kept=None):
    """A slider moved: the applied scenario with the new ratings (every case; its sites, designs
    and sweep kept, the chosen case still chosen: :func:`dashboards.views.with_capacities`), and
    the scenario before the sliders kept for Undo (:func:`dashboards.views.undo_step`)."""
    if ctx.triggered_id is None:
        return dash.no_update, "", dash.no_update
    try:
        sc = views.data.from_dict(d)
        c = sc.cases()[case if isinstance(case, int) else 0]
    except (*views.USER_ERRORS, IndexError) as exc:
        return dash.no_update, views.error_box(exc, lang), dash.no_update
    if (pv, wind, st_mw, st_mwh) == views.case_ratings(c):
        return dash.no_update, "", dash.no_update
    new, err = views.with_capacities(d, case, pv, wind, st_mw, st_mwh)
    if err:
        return dash.no_update, views.error_box(err, lang), dash.no_update
    return new, "", views.undo_step(kept, d, new)


@callback(
    Output("green-undo-run", "style"),
    Input("scenario", "data"),
    Input("green-undo", "data"),
)
def undo_shown(d, kept):
    """Undo is shown while the scenario is the one the sliders made."""
    return {"display": "inline-block" if views.undo_of(kept, d) is not None else "none"}


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("green-undo", "data", allow_duplicate=True),
    *[Output(sid, "value", allow_duplicate=True) for sid, *_ in SLIDERS],
    Input("green-undo-run", "n_clicks"),
    State("scenario", "data"),
    State("case", "data"),
    State("green-undo", "data"),
    prevent_initial_call=True,
)
def undo(n, d, case, kept):
    """Back to the scenario applied before the sliders moved, the sliders with it."""
    before = views.undo_of(kept, d) if n else None
    if before is None:
        return (dash.no_update,) * (2 + len(SLIDERS))
    try:
        sc = views.data.from_dict(before)
        c = sc.cases()[case if isinstance(case, int) and 0 <= case < sc.case_count else 0]
    except views.USER_ERRORS:
        return (dash.no_update,) * (2 + len(SLIDERS))
    return before, None, *views.case_ratings(c)


@callback(
    *[Output(sid, "disabled") for sid, *_ in SLIDERS],
    *[Output(f"{sid}-box", "disabled") for sid, *_ in SLIDERS],
    Output("green-sliders-note", "children"),
    Input("scenario", "data"),
    State("green-lang", "data"),
)
def held_sliders(d, lang):
    """A slider (and its box) of a rating the scenario sweeps is held, with a line naming the
    swept key; over several cases, a note that the sliders set every case's ratings."""
    try:
        sc = views.data.from_dict(d)
    except views.USER_ERRORS:
        return (dash.no_update,) * (2 * len(SLIDERS) + 1)
    swept = views.swept_ratings(sc)
    held = [rating in swept for _, _, rating, _ in SLIDERS]
    n = sc.case_count
    lines = [html.Div(error_text(said.error, lang)[0], className="note") for said in swept.values()]
    if n > 1:
        lines.append(html.Div(t("ratings_all_cases", lang, n=number(n)), className="note"))
    return *held, *held, lines


def _box_callbacks(sid: str, key: str, rating: str) -> None:
    """A slider's box: what is typed sets the slider, or is refused in one line beside the box
    (the field, the value as typed, the slider's range and step); the slider's value is shown in
    the box unless the box already says it (what is typed is never written over)."""

    @callback(
        Output(sid, "value", allow_duplicate=True),
        Output(f"{sid}-error", "children"),
        Input(f"{sid}-box", "value"),
        State(sid, "value"),
        State("green-lang", "data"),
        prevent_initial_call=True,
    )
    def typed(text, now, lang):
        if views.same_number(text, now):  # the slider's own value written into the box, or typed again
            return dash.no_update, ""
        v, err = views.rating_box(rating, text)
        if v is None:
            kept = None if now is None else f"{number(now)} {UNITS[rating]}"
            return dash.no_update, views.refused_box(err, t(key, lang), lang, kept)
        return (dash.no_update if v == now else v), ""

    @callback(
        Output(f"{sid}-box", "value"),
        Output(f"{sid}-error", "children", allow_duplicate=True),
        Input(sid, "value"),
        State(f"{sid}-box", "value"),
        prevent_initial_call=True,
    )
    def shown(v, text):
        if v is None or views.rating_box(rating, text)[0] == v:
            return dash.no_update, dash.no_update
        return number(v, grouped=False), ""

    typed.__name__ = f"typed_{rating}"
    shown.__name__ = f"shown_{rating}"
    BOXES[rating] = (typed, shown)


BOXES: dict[str, tuple[Any, Any]] = {}
"""Each rating's box callbacks (typed, shown), by rating."""
for _sid, _key, _rating, _mark in SLIDERS:
    _box_callbacks(_sid, _key, _rating)


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
    window, errors = views.checked(DispatchWindow, start_day=DispatchWindow().start_day if span == "year" else start)
    start_error = views.refused_box(errors["start_day"], t("start_day", lang), lang) if window is None else ""
    try:
        sc, i, ds, k = views.load_case(d, case, session)
    except views.USER_ERRORS as exc:
        empty = figures.message_figure(views.error_said(exc, lang))
        return views.error_box(exc, lang), empty, empty, empty, start_error, ""
    c = sc.cases()[i]
    note = views.idle_storage_note(c.storage, c.economics, lang)
    if window is None:
        errors = {"start_day": views.start_day_in_year(errors["start_day"], ds)}
        start_error = views.refused_box(errors["start_day"], t("start_day", lang), lang)
    else:
        try:
            moved = views.dispatch_start(window.start_day, span or "week", ds, lang)
        except views.USER_ERRORS as exc:
            window, errors, moved = None, {"start_day": views.message(exc)}, ""
        start_error = views.refused_box(errors["start_day"], t("start_day", lang), lang) if window is None else moved
    cards = views.kpi_cards(k, lang, CARDS, headline=0, prefix="green-kpi-")
    if float(ds["p_green"].max()) <= 0 and float(ds["p_discharge"].max()) <= 0:
        msg = figures.message_figure(views.no_green_text(c.storage, c.economics, lang))
        return cards, msg, msg, msg, start_error, note
    idle = views.no_storage_text(c.storage, c.economics, lang)
    return (
        cards,
        figures.message_figure(
            views.error_said(views.labelled(errors["start_day"], t("start_day", lang), lang), lang), t("dispatch", lang)
        )
        if window is None
        else figures.dispatch(ds, span or "week", window.start_day, lang),
        figures.green_share_heatmap(ds, lang),
        figures.message_figure(idle, t("cycles", lang)) if idle else figures.storage_cycles(ds, lang),
        start_error,
        note,
    )


@callback(
    Output("green-pareto", "figure"),
    Output("green-pareto-error", "children"),
    Output("green-pareto-note", "children"),
    Output("green-pareto-poll", "disabled"),
    Input("green-pareto-run", "n_clicks"),
    Input("scenario", "data"),
    Input("case", "data"),
    Input("green-pareto-ended", "data"),
    State("green-lang", "data"),
    State("session", "data"),
    State("page-load", "data"),
)
def pareto(n_clicks, d, case, ended, lang, session=None, page=None):
    """The optimiser's frontier for the chosen case: computed on request, shown from the cache after,
    with a line saying which finished run of this page load (or the cache) it is. A run of this page load for
    another case or scenario stops at its next point (:func:`dashboards.data.frontier_run`); its
    answer is not shown (the browser keeps only the newer call's), so it says nothing.

    Drawn while a run of the frontier goes on (the page left and opened again, another tab's run),
    the page says so at once and asks again every :data:`POLL_MS` (:func:`poll`) until the run
    ends: then it shows the frontier, or, for a run stopped or failed, that it is not computed. No
    request waits for a run it did not ask for."""
    asked = ctx.triggered_id == "green-pareto-run"
    computed: list[bool] = []
    try:
        sc, i = views.page_case(d, case, session)
        run = views.data.frontier_run(sc, i, page)
        running = not asked and views.data.frontier_running(sc, i)  # before the cache: a run ending between memoised it
        ds = views.data.frontier(sc, i, asked, run.superseded, lambda: computed.append(True))
    except views.data.Stopped:
        return (dash.no_update,) * 4
    except views.USER_ERRORS as exc:
        error = figures.message_figure(views.error_said(exc, lang), t("pareto", lang))
        return error, views.error_box(exc, lang), "", True
    if ds is None:
        said = t("pareto_running" if running else "not_computed", lang)
        return figures.message_figure(said, t("pareto", lang)), "", "", not running
    label = views.data.case_labels(sc, lang)[i]
    n = run.finished() if computed else None  # a stopped run never gets here: it is not counted
    said = t("pareto_run", lang, n=number(n), case=label) if n else t("pareto_cached", lang, case=label)
    return figures.pareto_frontier(ds, lang), "", html.Div(said, className="note"), True


@callback(
    Output("green-pareto-ended", "data"),
    Output("green-pareto-poll", "disabled", allow_duplicate=True),
    Input("green-pareto-poll", "n_intervals"),
    State("scenario", "data"),
    State("case", "data"),
    State("session", "data"),
    prevent_initial_call=True,
)
def poll(n, d, case, session=None):
    """While the run of the frontier the page waits for goes on: nothing. When it has ended
    (memoised, stopped or failed): :func:`pareto` draws the frontier again, and the asking stops."""
    try:
        sc, i = views.page_case(d, case, session)
        if views.data.frontier_running(sc, i):
            return dash.no_update, dash.no_update
    except views.USER_ERRORS:
        pass
    return n, True


@callback(Output("green-pareto-marginal", "children"), Input("green-pareto", "figure"))
def marginal(figure):
    """Under the frontier, its marginal figures in words (:func:`dashboards.figures.marginal_said`,
    carried in the figure's ``meta``): the last point's, the steadier average over the last points,
    why one point's is noisy, and what the bars are; nothing under a message."""
    lines = ((figure or {}).get("layout", {}).get("meta") or {}).get("marginal", [])
    return [html.P(line) for line in lines]
