"""The Dash app: a ``use_pages`` shell (one page per audience in ``dashboards/pages``).

State a user changes lives in the browser: the scenario (``dcc.Store`` "scenario", the
mapping of :meth:`twin.Scenario.to_dict`), the chosen case, the language, an editor text not applied
with the scenario it was typed over (``dcc.Store`` "sc-draft", :func:`dashboards.views.draft`) and the
scenario applied before the Green page's sliders moved (``dcc.Store`` "green-undo",
:func:`dashboards.views.undo_step`). The server memoises results in the bounded caches of
:mod:`dashboards.data`, shared by every user; what it keeps per browser tab is which uploads the
tab made (their editor labels), under the tab's random id (``dcc.Store`` "session",
:func:`dashboards.data.new_session`: kept over a reload, copied by a duplicated tab), and which Pareto
frontier each page load's Green page shows (:func:`dashboards.data.frontier_run`), under an id made
when the page loaded (``dcc.Store`` "page-load", in memory: a duplicated tab or a reload makes its own).
Everything the page loads comes from this server: Dash's own scripts (``serve_locally``),
the app's style sheet and the map shapes in ``dashboards/assets``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dash
from dash import Dash, Input, Output, State, ctx, dcc, html

from dashboards import data
from dashboards.catalog import LANGS, t
from twin.core.params import ConfigError

__all__ = ["PAGES", "TOPOJSON_PATH", "bind", "create_app", "serve"]

HERE = Path(__file__).resolve().parent
TOPOJSON_PATH = "assets/topojson/"
"""Where the app serves plotly's map shapes (``asia_50m.json``), relative to its root."""

PAGES = (("overview", "/"), ("cooling", "/cooling"), ("green", "/green"), ("scenario", "/scenario"))

_DEFAULT: dict[str, Any] = {}


def default_scenario_dict() -> dict[str, Any]:
    """The scenario a new browser session starts with (set by :func:`create_app`)."""
    return _DEFAULT["scenario"]


def _shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Store(id="scenario", storage_type="session", data=default_scenario_dict()),
            dcc.Store(id="case", storage_type="session", data=0),
            dcc.Store(id="session", storage_type="session", data=data.new_session()),
            dcc.Store(id="page-load", storage_type="memory", data=data.new_session()),  # this load's own
            dcc.Store(id="lang", storage_type="local", data="en"),
            dcc.Store(id="sc-draft", storage_type="session"),  # restored before a page asks for it
            dcc.Store(id="green-undo", storage_type="session"),  # the scenario before the Green sliders
            html.Header(
                [
                    html.Span(id="app-title", className="app-title"),
                    html.Nav(id="nav", className="nav"),
                    html.Div(
                        [
                            html.Label(id="case-label", htmlFor="case-select"),
                            dcc.Dropdown(id="case-select", clearable=False, className="case-select"),
                        ],
                        className="case-box",
                    ),
                    html.Button(id="lang-toggle", n_clicks=0, className="lang-toggle"),
                ],
                className="topbar",
            ),
            html.Main(dash.page_container, className="main"),
        ]
    )


def create_app(scenario_dict: dict[str, Any] | None = None, url_base: str = "/") -> Dash:
    """Build the app for a scenario mapping (default: the Minning green-power example)."""
    _DEFAULT["scenario"] = scenario_dict or data.default_scenario().to_dict()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        title="PUE twin",
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]  # Dash documents None: no 'Updating…' title
        url_base_pathname=url_base,
        routing_callback_inputs={"lang": Input("lang", "data")},
    )
    app.layout = _shell
    _shell_callbacks(app)
    _not_found(app)
    return app


def _not_found(app: Dash) -> None:
    """A 404 status and a page listing the app's pages for a path that is none of them.

    Dash answers every path with its page shell (status 200) and lets the page router draw
    nothing; this hook on the Flask server checks a page request (a GET or HEAD of a path not
    starting with ``_`` or ``assets/``: Dash's own routes and files pass untouched) against
    ``dash.page_registry`` as Dash's router does (:func:`_is_page`).
    """
    import flask

    base = app.config.url_base_pathname or "/"

    @app.server.before_request
    def _page_or_404():
        path = flask.request.path
        if flask.request.method not in ("GET", "HEAD") or not path.startswith(base):
            return None
        rel = path[len(base) :]
        if rel.startswith(("_", "assets/")) or _is_page(rel.strip("/")):
            return None
        return flask.Response(_not_found_html(app, path), status=404, mimetype="text/html")


def _is_page(path_id: str) -> bool:
    """Whether Dash's page router draws a page for ``path_id`` (a path below the app's base,
    without its outer slashes): a page's ``path`` or ``path_template`` (Dash's own matching,
    ``dash._pages._path_to_page``, where the installed Dash has it) or a ``redirect_from``."""
    try:
        from dash._pages import _path_to_page
    except ImportError:  # pragma: no cover - another Dash: the exact paths
        found = any(path_id == str(page["path"]).strip("/") for page in dash.page_registry.values())
    else:
        found = bool(_path_to_page(path_id)[0])
    redirects = {str(r).strip("/") for page in dash.page_registry.values() for r in page.get("redirect_from") or ()}
    return found or path_id in redirects


def _not_found_html(app: Dash, path: str) -> str:
    """The 404 page: what was asked for and a link to each page, in both languages."""
    from html import escape

    items = "".join(
        f'<li><a href="{escape(app.get_relative_path(p))}">{escape(t(key, "en"))} · {escape(t(key, "zh"))}</a>'
        f" <code>{escape(p)}</code></li>"
        for key, p in PAGES
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not found · PUE twin</title>'
        f'<link rel="stylesheet" href="{escape(app.get_asset_url("style.css"))}"></head>'
        f'<body><main class="main not-found"><h1>404: no page {escape(path)}</h1>'
        f"<p>This app has these pages · 本应用的页面:</p><ul>{items}</ul></main></body></html>"
    )


def _shell_callbacks(app: Dash) -> None:
    @app.callback(
        Output("nav", "children"),
        Output("app-title", "children"),
        Output("lang-toggle", "children"),
        Output("case-label", "children"),
        Input("lang", "data"),
        Input("url", "pathname"),
    )
    def nav(lang: str, pathname: str):
        links = [
            dcc.Link(t(key, lang), href=app.get_relative_path(path), className="nav-link", id=f"nav-{key}")
            for key, path in PAGES
        ]
        return links, t("title", lang), t("lang", lang), t("case", lang)

    @app.callback(
        Output("lang", "data"), Input("lang-toggle", "n_clicks"), State("lang", "data"), prevent_initial_call=True
    )
    def toggle(_n: int, lang: str):
        return LANGS[(LANGS.index(lang if lang in LANGS else "en") + 1) % len(LANGS)]

    @app.callback(
        Output("case-select", "options"),
        Output("case-select", "value"),
        Input("scenario", "data"),
        Input("lang", "data"),
        State("case", "data"),
    )
    def cases(d: dict, lang: str, case: int):
        """The case chooser: every case of the scenario, labelled in the page's language."""
        try:
            labels = data.case_labels(data.from_dict(d), lang if lang in LANGS else "en")
        except ValueError:
            return [], None
        i = case if isinstance(case, int) and 0 <= case < len(labels) else 0
        return [{"label": s, "value": j} for j, s in enumerate(labels)], i

    @app.callback(
        Output("case", "data"), Input("case-select", "value"), State("case", "data"), prevent_initial_call=True
    )
    def pick(i: int | None, case: int | None = None):
        """The chosen case; nothing when it is the one stored (``cases`` wrote it back: a write would
        re-run every page's callbacks of the case a second time)."""
        if ctx.triggered_id is None or i is None or i == case:
            return dash.no_update
        return int(i)


def bind(app: Dash, host: str = "127.0.0.1", port: int = 8050, threads: int = 8):
    """A waitress server for the app, listening on ``host:port`` (ConfigError if it cannot)."""
    from waitress.server import create_server

    os.environ.setdefault("TWIN_THREADS", "1")  # one engine thread per request: the server has many
    try:
        return create_server(app.server, host=host, port=port, threads=threads, ident="twin")
    except ValueError as exc:  # waitress's "Invalid host/port specified." (the port is checked before)
        raise ConfigError(
            f"cannot serve on {host}:{port}: --host {host!r} is not a host name or address this machine can "
            f"bind ({str(exc).rstrip('.')}); give e.g. 127.0.0.1 or 0.0.0.0"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def serve(app: Dash, host: str = "127.0.0.1", port: int = 8050, debug: bool = False, server=None) -> None:
    """Serve with waitress (production WSGI server), or Dash's dev server when ``debug``.

    ``server``: one made by :func:`bind` (already listening), else one is made here.
    """
    if debug:
        app.run(host=host, port=port, debug=True, dev_tools_disable_version_check=True)
        return
    server = server or bind(app, host, port)
    print(f"serving on http://{host}:{port}/ (waitress; Ctrl-C stops)", flush=True)
    server.run()
