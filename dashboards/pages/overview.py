"""Overview (executives): KPI cards, policy badge, reported vs modelled, site comparison, cost of compute."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboards import data, figures, views
from dashboards.catalog import (
    COMPUTE_ASSUMPTIONS,
    COMPUTE_NOTES_ZH,
    KPI_BY_NAME,
    ComputeAssumptions,
    design_label,
    graph_config,
    kpi_heading,
    t,
)
from twin.core.fmt import number

dash.register_page(__name__, path="/", name="Overview", order=0)

RANKS = ("pue", "cost_per_compute", "co2", "green_share_hourly")
ASSUMED = {i.name: i for i in ComputeAssumptions.info()}
APPLIED = {name: ASSUMED[name].default for name in ASSUMED}
"""The cost of compute's assumptions applied when the page is drawn: the boxes' defaults."""


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    return html.Div(
        [
            dcc.Store(id="ov-lang", data=lang),
            dcc.Store(id="ov-applied", data=APPLIED),  # the assumptions the costs use: a refused box keeps its last
            html.H2(id="ov-title"),
            dcc.Loading(html.Div(id="ov-cards", className="kpi-row"), type="dot"),
            html.Div(id="ov-policy"),
            html.H3(t("reported", lang)),
            *([html.P(t("sources_text", lang), className="small")] if lang == "zh" else []),
            html.Div(id="ov-reported"),
            html.H3(t("compute_cost", lang)),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(label_zh if lang == "zh" else label_en, htmlFor=f"ov-{name}"),
                            dcc.Input(  # text: a number box sends no value for 1e400 or 1e, the page checks the text
                                id=f"ov-{name}",
                                type="text",
                                value=number(ASSUMED[name].default, grouped=False),
                                debounce=True,
                                style={"width": "180px"},
                            ),
                            html.Div(id=f"ov-{name}-error"),
                            html.Div(
                                COMPUTE_NOTES_ZH[name] if lang == "zh" else ASSUMED[name].source, className="small"
                            ),
                        ],
                        className="assumption",
                    )
                    for name, label_en, label_zh in COMPUTE_ASSUMPTIONS
                ],
                className="assumptions",
            ),
            html.Div(id="ov-compute", className="compute"),
            html.H3(t("comparison", lang)),
            html.P(t("comparison_note", lang), className="note"),
            html.P(t("it_mwh_note", lang), className="note"),
            html.Div(
                [
                    html.Label(t("rank", lang), htmlFor="ov-rank"),
                    dcc.Dropdown(
                        id="ov-rank",
                        options=[{"label": KPI_BY_NAME[r].label(lang), "value": r} for r in RANKS],
                        value="pue",
                        clearable=False,
                        style={"width": "320px"},
                    ),
                ],
                className="controls",
            ),
            dcc.Loading(
                html.Div(
                    [
                        dcc.Graph(
                            id="ov-map",
                            config={**graph_config(lang), "topojsonURL": dash.get_relative_path("/assets/topojson/")},
                        ),
                        html.Div(id="ov-table"),
                    ],
                    className="two-col",
                ),
                type="dot",
            ),
            html.P(t("latency_src", lang), className="small"),
        ]
    )


def last_applied(stored: object) -> dict[str, float]:
    """The cost of compute's assumptions last applied, as the page's ``ov-applied`` store holds
    them; where it holds none, or a value the assumption's check refuses (a hand-made request),
    the default."""
    got = stored if isinstance(stored, dict) else {}
    _, bad = views.checked(ComputeAssumptions, **{name: got.get(name) for name in APPLIED})
    return {name: APPLIED[name] if name in bad else float(views.typed_number(got[name])) for name in APPLIED}


@callback(
    Output("ov-title", "children"),
    Output("ov-cards", "children"),
    Output("ov-policy", "children"),
    Output("ov-reported", "children"),
    Output("ov-compute", "children"),
    *[Output(f"ov-{name}-error", "children") for name, *_ in COMPUTE_ASSUMPTIONS],
    Output("ov-applied", "data"),
    Input("scenario", "data"),
    Input("case", "data"),
    Input("ov-pflop_h_per_mwh", "value"),
    Input("ov-gflop_per_token", "value"),
    State("ov-lang", "data"),
    State("session", "data"),
    State("ov-applied", "data"),
)
def render(d, case, pflop, gflop, lang, session=None, applied=None):
    """The Overview of the chosen case. The cost of compute uses each assumption's box, or, where
    the box is refused, the value last applied (``ov-applied``: the default until one is), which
    its message names."""
    typed = {"pflop_h_per_mwh": pflop, "gflop_per_token": gflop}
    _, errors = views.checked(ComputeAssumptions, **typed)
    last = last_applied(applied)
    used = {name: last[name] if name in errors else float(views.typed_number(v)) for name, v in typed.items()}
    assumed = ComputeAssumptions(**used)
    shown = [
        views.refused_box(
            errors[name],
            label_zh if lang == "zh" else label_en,
            lang,
            f"{number(used[name])} {ASSUMED[name].display_units}",
        )
        if name in errors
        else ""
        for name, label_en, label_zh in COMPUTE_ASSUMPTIONS
    ]
    kept = dash.no_update if used == last else used
    try:
        sc, i, _ds, k = views.load_case(d, case, session)
    except views.USER_ERRORS as exc:
        return "", views.error_box(exc, lang), "", "", "", *shown, kept
    c = sc.cases()[i]
    key = str(k["site"].values)
    en, zh = data.site_names(key)
    title = f"{en} {zh} · {design_label(c.design, lang)}"
    rows = views.reported_rows(k, key, c, lambda: data.storage_co2_avoided(sc, i), lang)
    reported = (
        html.Table(
            [
                html.Tr(
                    [html.Th(t(h, lang)) for h in ("col_metric", "col_reported", "modelled", "col_what", "col_source")]
                )
            ]
            + [html.Tr([html.Td(r[h]) for h in ("label", "reported", "modelled", "what", "source")]) for r in rows],
            className="table",
        )
        if rows
        else html.P("–")
    )
    per_pflop, per_mtok = views.compute_cost(k, assumed.pflop_h_per_mwh, assumed.gflop_per_token)
    compute = html.Div(
        [
            html.Span(
                f"{views.amount(per_pflop)} {t('per_pflop_h', lang)}",
                id="ov-cost-pflop",
                className="kpi-value small-kpi",
            ),
            html.Span(" · "),
            html.Span(
                f"{views.amount(per_mtok, 4)} {t('per_mtok', lang)}", id="ov-cost-mtok", className="kpi-value small-kpi"
            ),
        ]
    )
    return title, views.kpi_cards(k, lang), views.policy_badge(k, key, lang), reported, compute, *shown, kept


@callback(
    Output("ov-map", "figure"),
    Output("ov-table", "children"),
    Input("scenario", "data"),
    Input("case", "data"),
    Input("ov-rank", "value"),
    State("ov-lang", "data"),
)
def comparison(d, case, rank, lang):
    if rank is not None and rank not in RANKS:  # only a hand-made request sends another value
        msg = f"rank = {rank!r} is not one of {', '.join(RANKS)}"
        return figures.message_figure(msg), views.error_box(msg, lang)
    try:
        sc = data.from_dict(d)
        i = case if isinstance(case, int) and 0 <= case < len(sc.cases()) else 0
        cmp = data.comparison(sc, i)
        here = data.site_key(sc.cases()[i].site)
    except views.USER_ERRORS as exc:
        return figures.message_figure(views.error_said(exc, lang)), views.error_box(exc, lang)
    rows = views.comparison_rows(cmp, rank or "pue", lang)
    china = [r for r in rows if 70 < r["lon"] < 140]  # the US reference is in the table only
    fig = figures.site_map(china, lang, by=rank or "pue")
    cols = ("pue", "cost_per_compute", "cost_per_mwh_it", "co2", "green_share_hourly")
    header = ["#", t("site", lang), *[kpi_heading(KPI_BY_NAME[c], lang) for c in cols], t("latency", lang)]
    body = [
        html.Tr(
            [html.Td(n + 1), html.Td(r["name"])]
            + [html.Td(KPI_BY_NAME[c].format(r[c]), className="num") for c in cols]
            + [html.Td(r["latency"], className="small")],
            className="highlight" if r["key"] == here else None,
        )
        for n, r in enumerate(rows)
    ]
    table = html.Table([html.Tr([html.Th(h) for h in header]), *body], className="table", id="ov-rank-table")
    abroad = ", ".join(r["name"] for r in rows if r not in china)
    return fig, [
        table,
        html.P(t("off_map", lang, names=abroad), className="note small", id="ov-off-map"),
    ] if abroad else table
