"""Scenario: edit the parameters (TOML, validated as the CLI does), upload weather, download results."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboards import data, report, views
from dashboards.catalog import t
from twin.core.fmt import number

dash.register_page(__name__, path="/scenario", name="Scenario", order=3)

DOWNLOADS = (("csv", "csv"), ("nc", "netcdf"), ("report", "report"))
"""Each download (its button ``sc-dl-KIND``, text key): a callback and a ``dcc.Download`` of its own,
so that a second button pressed before the first file came does not drop it (Dash keeps only the
answer of a callback's last request)."""


def layout(lang: str = "en", **_kwargs) -> html.Div:
    lang = lang if lang in ("en", "zh") else "en"
    return html.Div(
        [
            dcc.Store(id="sc-lang", data=lang),
            html.H2(t("scenario", lang)),
            html.H3(t("edit", lang)),
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
            html.Div(
                id="sc-upload-message",
                role="status",
                **limit_attrs(lang),
            ),
            html.H3(t("downloads", lang)),
            html.Div(
                [
                    *(html.Button(t(label, lang), id=f"sc-dl-{kind}", n_clicks=0) for kind, label in DOWNLOADS),
                    *(dcc.Download(id=f"sc-download-{kind}") for kind, _ in DOWNLOADS),
                ],
                className="controls",
            ),
            html.Div(id="sc-dl-message", role="status"),
            html.H3(t("sources", lang)),
            html.Div(id="sc-sources"),
        ]
    )


def too_large_template(lang: str) -> str:
    """The message of an EPW over :data:`dashboards.data.EPW_MAX_BYTES`, which the browser keeps
    (``dcc.Upload(max_size=…)``: the file is never sent, and Dash's Upload tells the server
    nothing of it): the server's own words (:func:`dashboards.data.epw_too_large`) in ``lang``,
    with ``{name}`` and ``{mb}`` for ``assets/upload_size.js`` to fill in as the file is chosen."""
    return views.error_said(data.epw_too_large("{name}", "{mb}"), lang)


def limit_attrs(lang: str) -> Any:
    """The upload message's ``data-limit`` (bytes) and ``data-too-large`` (:func:`too_large_template`),
    read by ``assets/upload_size.js`` (typed Any: Dash types no ``data-*`` keyword)."""
    return {"data-limit": str(data.EPW_MAX_BYTES), "data-too-large": too_large_template(lang)}


BUSY = [
    (Output("sc-text", "readOnly"), True, False),
    (Output("sc-apply", "disabled"), True, False),
    (Output("sc-upload", "disabled"), True, False),
]
"""What Apply and an upload hold while the server checks (Dash's ``running``): the editor, which
their answer rewrites, and the other action, whose answer would carry the scenario of before."""


@callback(
    Output("sc-text", "value"),
    Output("sc-sources", "children"),
    Output("sc-draft-note", "children"),
    Input("scenario", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    State("sc-draft", "data"),
    State("sc-text", "value"),
)
def show(d, lang, session, draft=None, shown=None):
    """The editor, the sources table and the draft note of the applied scenario ``d``.

    The draft is read, not waited for: Apply's refusal writes it with the note and leaves the
    editor as typed; a later answer rewriting the editor would overwrite what was typed since. An
    editor holding a text that is not ``d``'s with no draft kept yet (an upload answered before the
    keystroke's ``typed``: Apply and an upload write the editor with ``d`` in their own answer) is
    left as it is, with its note.
    """
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
    applied = views.scenario_toml(sc, session)
    text = views.draft_of(draft)
    if isinstance(shown, str) and shown and shown not in (applied, text):
        return dash.no_update, table, dash.no_update  # an edit whose draft ``typed`` has not answered yet
    if text is None or text == applied:
        text, note = applied, ""
    else:
        note = draft_note(draft, lang, d, session)
    return dash.no_update if text == shown else text, table, note


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("case", "data", allow_duplicate=True),
    Output("sc-message", "children"),
    Output("sc-draft", "data"),
    Output("sc-text", "value", allow_duplicate=True),
    Output("sc-draft-note", "children", allow_duplicate=True),
    Input("sc-apply", "n_clicks"),
    State("sc-text", "value"),
    State("sc-lang", "data"),
    State("session", "data"),
    State("scenario", "data"),
    State("sc-draft", "data"),
    running=BUSY,
    prevent_initial_call=True,
)
def apply(n, text, lang, session, d=None, draft=None):
    """Apply the editor's text (a draft typed over an older scenario too, as it is): the scenario and
    the editor's text of it in one answer, or the refusal with the text kept as typed (a draft)."""
    if not n:
        return (dash.no_update,) * 6
    new, err = views.apply_toml(text or "", session)
    if err:  # the refused text is kept in the tab (over a reload) as a draft of the applied scenario
        kept = views.draft(text or "", d, refused=True, over=draft)
        note = draft_note(kept, lang, d, session)
        return dash.no_update, dash.no_update, views.error_box(err, lang), kept, dash.no_update, note
    sc = data.from_dict(new)
    shown = views.scenario_toml(sc, session)
    return new, 0, html.Div(t("applied", lang, n=len(sc.cases())), className="ok"), None, shown, ""


def draft_note(kept: dict, lang: str, d: object = None, session: object = None) -> html.Div:
    """The note over a draft (:func:`dashboards.views.draft`): refused by Apply, or not applied yet;
    when the applied scenario ``d`` changed since it was typed (a Green slider, an upload), what
    changed (:func:`dashboards.views.draft_changes`). Its button discards the draft."""
    lines: list[html.Div | html.Button] = [html.Div(t("draft" if kept.get("refused") else "draft_typed", lang))]
    changes = views.draft_changes(kept, d, session)
    if changes is None or changes:
        shown = "; ".join(changes[: views.DRAFT_CHANGES_SHOWN]) if changes else ""
        more = len(changes or ()) - views.DRAFT_CHANGES_SHOWN
        shown += f"; … (+{number(more)})" if more > 0 else ""
        lines.append(html.Div(t("draft_stale", lang, changes=shown) if shown else t("draft_stale_unknown", lang)))
    lines.append(html.Button(t("discard_draft", lang), id="sc-discard", n_clicks=0))
    return html.Div(lines, className="note")


@callback(
    Output("sc-text", "value", allow_duplicate=True),
    Output("sc-draft", "data", allow_duplicate=True),
    Output("sc-draft-note", "children", allow_duplicate=True),
    Input("sc-discard", "n_clicks"),
    State("scenario", "data"),
    State("session", "data"),
    prevent_initial_call=True,
)
def discard(n, d, session):
    """Discard the draft: the editor shows the applied scenario's text again."""
    if not n:
        return (dash.no_update,) * 3
    applied = applied_text(d, session)
    return (dash.no_update if applied is None else applied), None, ""


def applied_text(d: Any, session: Any) -> str | None:
    """The editor's text of the applied scenario ``d`` (None when ``d`` is refused)."""
    try:
        return views.scenario_toml(data.from_dict(d), session)
    except views.USER_ERRORS:
        return None


@callback(
    Output("sc-draft", "data", allow_duplicate=True),
    Output("sc-draft-note", "children", allow_duplicate=True),
    Input("sc-text", "value"),
    State("scenario", "data"),
    State("sc-draft", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    prevent_initial_call=True,
)
def typed(text, d, kept, lang, session):
    """Every edit of the editor is kept in the tab (``sc-draft``, over navigation and a reload)
    until an Apply succeeds; the applied scenario's own text is no draft. The editor itself is
    never written here: the draft is read by ``show`` when the page is drawn again."""
    if not isinstance(text, str):
        return dash.no_update, dash.no_update
    applied = applied_text(d, session)
    if text == applied:
        return (None, "") if kept is not None else (dash.no_update, dash.no_update)
    if views.draft_of(kept) == text:  # the kept draft written back (a page drawn again, Apply's refusal)
        return dash.no_update, dash.no_update
    new = views.draft(text, d, over=kept)
    return new, draft_note(new, lang, d, session)


@callback(
    Output("scenario", "data", allow_duplicate=True),
    Output("sc-upload-message", "children"),
    Output("sc-text", "value", allow_duplicate=True),
    Output("sc-draft-note", "children", allow_duplicate=True),
    Input("sc-upload", "contents"),
    State("sc-upload", "filename"),
    State("scenario", "data"),
    State("sc-lang", "data"),
    State("session", "data"),
    State("sc-draft", "data"),
    State("sc-text", "value"),
    running=BUSY,
    prevent_initial_call=True,
)
def upload(contents, filename, d, lang, session, draft=None, text=None):
    """An EPW as the scenario's weather: the scenario and the editor's text of it in one answer. A
    draft in the editor (its text not the applied scenario's, whether or not ``typed`` has kept it
    in ``sc-draft`` yet) stays as typed, its note saying the applied scenario changed under it."""
    if contents is None:
        return (dash.no_update,) * 4
    new, msg = views.use_uploaded_epw(d, contents, filename, session)
    if new is None:
        return dash.no_update, views.error_box(msg, lang), dash.no_update, dash.no_update
    if isinstance(text, str) and text != applied_text(d, session):
        kept = draft if views.draft_of(draft) == text else views.draft(text, d, over=draft)
        return new, html.Div(msg, className="ok"), dash.no_update, draft_note(kept, lang, new, session)
    return new, html.Div(msg, className="ok"), views.scenario_toml(data.from_dict(new), session), dash.no_update


def download(kind, n, d, case, lang, session):
    """The chosen case's hourly CSV (``kind`` "csv"), NetCDF ("nc") or HTML report ("report")."""
    if not n:
        return dash.no_update, dash.no_update
    try:
        sc, i, ds, _k = views.load_case(d, case, session)
        stem = views.file_stem(sc, i)
        if kind == "csv":
            return dcc.send_bytes(views.csv_bytes(ds), f"{stem}.csv"), ""
        if kind == "nc":
            return dcc.send_bytes(views.netcdf_bytes(ds), f"{stem}.nc"), ""
        html_text = report.build_report(sc, i, lang)
        return dcc.send_string(html_text, f"{stem}-report.html"), ""
    except views.USER_ERRORS as exc:
        return dash.no_update, views.error_box(exc, lang)


def _download_callback(kind: str) -> None:
    @callback(
        Output(f"sc-download-{kind}", "data"),
        Output("sc-dl-message", "children", allow_duplicate=True),
        Input(f"sc-dl-{kind}", "n_clicks"),
        State("scenario", "data"),
        State("case", "data"),
        State("sc-lang", "data"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def send(n, d, case, lang, session):
        return download(kind, n, d, case, lang, session)


for _kind, _ in DOWNLOADS:
    _download_callback(_kind)
