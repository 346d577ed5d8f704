"""Scenario: edit the parameters (TOML, validated as the CLI does), upload weather, download results."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboards import data, report, views
from dashboards.catalog import t

dash.register_page(__name__, path="/scenario", name="Scenario", order=3)


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    return html.Div(
        [
            dcc.Store(id="sc-lang", data=lang),
            html.H2(t("scenario", lang)),
            html.H3(t("edit", lang)),
            dcc.Store(id="sc-draft", storage_type="session"),
            dcc.Textarea(id="sc-text", className="toml", spellCheck=False),
            html.Div(id="sc-draft-note", role="status"),
            html.Div(
                [html.Button(t("apply", lang), id="sc-apply", n_clicks=0), html.Div(id="sc-message", role="status")],
                className="controls",
            ),
            html.H3(t("upload", lang, mb=data.EPW_MAX_BYTES // 2**20)),
            dcc.Upload(
                id="sc-upload",
                children=html.Div("EPW ⤒", className="upload-target"),
                max_size=data.EPW_MAX_BYTES,
                multiple=False,
                accept=".epw",
                className="upload",
            ),
            html.Div(id="sc-upload-message", role="status"),
            html.H3(t("downloads", lang)),
            html.Div(
                [
                    html.Button(t("csv", lang), id="sc-dl-csv", n_clicks=0),
                    html.Button(t("netcdf", lang), id="sc-dl-nc", n_clicks=0),
                    html.Button(t("report", lang), id="sc-dl-report", n_clicks=0),
                    dcc.Download(id="sc-download"),
                ],
                className="controls",
            ),
            html.Div(id="sc-dl-message", role="status"),
            html.H3(t("sources", lang)),
            html.Div(id="sc-sources"),
        ]
    )


@callback(
    Output("sc-text", "value"),
    Output("sc-sources", "children"),
    Output("sc-draft-note", "children"),
    Input("scenario", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    Input("sc-draft", "data"),
    State("sc-text", "value"),
)
def show(d, lang, session, draft=None, shown=None):
    try:
        sc = data.from_dict(d)
    except views.USER_ERRORS as exc:
        return dash.no_update, views.error_box(exc, lang), ""
    rows = views.non_default_params(sc, lang)
    own = [html.P(t("params_text", lang), className="small")] if lang == "zh" and rows else []  # their English
    table = html.Div(
        [
            html.Table(
                [html.Tr([html.Th(t(f"col_{h}", lang)) for h in ("field", "value", "default", "units", "source")])]
                + [html.Tr([html.Td(c) for c in r]) for r in rows],
                className="table small",
            ),
            *own,
        ]
    )
    text = views.draft_of(draft, d)
    if text is None:
        return views.scenario_toml(sc, session), table, ""
    note = html.Div(t("draft", lang), className="note")
    if text == shown:  # the editor holds the draft Apply just refused: what is typed after it stays
        return dash.no_update, table, note
    return text, table, note


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("case", "data", allow_duplicate=True),
    Output("sc-message", "children"),
    Output("sc-draft", "data"),
    Input("sc-apply", "n_clicks"),
    State("sc-text", "value"),
    State("sc-lang", "data"),
    State("session", "data"),
    State("scenario", "data"),
    prevent_initial_call=True,
)
def apply(n, text, lang, session, d=None):
    if not n:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    new, err = views.apply_toml(text or "", session)
    if err:  # the refused text is kept in the tab (over a reload) as a draft of the applied scenario
        return dash.no_update, dash.no_update, views.error_box(err, lang), views.draft(text or "", d)
    n = len(data.from_dict(new).cases())
    return new, 0, html.Div(t("applied", lang, n=n), className="ok"), None


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("sc-upload-message", "children"),
    Input("sc-upload", "contents"),
    State("sc-upload", "filename"),
    State("scenario", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    prevent_initial_call=True,
)
def upload(contents, filename, d, lang, session):
    if contents is None:
        return dash.no_update, dash.no_update
    new, msg = views.use_uploaded_epw(d, contents, filename, session)
    if new is None:
        return dash.no_update, views.error_box(msg, lang)
    return new, html.Div(msg, className="ok")


@callback(
    Output("sc-download", "data"),
    Output("sc-dl-message", "children"),
    Input("sc-dl-csv", "n_clicks"),
    Input("sc-dl-nc", "n_clicks"),
    Input("sc-dl-report", "n_clicks"),
    State("scenario", "data"),
    State("case", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    prevent_initial_call=True,
)
def download(n_csv, n_nc, n_report, d, case, lang, session):
    which = dash.ctx.triggered_id
    if not (n_csv or n_nc or n_report):
        return dash.no_update, dash.no_update
    try:
        views.check_upload_held(d, session)
        sc, i, ds, _k = views.load_case(d, case)
        stem = views.file_stem(sc, i)
        if which == "sc-dl-csv":
            return dcc.send_bytes(views.csv_bytes(ds), f"{stem}.csv"), ""
        if which == "sc-dl-nc":
            return dcc.send_bytes(views.netcdf_bytes(ds), f"{stem}.nc"), ""
        html_text = report.build_report(sc, i, lang)
        return dcc.send_string(html_text, f"{stem}-report.html"), ""
    except views.USER_ERRORS as exc:
        return dash.no_update, views.error_box(exc, lang)
