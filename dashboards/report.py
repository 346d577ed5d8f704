"""A self-contained HTML report of a scenario: KPI table, key figures, assumptions and sources.

One file: plotly.js is inlined once, every figure is a ``<div>`` drawn by it, the style is in
the page; it makes no request when opened (no map, no web font), so it can be mailed.
"""

from __future__ import annotations

import datetime as _dt
import html as _html

import plotly.offline

import sites
from dashboards import data, figures, views
from dashboards.catalog import (
    TABLE_KPIS,
    WHEN_NONZERO,
    design_label,
    graph_config,
    plotly_locale_script,
    t,
    unit_text,
    with_unit,
)
from twin import Scenario
from twin.core.fmt import number

__all__ = ["build_report"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','Microsoft YaHei',sans-serif;
margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}td.num{text-align:right}
th{background:#f0f4f8}h1{font-size:22px}h2{font-size:18px;margin-top:1.6em}.small{font-size:12px;color:#555}
"""


def _esc(x: object) -> str:
    return _html.escape(str(x))


def _table(header: list[str], rows: list[list[str]], num_from: int = 1, num_to: int | None = None) -> str:
    """An HTML table; columns ``num_from`` up to ``num_to`` (default: the last) are numbers, set right."""
    head = "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"
    last = len(header) if num_to is None else num_to
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{_esc(c)}</td>" if num_from <= j < last else f"<td>{_esc(c)}</td>"
            for j, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"


def build_report(sc: Scenario, case: int = 0, lang: str = "en") -> str:
    """The report of a scenario as one HTML document; figures are those of case ``case``.

    The KPI table covers every case of the scenario (one column each).
    """
    cases = sc.cases()
    labels = data.case_labels(sc, lang)
    results = [data.run_case(sc, i)[1] for i in range(len(cases))]
    kpi_rows = []
    for kpi in TABLE_KPIS:
        if not any(kpi.name in k for k in results):
            continue
        if kpi.name in WHEN_NONZERO and not any(views.value(k, kpi.name) for k in results):
            continue
        heading = with_unit(kpi.label(lang), views.kpi_unit(kpi, results[0], lang), lang)
        kpi_rows.append([heading] + [kpi.format(views.value(k, kpi.name)) for k in results])
    i = case if 0 <= case < len(cases) else 0
    c = cases[i]
    ds, k = data.run_case(sc, i)
    key = str(k["site"].values)
    site = sites.load(key)
    figs = views.case_figures(ds, c.design, key, c.cooling, lang)
    if float(ds["p_green"].max()) > 0 or float(ds["p_discharge"].max()) > 0:
        figs["dispatch"] = figures.dispatch(ds, "week", 172, lang)
        figs["dispatch_year"] = figures.dispatch(ds, "year", 1, lang)
        figs["green_share"] = figures.green_share_heatmap(ds, lang)
    divs = "".join(f.to_html(full_html=False, include_plotlyjs=False, config=graph_config(lang)) for f in figs.values())
    params = views.non_default_params(sc, lang)
    reported = views.reported_rows(k, key, c, lambda: data.storage_co2_avoided(sc, i), lang)
    generated = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    weather = (
        data.public_text(sc.weather.source) if sc.weather.is_file else t("typical_year", lang, seed=sc.weather.seed)
    )
    parts = [
        "<!DOCTYPE html><html lang='" + ("zh" if lang == "zh" else "en") + "'><head><meta charset='utf-8'>",
        f"<title>{_esc(sc.name)} — {_esc(t('title', lang))}</title><style>{_CSS}</style>",
        f"<script type='text/javascript'>{plotly.offline.get_plotlyjs()}\n{plotly_locale_script(lang)}</script>",
        "</head><body>",
        f"<h1>{_esc(sc.name)}: {_esc(t('title', lang))}</h1>",
        f"<p class='small'>{_esc(t('report_meta', lang, when=generated, n=len(cases), weather=weather))}</p>",
        f"<h2>{_esc(t('kpis', lang))}</h2>",
        _table(["", *labels], kpi_rows),
        f"<p class='small'>{_esc(t('kpi_note', lang))}</p>",
        f"<h2>{_esc(site.name)} {_esc(site.name_zh)} · {_esc(design_label(c.design, lang))}</h2>",
        f"<p>{_esc(t('limit', lang))}: {site.policy.pue_limit if site.policy.pue_limit is not None else '–'} "
        f"({_esc(site.policy.basis)}; {_esc(site.policy.source)}). "
        + _esc(
            t(
                "tariff_grid",
                lang,
                price=number(site.tariff.price_cny_per_kwh),
                unit=unit_text("CNY/kWh", lang),
                source=site.tariff.source,
                co2=number(site.grid.co2_kg_per_kwh),
                grid_source=site.grid.source,
            )
        )
        + (f" {_esc(t('sources_text', lang))}" if lang == "zh" else "")
        + "</p>",
    ]
    if reported:
        parts += [
            f"<h2>{_esc(t('reported', lang))}</h2>",
            _table(
                [t(h, lang) for h in ("col_metric", "col_reported", "modelled", "col_what", "col_source")],
                [[r["label"], r["reported"], r["modelled"], r["what"], r["source"]] for r in reported],
                num_from=1,
                num_to=3,  # what and source are text
            ),
        ]
    parts += [
        divs,
        f"<h2>{_esc(t('sources', lang))}</h2>",
        _table(
            [t(f"col_{h}", lang) for h in ("field", "value", "default", "units", "source")],
            [list(r) for r in params],
            num_from=9,
        )
        + (f"<p class='small'>{_esc(t('params_text', lang))}</p>" if lang == "zh" else "")
        if params
        else f"<p>{_esc(t('all_defaults', lang))}</p>",
        f"<h2>{_esc(t('assumptions', lang))}</h2>",
        f"<p class='small'>{_esc(t('assumptions_text', lang, file=f'sites/data/{key}.toml'))}</p>",
        "</body></html>",
    ]
    return "".join(parts)
