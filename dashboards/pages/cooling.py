"""Cooling (engineers): designs at one site, hourly PUE, psychrometric chart, power by component, energy flow."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboards import data, figures, views
from dashboards.catalog import design_label, graph_config, t

dash.register_page(__name__, path="/cooling", name="Cooling", order=1)

GRAPHS = ("cool-designs", "cool-heatmap", "cool-psychro", "cool-stack", "cool-sankey")


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    return html.Div(
        [
            dcc.Store(id="cool-lang", data=lang),
            html.H2(id="cool-title"),
            html.P(t("load_hint", lang), className="small"),
            html.Div(id="cool-error"),
            dcc.Loading(
                html.Div([dcc.Graph(id=g, config=graph_config(lang)) for g in GRAPHS], className="grid"),
                type="dot",
            ),
        ]
    )


@callback(
    Output("cool-title", "children"),
    Output("cool-error", "children"),
    *[Output(g, "figure") for g in GRAPHS],
    Input("scenario", "data"),
    Input("case", "data"),
    State("cool-lang", "data"),
    State("session", "data"),
)
def render(d, case, lang, session=None):
    try:
        sc, i, ds, k = views.load_case(d, case, session)
        c = sc.cases()[i]
        key = str(k["site"].values)
        designs = data.designs_at_site(sc, i)
    except views.USER_ERRORS as exc:
        empty = figures.message_figure(views.error_said(exc, lang))
        return "", views.error_box(exc, lang), *[empty] * len(GRAPHS)
    en, zh = data.site_names(key)
    limit = views.value(k, "policy_pue_limit")
    cmp = figures.design_comparison(designs, key, None if limit != limit else limit, lang, current=c.design)
    f = views.case_figures(ds, c.design, key, c.cooling, lang)
    title = f"{en} {zh} · {design_label(c.design, lang)}"
    return title, "", cmp, f["heatmap"], f["psychro"], f["stack"], f["sankey"]
