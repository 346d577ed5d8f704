"""What the callbacks compute (plain functions), the report, the caches and the CLI commands."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import html
import json
import os
import re
import socket
import threading
from pathlib import Path

import dash
import numpy as np
import pytest
import xarray as xr

import dashboards
import sites
from dashboards import catalog, data, figures, report, views
from tests.conftest import epw_path
from twin.cli import main
from twin.core.params import ConfigError

S = data.new_session()
"""The browser session of this module's uploads and editor texts."""


@pytest.fixture(scope="module")
def example():
    sc = data.default_scenario()
    ds, k = data.run_case(sc, 0)
    return sc, ds, k


def test_apply_toml_gives_the_cli_message(tmp_path, capsys, example):
    sc, _, _ = example
    text = views.scenario_toml(sc, S).replace("utilisation = 0.7", "utilisation = 7.0")
    new, msg = views.apply_toml(text, S)
    assert new is None
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    assert main(["run", str(f), "--no-output"]) == 2
    cli = capsys.readouterr().err.strip()
    assert cli == f"twin: error: {f}: " + msg.removeprefix("scenario: ")
    assert "facility.utilisation = 7.0 is out of range" in msg  # as typed in the editor


def test_apply_toml_round_trips_and_reports_syntax(example):
    sc, _, _ = example
    new, msg = views.apply_toml(views.scenario_toml(sc, S), S)
    assert msg == "" and data.from_dict(new) == sc
    assert views.apply_toml("name = ", S)[1].startswith("scenario: not valid TOML")
    assert "unknown field 'bogus'" in views.apply_toml("bogus = 1", S)[1]


def _one(sc):
    """The scenario's first case alone (no sweep: every slider moves)."""
    return data.case_scenario(sc, 0).to_dict()


def _eight(sc):
    """The newcomer's scenario (session 17): 2 sites × 2 designs × the example's 2 swept storages."""
    return dataclasses.replace(sc, sites=("karamay", "qingyang"), designs=("free_air", "spray"))


def test_with_capacities_keeps_every_case_and_the_sweep(example):
    """A slider step made the chosen case the scenario: the other 7 cases and the sweep were gone
    (newcomer, session 17). The ratings are set for every case; sites, designs, sweep are kept."""
    sc = _eight(example[0])
    c = sc.cases()[3]
    new, err = views.with_capacities(sc.to_dict(), 3, 160, 50, 100, c.storage.energy_mwh)
    assert err == ""
    got = data.from_dict(new)
    assert (got.sites, got.designs, got.sweep) == (sc.sites, sc.designs, sc.sweep)
    assert len(got.cases()) == 8
    assert {(k.pv.capacity_mw, k.wind.capacity_mw, k.storage.power_mw) for k in got.cases()} == {(160.0, 50.0, 100.0)}
    assert [k.storage.energy_mwh for k in got.cases()] == [k.storage.energy_mwh for k in sc.cases()]
    kept, err = views.with_capacities(sc.to_dict(), 0, -5, 0, 0, sc.cases()[0].storage.energy_mwh)
    assert err.startswith("green.pv.capacity_mw = -5 is out of range") and kept == sc.to_dict()


def test_a_swept_rating_is_refused_naming_its_sweep_and_its_slider_is_held(pages, example):
    """Moving the storage-energy slider of a scenario that sweeps it would drop the sweep: it is
    refused in one line naming the swept key and values, and the page holds that slider."""
    sc = _eight(example[0])
    c = sc.cases()[3]
    kept, err = views.with_capacities(sc.to_dict(), 3, 150, 100, 100, c.storage.energy_mwh + 20)
    assert kept == sc.to_dict()
    assert err == (
        "green.storage.energy_mwh is swept by the scenario (sweep.green.storage.energy_mwh = 200, 400); "
        "change it in the Scenario editor"
    )
    assert "在情景的扫描中" in str(views.error_box(err, "zh"))
    zh = catalog.error_text(views.swept_ratings(sc)["storage_mwh"].error, "zh")[0]  # by its slider's Chinese name
    assert zh == "储能容量在情景的扫描中（sweep.green.storage.energy_mwh = 200, 400）；请在“情景”页修改它", zh
    browser = _as_a_browser_sends(sc.to_dict())  # the page's copy: 200.0 read from the file is 200
    assert views.with_capacities(browser, 3, 150, 100, 100, c.storage.energy_mwh + 20)[1] == err
    *held, note = pages["green"].held_sliders(sc.to_dict(), "en")
    assert held == [False, False, False, True] * 2
    assert note[0].children == err and note[0].className == "note"  # a note, not an error: nothing failed
    assert "every case" in note[1].children
    assert (
        "sweep.green.storage.energy_mwh = 200, 400" in pages["green"].held_sliders(sc.to_dict(), "zh")[-1][0].children
    )
    *held, note = pages["green"].held_sliders(data.case_scenario(sc, 0).to_dict(), "en")
    assert held == [False] * 8 and note == []


def test_a_slider_step_keeps_the_applied_scenario_and_the_chosen_case(pages, example):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    sc = _eight(example[0])
    c = sc.cases()[3]
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "green-pv.value", "value": 160.0}]))
    new, shown, _ = pages["green"].resize(160.0, 100.0, 100.0, c.storage.energy_mwh, sc.to_dict(), 3, "en")
    assert shown == "" and len(data.from_dict(new).cases()) == 8 and data.from_dict(new).sweep == sc.sweep
    assert data.from_dict(new).cases()[3].pv.capacity_mw == 160.0


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("700", "“PV, MW” = 700 is out of range; allowed 0 … 600 MW"),
        ("-10", "“PV, MW” = -10 is out of range; allowed 0 … 600 MW"),
        ("155", "“PV, MW” = 155 is not a step of its slider; allowed 0 … 600 MW in steps of 10 MW"),
        ("0.5", "“PV, MW” = 0.5 is not a step of its slider; allowed 0 … 600 MW in steps of 10 MW"),
        ("abc", "“PV, MW” must be a number, got 'abc'; allowed 0 … 600 MW"),
        (
            "1e400",
            "“PV, MW” must be finite, got 1e400 (beyond ±1.8e308, the largest number); allowed 0 … 600 MW",
        ),
        ("", "“PV, MW” must be given (no value)"),
    ],
)
def test_a_rating_box_refuses_what_its_slider_cannot_take_as_typed(pages, typed, said):
    """The box beside each Green slider clamped or rounded what was typed and re-ran the year at
    that value (700 → 600, 155 → 160, abc → 0 MW PV), or showed 700 beside 150 MW's results.
    A value the slider cannot take is one line beside the box, and the slider is not moved."""
    value, shown = pages["green"].BOXES["pv_mw"][0](typed, 150.0, "en")
    assert value is dash.no_update
    assert str(shown.children) == f"Error: {said}. Not applied: it stays at 150 MW."
    zh = pages["green"].BOXES["pv_mw"][0](typed, 150.0, "zh")[1].children
    assert zh.startswith(catalog.t("error_said", "zh") + ":") and "“光伏 MW”" in zh, zh


def test_a_rating_box_sets_its_slider_and_follows_it(pages):
    typed, shown = pages["green"].BOXES["storage_mwh"]
    assert typed("440", 200.0, "en") == (440.0, "")
    assert typed(" 200 ", 200.0, "en") == (dash.no_update, "")
    assert typed("1e2", 200.0, "en") == (100.0, "")
    assert "in steps of 20 MWh" in str(typed("430", 200.0, "en")[1].children)
    assert shown(440.0, "440") == (dash.no_update, dash.no_update)  # what is typed is not written over
    assert shown(440.0, "700") == ("440", "")  # the slider moved after a refused value: the box follows
    assert shown(None, "") == (dash.no_update, dash.no_update)


def _as_a_browser_sends(x):
    """``x`` as it comes back from a browser store: JSON, with a whole-number float as an int."""
    if isinstance(x, dict):
        return {k: _as_a_browser_sends(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_as_a_browser_sends(v) for v in x]
    return int(x) if isinstance(x, float) and x.is_integer() else x


def test_undo_is_shown_for_a_scenario_that_went_through_the_browser(pages, example):
    """Undo never appeared in a browser (review 17): the store's key of the sliders' scenario was
    the server's (``12.0``), the scenario the browser sent back keyed as ``12``."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    sc = _eight(example[0])
    d, e = sc.to_dict(), sc.cases()[3].storage.energy_mwh
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "green-pv.value", "value": 160.0}]))
    one, _, kept = pages["green"].resize(160.0, 100.0, 100.0, e, d, 3, "en")
    one, kept = _as_a_browser_sends(one), _as_a_browser_sends(kept)
    server = pages["green"].resize(160.0, 100.0, 100.0, e, d, 3, "en")[0]
    assert json.dumps(one, sort_keys=True) != json.dumps(server, sort_keys=True)  # the round trip changed its text
    assert pages["green"].undo_shown(one, kept) == {"display": "inline-block"}
    two, _, kept = pages["green"].resize(160.0, 120.0, 100.0, e, one, 3, "en", kept)
    two, kept = _as_a_browser_sends(two), _as_a_browser_sends(kept)
    assert pages["green"].undo(1, two, 3, kept)[0] == _as_a_browser_sends(d)  # before the first move


def test_a_rating_box_does_not_refuse_the_slider_s_own_value(pages):
    """A scenario applied with 1,000 MW of PV (beyond the slider's 600) showed `… = 1000 is out of
    range` under the box as soon as the page wrote the slider's value into it (review 17)."""
    typed, shown = pages["green"].BOXES["pv_mw"]
    text = shown(1000.0, "")[0]
    assert text == "1000" and typed(text, 1000.0, "en") == (dash.no_update, "")
    assert "out of range" in str(typed("1001", 1000.0, "en")[1].children)  # what is typed is checked


def test_the_slider_s_own_box_is_off(pages):
    layout = pages["green"].layout("en")
    sliders = [c for c in _walk(layout) if type(c).__name__ == "Slider"]
    assert len(sliders) == 4 and all(s.allow_direct_input is False for s in sliders)


def _walk(c):
    yield c
    kids = getattr(c, "children", None)
    for k in kids if isinstance(kids, list | tuple) else [kids] if kids is not None else []:
        if hasattr(k, "to_plotly_json"):
            yield from _walk(k)


def test_kpi_cards_and_policy(example):
    _, _, k = example
    cards = views.kpi_cards(k)
    text = str(cards)
    assert "Green share, physical hourly" in text and "24/7 CFE score" in text and f"{float(k['pue']):.3f}" in text
    badge = str(views.policy_badge(k, "yinchuan"))
    assert "meets the limit" in badge and "1.2" in badge
    assert "满足限值" in str(views.policy_badge(k, "yinchuan", "zh"))


def test_reported_figures_beside_the_model():
    k = data.study()
    kk = k.isel(case=int(np.argmax((k["site"].values == "karamay") & (k["design"].values == "free_air"))))
    rows = views.reported_rows(kk, "karamay")
    pue = next(r for r in rows if r["metric"] == "pue")
    assert (
        pue["reported"] == "1.08"
        and pue["modelled"] == f"{float(kk['pue']):.3f}"
        and pue["source"] == "Karamay2025"  # a key of docs/references.md
    )


def test_comparison_rows_rank_and_latency(example):
    sc, _, _ = example
    rows = views.comparison_rows(data.comparison(sc, 0), "pue")
    pues = [r["pue"] for r in rows]
    assert pues == sorted(pues) and len(rows) == len(data.sites.available())
    q = next(r for r in rows if r["key"] == "qingyang")
    assert "Beijing-Tianjin-Hebei 8 ms (Qingyang2025b)" in q["latency"]
    assert "Shenzhen" in next(r for r in rows if r["key"] == "guian")["latency"]
    green = views.comparison_rows(data.comparison(sc, 0), "green_share_hourly")
    assert [r["green_share_hourly"] for r in green] == sorted((r["green_share_hourly"] for r in green), reverse=True)


def test_compute_cost_by_hand(example):
    _, _, k = example
    per_pflop, per_mtok = views.compute_cost(k, 320.0, 140.0)
    assert per_pflop == pytest.approx(float(k["cost_total"]) / (float(k["compute_delivered"]) * 320.0))
    # 1 PFLOP-h = 3.6e18 FLOP = 3.6e18 / 1.4e11 tokens
    assert per_mtok == pytest.approx(per_pflop * 1e6 * 1.4e11 / 3.6e18)
    assert views.compute_cost(k, 0.0, 140.0)[0] != views.compute_cost(k, 0.0, 140.0)[0]  # NaN


def test_every_number_a_page_shows_is_the_project_formatters(example):
    """The cards, tables and notes wrote numbers with Python's own format specs beside
    :func:`weather.fmt.number`: a store of 1,636.7 MWh was "1,637 MWh" (4 significant digits), hours
    out of the envelope "1234 h" beside "1,234 MWh", a parameter of 12345.67 kW "12345.7"."""
    sc, _, _ = example
    case = dataclasses.replace(sc.cases()[0], storage=dataclasses.replace(sc.storage, energy_mwh=1636.7))
    rows = {r["metric"]: r["modelled"] for r in views.reported_rows(data.run_case(sc, 0)[1], "yinchuan", case)}
    assert rows["storage_energy"] == "1,636.7 MWh" and rows["storage_power"] == "100 MW"
    assert catalog.KPI_BY_NAME["hours_out_of_envelope"].format(1234.0) == "1,234"
    assert catalog.KPI_BY_NAME["pue"].format(1.23456) == "1.235"
    assert catalog.KPI_BY_NAME["co2"].format(70252.4) == "70,252"
    odd = dataclasses.replace(sc, facility=dataclasses.replace(sc.facility, it_capacity_kw=12345.67))
    assert {r[0]: r[1] for r in views.non_default_params(odd)}["facility.it_capacity_kw"] == "12345.67"
    assert views.amount(1234.5678) == "1,234.57" and views.amount(2.5e-9) == "2.5e-09"


OWN_FORMAT = "# own number format: "
"""The marker on a line of dashboards/ that writes a number with a format of its own, followed by why."""

_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?#?0?\d*([,_])?(\.\d+)?([bcdeEfFgGnoxX%])?")
_FIELD = re.compile(r"\{[\w.\[\]]*(?:![rsa])?:((?:[^{}]|\{[\w.\[\]]*\})*)\}")
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")


def _own_spec(text: str) -> bool:
    """Whether a format spec (``.1f``; a nested field such as ``.{p}f`` read as a number) has
    grouping, a precision or a number's presentation type."""
    m = _SPEC.fullmatch(re.sub(r"\{[^{}]*\}", "0", text))
    return m is not None and any(m.groups())


def _own_printf(text: str) -> bool:
    """Whether a ``%`` format has a conversion with a precision or a float's type (``%.1f``, ``%g``)."""
    return any("." in c or c[-1] in "eEfFgG" for c in _PRINTF.findall(text))


def own_number_formats(source: str, name: str = "source") -> list[str]:
    """Where ``source`` writes a number with a format of its own: an f-string's spec, a ``{…:spec}``
    field of a text (``str.format``, a ``!s``/``!r`` conversion too), ``format(v, spec)`` and
    ``"%.1f" % v``, but on lines marked :data:`OWN_FORMAT`."""
    import ast

    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        said: list[str] = []
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.format_spec.values)
            said += [f"f-string :{spec}"] if _own_spec(spec) else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            said += [f":{x}" for x in _FIELD.findall(node.value) if _own_spec(x)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "format":
            spec = node.args[1] if len(node.args) > 1 else None
            said += ["format()"] if not isinstance(spec, ast.Constant) or _own_spec(str(spec.value)) else []
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
            said += [f"% {node.left.value!r}"] if _own_printf(str(node.left.value)) else []
        if said and not any(OWN_FORMAT in lines[n - 1] for n in range(node.lineno, (node.end_lineno or 0) + 1)):
            found += [f"{name}:{node.lineno}: {x}" for x in said]
    return found


def test_no_page_formats_a_number_with_its_own_spec():
    """One formatter of numbers on the pages (weather.fmt.number, through the catalog's KPIs): no
    format of its own in dashboards/ (``f"{x:,.0f}"``, ``"{:,.0f}"``, ``f"{v:g}"`` wrote the Green
    page's box, review 17 #4; ``:.1f``, ``:.3``, ``:e``, ``:%``, ``format(v, ".1f")``, ``"%.1f" % v``),
    but on a line marked :data:`OWN_FORMAT` with why (not a whole function by its name: review 18a #6)."""
    found, marked = [], 0
    for path in Path(dashboards.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found += own_number_formats(text, path.name)
        marked += text.count(OWN_FORMAT)
    assert found == []
    assert marked == 2  # data.case_labels' 12 digits, views.amount's 3 beyond a billion


@pytest.mark.parametrize(
    "line",
    [
        'f"{n:,d}"',
        'f"{n:_x}"',
        'f"{v:g}"',
        'f"{v:,}"',
        'f"{v:.3}"',
        'f"{v:.{p}f}"',
        'f"{v!s:.2f}"',
        '"{v!s:.2f}".format(v=v)',
        '"{:.{}f}".format(v, 2)',
        'format(v, ".1f")',
        "format(v, spec)",
        '"%.1f" % v',
        '"%(v)g" % {"v": v}',
    ],
)
def test_the_number_format_scan_finds_each_form(line):
    """Each form of a number's own format is found, and a marked line is not."""
    assert own_number_formats(f"x = {line}\n") != []
    assert own_number_formats(f"x = {line}  {OWN_FORMAT}why\n") == []
    assert own_number_formats('x = f"{v} {v:>8} {v!r}" + "{} %s %d" % (v, n)\n') == []


def test_the_messages_doc_lists_every_kind_and_part_the_catalogue_says():
    """docs/dashboard-messages.md did not list session 16's refusals and parts said in Chinese (a
    former server's upload label, a forged session, a year's length hint, a missing file's kind): it
    is written from the code and the catalogue (``python -m tests.dashboards.messages_doc``)."""
    from tests.dashboards import messages_doc

    doc = messages_doc.DOC.read_text(encoding="utf-8")
    assert set(messages_doc.WHEN) == set(catalog.ERRORS_ZH)
    assert [k for k in catalog.ERRORS_ZH if f"| `{k}` | {messages_doc.WHEN[k]} |" not in doc] == []
    words = [(part, en, zh) for part, said in catalog._PARTS_ZH.items() for en, zh in said.items()]
    assert [w for w in words if "| `{}` | {} | {} |".format(*w) not in doc] == []
    raised = {k for r in messages_doc.walk() for k in r.kinds} - {messages_doc.KEPT}
    assert raised == set(catalog.ERRORS_ZH)  # every kind the code gives is said, every one said is given
    assert messages_doc.main(["--check"]) == 0, "run python -m tests.dashboards.messages_doc"


def test_non_default_parameters_carry_their_source(example):
    sc, _, _ = example
    rows = {r[0]: r for r in views.non_default_params(sc)}
    assert rows["facility.it_capacity_kw"][1] == "50000"
    assert rows["green.pv.capacity_mw"][4]
    assert "sweep.green.storage.energy_mwh" in rows
    assert "facility.idle_fraction" not in rows  # left at its default
    shown = {r[3] for r in rows.values()}
    assert not shown & {"m s-1", "MW h", "degC", "1"}  # units as the tables show them (m/s, MWh, °C)
    assert all(r[2] != "None" for r in rows.values())  # an inherited default is the site's, not "None"


def test_report_shows_heat_reuse_and_fluid_rows_only_when_there_are_some():
    from twin import Scenario
    from twin.building.heat_reuse import HeatReuseParams

    sc = Scenario(sites=("qingyang",), designs=("immersion_1p",), heat_reuse=HeatReuseParams(demand_base_kw=500.0))
    text = report.build_report(sc, 0)
    assert "Energy reuse factor ERF" in text and "Coolant fluid lost" in text and "Server capex" in text
    plain = report.build_report(Scenario(sites=("qingyang",), designs=("free_air",)), 0)
    assert "Energy reuse factor ERF" not in plain and "Coolant fluid lost" not in plain


def _data_url(b: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(b).decode()


def test_malformed_epw_upload_is_a_message(example):
    sc, _, _ = example
    d = sc.to_dict()
    bad = b"LOCATION,Nowhere,,,,000000,35,107,8,1400\n" + b"x\n" * 7 + b"2021,1,1,1,0,?,1,2\n"
    new, msg = views.use_uploaded_epw(d, _data_url(bad), "bad.epw", S)
    assert new is None and msg.startswith("bad.epw: line 9 has")
    new, msg = views.use_uploaded_epw(d, _data_url(b"hello"), "x.epw", S)
    assert new is None and "not an EPW file" in msg
    new, msg = views.use_uploaded_epw(d, "data:;base64,@@@", "y.epw", S)
    assert new is None and "could not be decoded" in msg
    new, msg = views.use_uploaded_epw(d, _data_url(b"0" * (data.EPW_MAX_BYTES + 1)), "big.epw", S)
    assert new is None and "too large" in msg
    two = {**d, "sites": ["karamay", "qingyang"]}
    new, msg = views.use_uploaded_epw(two, _data_url(bad), "bad.epw", S)
    assert new is None and "one site" in msg


def test_real_epw_upload_becomes_the_weather(example):
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes()
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "yinchuan.epw", S)
    assert new is not None, msg
    assert "8760 h" in msg
    assert data.from_dict(new).weather.is_file


def test_csv_and_netcdf_downloads(example):
    _, ds, _ = example
    head = views.csv_bytes(ds).split(b"\n", 1)[0].decode()
    assert "p_facility" in head
    assert views.netcdf_bytes(ds)[:4] == b"\x89HDF"


def test_report_is_self_contained(example):
    sc, _, k = example
    text = report.build_report(sc, 0)
    assert text.count("<script type='text/javascript'>") == 1  # plotly.js inlined once
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)  # nothing loaded from elsewhere
    assert f"{float(k['pue']):.3f}" in text and "green.pv.capacity_mw" in text
    assert text.count("plotly-graph-div") >= 5
    assert "年均 PUE" in report.build_report(sc, 0, "zh")


def test_lru_is_bounded_and_computes_once():
    cache = data.LRU(2)
    calls = []

    def make(x):
        def f():
            calls.append(x)
            return x * 2

        return f

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("a", make(1)))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [2] * 8 and calls == [1]
    cache.get("b", make(2))
    cache.get("c", make(3))
    assert len(cache) == 2
    cache.get("a", make(1))
    assert calls == [1, 2, 3, 1]


def test_cli_report_and_dash_errors(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "examples/karamay_free_air.toml", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", "examples/karamay_free_air.toml", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["report", "missing.toml", "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error: missing.toml") and err.count("\n") == 1
    assert main(["dash", "missing.toml"]) == 2
    with pytest.raises(SystemExit) as exit_:  # an argparse type: the range in the one line
        main(["dash", "--port", "70000"])
    assert exit_.value.code == 2 and "--port: 70000 is outside 1 … 65535" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dash", "--port", str(port)]) == 2  # fails before computing anything
    assert capsys.readouterr().err == f"twin: error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
    assert (
        main(["dash", "--host", "999.1.1.1", "--port", str(port)]) == 2
    )  # not an address: waitress's text said only that
    assert capsys.readouterr().err == (
        f"twin: error: cannot serve on 999.1.1.1:{port}: --host '999.1.1.1' is not a host name or address this "
        "machine can bind (Invalid host/port specified); give e.g. 127.0.0.1 or 0.0.0.0\n"
    )


def test_frontier_is_computed_on_request_and_drawn_from_the_cache(example):
    import xarray as xr

    sc, _, _ = example
    assert data.frontier(sc, 0, compute=False) is None  # never computed behind the user's back
    targets = np.asarray(data.FRONTIER_TARGETS)
    cost = np.array([[10.0, 11.0, 13.0, 16.0, 20.0]]) * 1e6
    fake = xr.Dataset(
        {
            "cost": (("design", "target"), cost),
            "marginal_cost": (("design", "target"), np.c_[[np.nan], np.diff(cost) / 10.0]),
            **{
                k: (("design", "target"), np.ones_like(cost)) for k in ("pv_mw", "wind_mw", "storage_mw", "storage_mwh")
            },
        },
        coords={"design": ["free_air"], "target": targets},
        attrs={"target_kind": "hourly"},
    )
    data._FRONTIERS.get(data._frontier_case(sc, 0)[1], lambda: fake)
    got = data.frontier(sc, 0, compute=False)
    assert got is fake
    fig = figures.pareto_frontier(got)
    line = next(tr for tr in fig.data if tr.type == "scatter")
    assert list(line.x) == pytest.approx(list(targets * 100)) and list(line.y) == pytest.approx(list(cost[0] / 1e6))


def test_unknown_page_is_a_404_for_get_and_head_and_dash_routes_pass(monkeypatch):
    """The 404 hook matches pages as Dash's router does: paths, path templates, redirects."""
    import dash

    from dashboards.app import create_app

    client = create_app().server.test_client()
    for path in ("/", "/green", "/green/", "/cooling", "/_dash-layout", "/assets/style.css"):
        assert client.get(path).status_code == 200, path
        assert client.head(path).status_code == 200, path
    for path in ("/nope", "/Green", "/cooling/nope"):
        assert client.get(path).status_code == 404, path
        assert client.head(path).status_code == 404, path
    monkeypatch.setitem(
        dash.page_registry,
        "pages.tmp_report",
        {"path": "/report/none", "path_template": "/report/<site>", "redirect_from": ["/old-report"]},
    )
    assert client.head("/report/karamay").status_code != 404
    assert client.get("/old-report").status_code != 404
    assert client.get("/reports/karamay").status_code == 404


def test_report_sets_numbers_right_and_text_left():
    """The report's tables: the sources' reported and modelled figures are numbers (set right),
    what was reported and its source are text (set left)."""
    html = report._table(
        ["metric", "reported", "modelled", "what", "source"], [["pue", "1.08", "1.098", "new", "K"]], 1, 3
    )
    assert "<td>pue</td><td class='num'>1.08</td><td class='num'>1.098</td><td>new</td><td>K</td>" in html
    assert report._table(["a", "b"], [["x", "1"]]).endswith("<td>x</td><td class='num'>1</td></tr></table>")


@pytest.fixture(scope="module")
def pages():
    """The app's page modules, as Dash imports them (their callbacks are called directly)."""
    import sys

    from dashboards.app import create_app

    create_app()
    return {name: sys.modules[f"pages.{name}"] for name in ("overview", "cooling", "green", "scenario")}


@pytest.mark.parametrize(
    ("pflop", "gflop", "field", "said"),
    [
        (0, 140, "pflop_h_per_mwh", "= 0 is out of range; allowed 1 … 100,000 PFLOP-h/MWh"),
        (-1, 140, "pflop_h_per_mwh", "= -1 is out of range; allowed 1 … 100,000 PFLOP-h/MWh"),
        (1e-300, 140, "pflop_h_per_mwh", "= 1e-300 is out of range"),
        (1e300, 140, "pflop_h_per_mwh", "= 1e+300 is out of range"),
        (None, 140, "pflop_h_per_mwh", " must be given"),
        (320, 0, "gflop_per_token", "= 0 is out of range; allowed 0.001 … 1,000,000 GFLOP"),
        (320, 1e300, "gflop_per_token", "= 1e+300 is out of range"),
    ],
)
def test_compute_cost_inputs_are_checked_as_parameters(pages, example, pflop, gflop, field, said):
    """Overview: an input out of its declared range is a message beside it (field, value, allowed),
    and the costs are shown at that box's value applied before, on a page just drawn its default,
    which the message names (never nan, never a 300-digit number, never a silent 0.00; Review 19b
    #6: they went blank, "–")."""
    sc, _, k = example
    out = pages["overview"].render(sc.to_dict(), 0, pflop, gflop, "en")
    errors = {"pflop_h_per_mwh": out[5], "gflop_per_token": out[6]}
    label = {name: en for name, en, _ in catalog.COMPUTE_ASSUMPTIONS}[field]
    assert f"“{label}” {said.lstrip()}" in str(errors[field])
    default = {"pflop_h_per_mwh": "320 PFLOP-h/MWh", "gflop_per_token": "140 GFLOP"}[field]
    assert str(errors[field].children).endswith(f"Not applied: it stays at {default}.")
    assert all(e == "" for name, e in errors.items() if name != field)
    used = {"pflop_h_per_mwh": pflop, "gflop_per_token": gflop, field: float(default.split()[0])}
    per_pflop, per_mtok = views.compute_cost(k, used["pflop_h_per_mwh"], used["gflop_per_token"])
    assert out[4].children[0].children.startswith(views.amount(per_pflop) + " ")
    assert out[4].children[2].children.startswith(views.amount(per_mtok, 4) + " ")
    assert "nan" not in out[4].children[0].children + out[4].children[2].children


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_compute_assumption_keeps_the_value_applied_before(pages, example, lang):
    """A refused box of the Overview showed the costs at the box's default, not at the value the
    user had applied before (640 PFLOP-h/MWh typed, then 0 refused: the costs went back to 320
    while the box said it was not applied). The costs keep the last applied value, and the
    message says it stays at that value."""
    sc, _, k = example
    overview = pages["overview"]
    first = overview.render(sc.to_dict(), 0, "640", "70", lang, S, None)
    applied = first[-1]
    assert applied == {"pflop_h_per_mwh": 640.0, "gflop_per_token": 70.0}
    out = overview.render(sc.to_dict(), 0, "0", "70", lang, S, applied)
    per_pflop, per_mtok = views.compute_cost(k, 640.0, 70.0)
    assert out[4].children[0].children.startswith(views.amount(per_pflop) + " ")
    assert out[4].children[2].children.startswith(views.amount(per_mtok, 4) + " ")
    assert out[4].children[0].children == first[4].children[0].children
    assert str(out[5].children).endswith(catalog.t("refused_kept", lang, value="640 PFLOP-h/MWh"))
    assert out[-1] is dash.no_update  # still 640 and 70
    again = overview.render(sc.to_dict(), 0, "0", "35", lang, S, applied)  # the other box applied meanwhile
    assert again[-1] == {"pflop_h_per_mwh": 640.0, "gflop_per_token": 35.0}
    assert overview.last_applied({"pflop_h_per_mwh": "1e400", "gflop_per_token": None}) == overview.APPLIED


def test_compute_cost_results_never_blow_up_the_layout(pages, example):
    sc, _, k = example
    for pflop, gflop in ((1, 1e6), (1e5, 0.001), (320, 140)):
        out = pages["overview"].render(sc.to_dict(), 0, pflop, gflop, "en")
        assert out[5] == out[6] == ""
        for span in (out[4].children[0], out[4].children[2]):
            number = span.children.split(" ")[0]
            assert len(number) <= 15 and number != "–", number
    per_pflop, _ = views.compute_cost(k, 320.0, 140.0)
    assert views.amount(per_pflop) == f"{per_pflop:,.2f}"
    assert [views.amount(v) for v in (1e-300, 1e300, 123456.789, float("nan"), float("inf"), 0.0)] == [
        "1e-300",
        "1e+300",
        "123,456.79",
        "–",
        "–",
        "0.00",
    ]


@pytest.mark.parametrize(
    ("start", "said"),
    [
        (0, "= 0 is out of range"),
        (-5, "= -5 is out of range"),
        (367, "= 367 is out of range"),
        (1.5, "must be a whole number, got 1.5"),
        (1e300, "must be a whole number, got 1e+300"),
        (None, "must be given"),
    ],
)
def test_start_day_box_says_what_is_allowed(pages, example, start, said):
    sc, _, _ = example
    out = pages["green"].render(sc.to_dict(), 0, "week", start, "en")
    msg = str(out[4])
    assert f"“first day of year” {said}" in msg, msg
    if start is not None:  # Review 19b #2: the year's range (2021: 365 days), as a day beyond it is refused with
        assert out[4].children.endswith("allowed 1 … 365. Not applied.") and "366" not in msg.replace("367", ""), msg
    assert "first day of year" in out[1].layout.annotations[0].text  # the plot says it too, drawn from no day
    ok = pages["green"].render(sc.to_dict(), 0, "week", 200, "en")
    assert ok[4] == "" and ok[1].data


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_start_day_beyond_the_year_is_refused_and_a_moved_window_is_said(pages, example, lang):
    """Newcomer 19 #5: 366 in a 365-day year was taken and the week moved back to 25 December with
    no word; a window running past the year's end is moved back, and says so."""
    sc, ds, _ = example
    n, year = ds.sizes["time"] // 24, int(ds["time"].dt.year.values[0])
    assert n == 365  # the default typical year
    out = pages["green"].render(sc.to_dict(), 0, "week", str(n + 1), lang)
    said = {
        "en": f"dispatch_plot.start_day = {n + 1} is beyond the {n} days of {year}; allowed 1 … {n}",
        "zh": f"dispatch_plot.start_day = {n + 1} 超出 {year} 年的 {n} 天；允许 1 … {n}",
    }[lang]
    boxed = said.replace("dispatch_plot.start_day", f"“{catalog.t('start_day', lang)}”")  # the box: its label
    assert f"{boxed}{catalog.t('refused', lang)}" in str(out[4]) and "error" in str(out[4]), out[4]
    for typed in ("0", "abc", "1e400"):  # Review 19b #2: one range for the box, no English "day" in Chinese
        refused = str(pages["green"].render(sc.to_dict(), 0, "week", typed, lang)[4])
        assert f"1 … {n}{catalog.t('refused', lang)}" in refused and "366" not in refused, refused
    drawn = out[1].layout.annotations[0].text  # the chart says it too, wrapped
    assert boxed.replace(" ", "") in drawn.replace("<br>", "").replace(" ", "")
    for view, start, shown in (("week", n - 5, n - 6), ("month", n - 10, n - 29)):
        out = pages["green"].render(sc.to_dict(), 0, view, str(start), lang)
        note = catalog.t("start_moved", lang, span=catalog.t(view, lang), day=start, year=year, days=n, shown=shown)
        assert out[4].children == note and out[4].className == "note", out[4]
        assert str(out[1].data[0].x[0]).startswith(str(ds["time"].values[(shown - 1) * 24])[:13])
    assert pages["green"].render(sc.to_dict(), 0, "week", str(n - 6), lang)[4] == ""  # the last week as typed


def test_the_year_view_reads_no_start_day(pages, example):
    """Newcomer 19 #5: in the year view a bad start-day box replaced the year chart with an error,
    though the year view starts on 1 January."""
    sc, _, _ = example
    for typed in ("abc", "0", "1e400"):
        out = pages["green"].render(sc.to_dict(), 0, "year", typed, "en")
        assert out[4] == "" and out[1].data and not out[1].layout.annotations, typed
    assert "must be a whole number" in str(pages["green"].render(sc.to_dict(), 0, "week", "abc", "en")[4])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_frontier_says_it_sizes_the_plant_itself(pages, lang):
    """Newcomer 19 #3b: the frontier, labelled with the case (``energy_mwh=200``), sizes PV, wind
    and storage freely; the note beside it says the case's ratings are not used."""
    notes = [c for c in _walk(pages["green"].layout(lang)) if getattr(c, "id", None) == "green-pareto-free"]
    assert len(notes) == 1 and notes[0].children == catalog.t("pareto_free", lang)
    assert ("ratings (its sliders) are not used" if lang == "en" else "不使用本工况的额定值") in notes[0].children


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cooling_page_says_its_load_is_utilisation_not_occupancy(pages, lang):
    """Newcomer 20 #7: chilled water's PUE falling with utilisation surprised an engineer who read
    the load as a half-filled hall; the Cooling page says which load it is, and names occupancy."""
    hints = [
        c for c in _walk(pages["cooling"].layout(lang)) if getattr(c, "children", None) == catalog.t("load_hint", lang)
    ]
    assert len(hints) == 1
    assert "facility.utilisation" in hints[0].children and "facility.occupancy" in hints[0].children
    assert ("not occupancy" if lang == "en" else "而非上架率") in hints[0].children


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_epw_over_the_limit_is_said_in_the_servers_words(pages, lang):
    """Newcomer 19 #1: the browser keeps a file over the limit (``dcc.Upload(max_size=…)``); the
    message its script fills in is the one the server gives for a file it is sent."""
    scenario = pages["scenario"]
    box = next(c for c in _walk(scenario.layout(lang)) if getattr(c, "id", None) == "sc-upload-message")
    attrs = box.to_plotly_json()["props"]
    assert attrs["data-limit"] == str(data.EPW_MAX_BYTES)
    with pytest.raises(Exception) as refused:
        data.upload_epw(b"x" * 7_000_000, "big.epw", session=S)
    filled = attrs["data-too-large"].replace("{name}", "big.epw").replace("{mb}", "7.0")
    assert filled == views.error_said(refused.value, lang)
    assert filled.startswith({"en": "Error: big.epw: 7.0 MB is too large", "zh": "错误: big.epw：7.0 MB 过大"}[lang])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_reported_table_names_its_metrics(example, lang):
    """Newcomer 19 #6: the table showed the site file's ids (``storage_power``) on both pages."""
    sc, _, k = example
    rows = {r["metric"]: r["label"] for r in views.reported_rows(k, "yinchuan", sc.cases()[0], lambda: 0.0, lang)}
    assert rows["storage_power"] == {"en": "Storage power", "zh": "储能功率"}[lang]
    assert rows["households_served"] == {"en": "Households served", "zh": "可供电户数"}[lang]
    used = {r.metric for key in sites.available() for r in sites.load(key).reported}
    assert used <= set(catalog.METRIC_LABELS)  # every built-in site's metric has a name in both languages
    assert catalog.metric_label("my_own_metric", lang) == "my_own_metric"


def test_the_site_comparison_gives_units_and_names_the_site_off_the_map(pages, example):
    """Newcomer 19 #6: no units in the headers (``74.1`` with no ``%``), Dulles ranked but not on
    the China map with no word."""
    sc, _, _ = example
    for lang, co2, share in (("en", "CO2 from grid power, t", "Green share, physical hourly, %"), ("zh", "，t", "，%")):
        fig, shown = pages["overview"].comparison(sc.to_dict(), 0, "pue", lang)
        table, note = shown
        heads = [str(h.children) for h in table.children[0].children]
        assert any(h.endswith(co2) for h in heads) and any(h.endswith(share) for h in heads), heads
        assert any(h.endswith(", CNY/MWh compute" if lang == "en" else "，元/MWh 算力") for h in heads), heads
        if lang == "zh":  # Review 19b #7: ", " and "CNY" beside the compute line's "元/PFLOP·h"
            assert any(h.endswith("，元/MWh") for h in heads) and not any(", " in h or "CNY" in h for h in heads), heads
        assert note.id == "ov-off-map" and "Washington Dulles" in note.children
        assert note.children == catalog.t(
            "off_map", lang, names="Washington Dulles (US coastal reference) 华盛顿杜勒斯（美国沿海参照）"
        )
        mapped = [n for trace in fig.data for n in (trace.text or ()) if isinstance(n, str)]
        assert not any("Dulles" in n for n in mapped)


def test_equal_green_share_cards_say_why(example):
    """Newcomer 19 #6: two cards with the same green share (hourly, annual matching) and no hint why."""
    _, _, k = example
    shares = [catalog.KPI_BY_NAME[n].format(views.value(k, n)) for n in ("green_share_hourly", "green_share_annual")]
    assert shares[0] == shares[1]  # the default case: no export contract
    for lang in ("en", "zh"):
        card = next(c for c in views.kpi_cards(k, lang) if "kpi-shares-equal" in str(c))
        assert card.title == catalog.t("shares_equal", lang) and "kpi-green_share_annual" in str(card)
    apart = k.copy()
    apart["green_share_annual"] = k["green_share_annual"] + 0.05
    assert "kpi-shares-equal" not in str(views.kpi_cards(apart)) and views.equal_shares_note(apart) == ""


def test_an_empty_scenario_is_refused_as_the_cli_refuses_it(pages, tmp_path, capsys):
    for text in ("", "# only a comment\n\n# and another\n"):
        new, msg = views.apply_toml(text, S)
        assert new is None and msg.startswith("scenario: the scenario file is empty"), msg
        f = tmp_path / "empty.toml"
        f.write_text(text, encoding="utf-8")
        assert main(["run", str(f), "--no-output"]) == 2
        assert capsys.readouterr().err.strip() == f"twin: error: {f}: " + msg.removeprefix("scenario: ")
        scenario, case, shown, *_ = pages["scenario"].apply(1, text, "en", S)
        assert scenario is case is dash.no_update and "the scenario file is empty" in str(shown)
        assert "Applied" not in str(shown)


def test_a_far_epw_upload_is_refused_with_the_cli_message_and_no_private_path(example, capsys):
    sc, _, _ = example
    epw = epw_path("qingyang")
    d = {**sc.to_dict(), "sites": ["karamay"]}
    new, msg = views.use_uploaded_epw(d, _data_url(epw.read_bytes()), epw.name, S)
    assert new is None
    assert main(["run", "--site", "karamay", "--cooling", "free_air", "--weather", str(epw), "--no-output"]) == 2
    cli = capsys.readouterr().err.strip()
    assert cli == "twin: error: " + msg.replace(epw.name, str(epw), 1)
    assert msg.startswith(f"{epw.name}: the file's location") and "2,202 km" in msg
    assert "/dev/shm" not in msg and "twin-dash-" not in msg


def test_no_message_shows_an_uploads_private_path(example):
    """A run on an upload the server no longer keeps names the file as it was uploaded."""
    sc, _, _ = example
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "mine.epw", S)
    assert new is not None, msg
    private = data.from_dict(new).weather.source
    assert private.startswith(data._UPLOAD_DIR.name)
    os.unlink(private)
    with pytest.raises(views.USER_ERRORS) as caught:
        views.load_case(new, 0, S)
    assert private in str(caught.value)  # what the engine says; the page shows:
    assert str(views.error_box(caught.value).children) == "Error: mine.epw: no such weather file"
    assert views.message("/tmp/theirs.epw: gone") == "/tmp/theirs.epw: gone"  # not an upload: as it is
    gone = os.path.join(data._UPLOAD_DIR.name, "0123456789abcdef.epw")
    assert views.message(f"{gone}: no such weather file") == "an uploaded file: no such weather file"


def test_sweep_cases_download_under_their_own_names():
    from twin import Scenario

    sc = Scenario(sites=("karamay",), designs=("free_air",), name="k", sweep=(("facility.utilisation", (0.5, 0.9)),))
    assert [views.file_stem(sc, i) for i in range(2)] == [
        "k-karamay-free_air-utilisation_0.5",
        "k-karamay-free_air-utilisation_0.9",
    ]
    assert views.file_stem(Scenario(sites=("karamay",), designs=("free_air",), name="k"), 0) == "k-karamay-free_air"
    odd = Scenario(
        sites=("karamay",), designs=("free_air",), name="a/b: c..", sweep=(("facility.utilisation", (0.5,)),)
    )
    stem = views.file_stem(odd, 0)
    assert stem == "a_b__c..-karamay-free_air-utilisation_0.5" and "/" not in stem
    many = Scenario(
        sites=("karamay",),
        designs=("free_air",),
        name="x" * 200,
        sweep=(("facility.utilisation", (0.5, 0.6)),),
    )
    stems = [views.file_stem(many, i) for i in range(2)]
    assert stems[0] != stems[1] and all(len(s) <= views.STEM_CHARS for s in stems)


def test_every_label_of_the_cooling_page_has_both_languages(example):
    from dashboards import catalog, figures
    from twin.building.cooling import DESIGNS

    for key, (en, zh) in catalog._TEXT.items():
        assert en and zh, key
    for name, design in DESIGNS.items():
        assert catalog.design_label(name, "zh") != design.label and catalog.design_name(name, "zh") != name
        for mode in design.modes:
            assert catalog.mode_name(mode, "zh") != mode and re.search(
                r"[\u4e00-\u9fff]", catalog.mode_name(mode, "zh")
            )
    designs = data.designs_at_site(example[0], 0)
    fig = figures.design_comparison(designs, "yinchuan", 1.2, "zh")
    assert fig.data[1].name == "制冷 pPUE" and "新风自然冷却" in fig.layout.xaxis.ticktext
    _, ds, _ = example
    chart = figures.psychrometric_chart(ds, data.design_modes("free_air"), None, "A1", 1111.0, "zh")
    names = [tr.name for tr in chart.data if tr.name and "h)" in tr.name]
    assert names and all(re.search(r"[\u4e00-\u9fff]", n) for n in names), names


def test_green_page_says_a_store_without_power_is_idle(pages, example):
    sc, _, _ = example
    d, err = views.with_capacities(_one(sc), 0, 0, 0, 0, 1600)
    assert err == ""
    out = pages["green"].render(d, 0, "week", 172, "en")
    assert "Storage of 1,600 MWh at 0 MW can neither charge nor discharge" in str(out[5])
    assert "无法充放电" in str(pages["green"].render(d, 0, "week", 172, "zh")[5])
    assert pages["green"].render(sc.to_dict(), 0, "week", 172, "en")[5] == ""
    _, k = data.run_case(data.from_dict(d), 0)
    assert float(k["energy_storage_deficit"]) == 0.0


@pytest.mark.parametrize(("mw", "mwh"), [(0, 1600), (400, 0), (100, 200)])
def test_green_charts_say_storage_without_pv_or_wind_is_idle(mw, mwh, pages, example):
    """With PV and wind at 0 and storage of 1,600 MWh at 0 MW, the note said the storage is idle
    and counted in the cost, the three charts "This case has no green-power base"."""
    sc, _, _ = example
    d, _ = views.with_capacities(_one(sc), 0, 0, 0, mw, mwh)
    for lang, idle in (("en", f"storage of {mwh:,} MWh at {mw:,} MW is idle"), ("zh", "处于闲置")):
        out = pages["green"].render(d, 0, "week", "172", lang)
        for fig in out[1:4]:
            text = fig.layout.annotations[0].text.replace("<br>", " ")
            assert idle in text.replace("  ", " ") and "no green-power base" not in text
    none, _ = views.with_capacities(_one(sc), 0, 0, 0, 0, 0)
    said = pages["green"].render(none, 0, "week", "172", "en")[1].layout.annotations[0].text
    assert "no green-power base" in said.replace("<br>", " ")


@pytest.mark.parametrize(("mw", "mwh"), [(0, 400), (0, 0)])
def test_the_storage_chart_says_why_it_has_nothing_to_draw(mw, mwh, pages, example):
    """Newcomer 19 #9: with green power flowing and storage of 400 MWh at 0 MW, the storage chart
    drew flat zero lines on a -1 … 1 MWh axis; it says why it is empty, in the idle-store note's
    words (or that the case has no storage), and a working store is still drawn."""
    sc, _, _ = example
    pv, wind, *_ = views.case_ratings(sc.cases()[0])
    assert pv > 0 and wind > 0
    d, err = views.with_capacities(_one(sc), 0, pv, wind, mw, mwh)
    assert err == ""
    for lang in ("en", "zh"):
        out = pages["green"].render(d, 0, "week", "172", lang)
        fig = out[3]
        c = data.from_dict(d).cases()[0]
        said = views.idle_storage_text(c.storage, c.economics, lang) if mwh else catalog.t("no_storage", lang)
        assert said and not fig.data, fig.data
        assert fig.layout.annotations[0].text == figures.message_figure(said).layout.annotations[0].text
        assert fig.layout.title.text == catalog.t("cycles", lang)
        assert out[1].data and out[2].data  # the dispatch and the share map still draw
    working = pages["green"].render(_one(sc), 0, "week", "172", "en")[3]
    assert working.data and not working.layout.annotations


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_green_pages_equal_share_cards_say_why(pages, example, lang):
    """Newcomer 19 #9: the Green page's cards showed the hourly and annual-matching shares with the
    same figure and no hint why (the Overview's cards say it)."""
    sc, _, _ = example
    cards = pages["green"].render(sc.to_dict(), 0, "week", "172", lang)[0]
    card = next(c for c in cards if "green-kpi-shares-equal" in str(c))
    assert card.title == catalog.t("shares_equal", lang) and "green-kpi-green_share_annual" in str(card)
    assert [c.className for c in cards].count("kpi-card headline") == 1 and "green_share_hourly" in str(
        next(c for c in cards if c.className == "kpi-card headline")
    )


def test_the_server_log_names_an_upload_as_uploaded(monkeypatch, capsys):
    """twin dash's log said `twin: warning: /dev/shm/twin-dash-…/45f5…-9.epw: flagged records …`
    for an upload of good.epw, which the pages and downloads name as uploaded."""
    import dashboards.app as app_mod
    from twin import cli
    from twin.engine.config import Scenario, WeatherSource

    def serve(*args, **kwargs):  # one request: an upload, then the scenario on it
        path, _, _ = data.upload_epw(epw_path("yinchuan").read_bytes(), "log-check.epw", session=S)
        data.scenario_kpis(Scenario(sites=("yinchuan",), weather=WeatherSource(source=path)))

    monkeypatch.setattr(app_mod, "create_app", lambda d: None)
    monkeypatch.setattr(app_mod, "bind", lambda app, host, port: None)
    monkeypatch.setattr(app_mod, "serve", serve)
    monkeypatch.setattr(cli, "_study_tables", lambda sc, args: None)
    assert main(["dash", "--port", "8124"]) == 0
    err = capsys.readouterr().err
    assert "twin: warning: log-check.epw: flagged records" in err and "twin-dash-" not in err


def test_report_and_sources_table_name_an_upload_as_uploaded(example):
    sc, _, _ = example
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "mine.epw", S)
    assert new is not None, msg
    up = data.from_dict(new)
    rows = {r[0]: r[1] for r in views.non_default_params(up)}
    assert rows["weather.source"] == "mine.epw"
    page = report.build_report(up, 0)
    assert "weather: mine.epw" in page and data._UPLOAD_DIR.name not in page


def _cli_says(tmp_path, capsys, text: str) -> str:
    """What ``twin run`` prints (after ``twin: error:``) for a scenario file holding ``text``."""
    f = tmp_path / "s.toml"
    f.write_text(text, encoding="utf-8")
    assert main(["run", str(f), "--no-output"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("twin: error: ") and "\n" not in err and "Traceback" not in err, err
    return err.removeprefix("twin: error: ")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('"yinchuan",', '"atlantis",', "unknown site 'atlantis'"),
        ('"yinchuan",', '"yinchuan", "Minning",', "are the same site (yinchuan)"),
    ],
)
def test_apply_refuses_what_twin_run_refuses_and_keeps_the_applied_scenario(
    pages, example, tmp_path, capsys, old, new, said
):
    """Apply said "Applied: 2 case(s)" for a site `twin run` refuses; every page then failed."""
    sc, _, _ = example
    text = views.scenario_toml(sc, S)
    assert old in text
    bad = text.replace(old, new)
    applied, msg = views.apply_toml(bad, S)
    assert applied is None and said in msg
    assert msg == _cli_says(tmp_path, capsys, bad)
    scenario, case, shown, *_ = pages["scenario"].apply(1, bad, "en", S)
    assert scenario is case is dash.no_update  # the scenario applied before stays
    assert str(shown.children) == f"Error: {msg}" and shown.className == "error" and "Applied" not in str(shown)


def test_apply_refuses_an_uploaded_weather_file_far_from_the_new_site(pages, example, tmp_path, capsys):
    """An upload accepted at Yinchuan, then the site changed to Karamay: `twin run` refuses the file."""
    sc, _, _ = example
    epw = epw_path("yinchuan")
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw.read_bytes()), "good.epw", S)
    assert up is not None, msg
    text = views.scenario_toml(data.from_dict(up), S)
    private = data.from_dict(up).weather.source
    far = text.replace('"yinchuan",', '"karamay",')
    applied, msg = views.apply_toml(far, S)
    assert applied is None
    assert (
        msg.startswith("good.epw: the file's location") and "from site 'karamay'" in msg and "more than 300 km" in msg
    )
    assert 'source = "upload:good.epw"' in far  # the editor names the upload; twin run reads the kept file
    assert msg == _cli_says(
        tmp_path, capsys, far.replace('source = "upload:good.epw"', f'source = "{private}"')
    ).replace(private, "good.epw")
    assert "/dev/shm" not in msg and "twin-dash-" not in msg
    _, _, shown, *_ = pages["scenario"].apply(1, far, "en", S)
    assert "good.epw" in str(shown) and "Applied" not in str(shown)


def test_no_callback_raises_for_a_scenario_the_engine_refuses(pages, example):
    """A stored scenario that fails in the engine (unknown site, weather far from the site) is the
    page's error message in every callback, never an exception (Dash answers HTTP 500)."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(AttributeDict(triggered_inputs=[]))  # the pages' first drawing
    sc, _, _ = example
    atlantis = {**sc.to_dict(), "sites": ["atlantis"]}
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "good.epw", S)
    assert up is not None, msg
    far = {**up, "sites": ["karamay"]}
    for d, said in ((atlantis, "unknown site 'atlantis'"), (far, "good.epw: the file's location")):
        out = pages["overview"].render(d, 0, "320", "140", "en", S)
        assert said in str(out[1]) and "error" in str(out[1])
        fig, table = pages["overview"].comparison(d, 0, "pue", "en")  # the comparison's years are generated:
        if d is atlantis:  # the far file is not read there
            assert said in str(table) and said in fig.layout.annotations[0].text.replace("&#x27;", "'")
        out = pages["cooling"].render(d, 0, "en", S)
        assert said in str(out[1])
        out = pages["green"].render(d, 0, "week", "172", "en", S)
        assert said in str(out[0])
        assert pages["green"].slider_values(d, 0)[0] in (dash.no_update, 150.0)
        pages["scenario"].show(d, "en", S)  # the stored scenario as text: no exception


def test_netcdf_download_names_an_upload_as_uploaded(example):
    """The NetCDF download carried the private /dev/shm path of an upload (gone when the server stops)."""
    sc, _, _ = example
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "mine.epw", S)
    assert new is not None, msg
    _, _, ds, _ = views.load_case(new, 0, S)
    assert data._UPLOAD_DIR.name in ds.attrs["weather_source"]  # the run reads the private copy
    raw = views.netcdf_bytes(ds)
    assert data._UPLOAD_DIR.name.encode() not in raw and b"/dev/shm" not in raw and b"twin-dash-" not in raw
    import io

    import xarray as xr

    with xr.open_dataset(io.BytesIO(raw), engine="h5netcdf") as back:
        assert back.attrs["weather_source"] == "mine.epw"
        assert back.sizes["time"] == ds.sizes["time"]
    assert data._UPLOAD_DIR.name in ds.attrs["weather_source"]  # the cached Dataset is unchanged


@pytest.mark.parametrize(("typed", "field"), [("1e400", "pflop_h_per_mwh"), ("-1e400", "gflop_per_token")])
def test_a_number_too_large_for_a_float_is_said_to_be_not_finite(pages, example, typed, field):
    """1e400 in a number box said "must be given (no value)": the browser sent no value."""
    sc, _, _ = example
    values = {"pflop_h_per_mwh": "320", "gflop_per_token": "140", field: typed}
    out = pages["overview"].render(sc.to_dict(), 0, values["pflop_h_per_mwh"], values["gflop_per_token"], "en")
    said = str(out[5] if field == "pflop_h_per_mwh" else out[6])
    label = {name: en for name, en, _ in catalog.COMPUTE_ASSUMPTIONS}[field]
    assert f"“{label}” must be finite, got {typed} (beyond ±1.8e308, the largest number)" in said and "allowed" in said
    assert "no value" not in said
    out = pages["green"].render(sc.to_dict(), 0, "week", typed, "en")
    assert f"“first day of year” must be a whole number, got {typed} (beyond ±1.8e308, the largest number)" in str(
        out[4]
    ) and "allowed 1 … 365" in str(out[4])
    for text, said in (
        ("", "must be given"),
        ("abc", "must be a number, got 'abc'"),
        ("nan", "must be a number, got 'nan'"),
    ):
        out = pages["overview"].render(sc.to_dict(), 0, text, "140", "en")
        assert said in str(out[5]), (text, out[5])
    assert views.typed_number(" 172 ") == 172 and views.typed_number("1.5") == 1.5 and views.typed_number(None) is None
    ok = pages["overview"].render(sc.to_dict(), 0, "320", "140", "en")
    assert ok[5] == ok[6] == "" and not ok[4].children[0].children.startswith("–")


def test_reported_storage_ratings_show_the_modelled_case(example):
    """The Reported table said "modelled –" for Minning's 100 MW / 200 MWh, which the case models."""
    sc, _, k = example
    rows = {r["metric"]: r for r in views.reported_rows(k, "yinchuan", sc.cases()[0])}
    assert (rows["storage_power"]["reported"], rows["storage_power"]["modelled"]) == ("100 MW", "100 MW")
    assert (rows["storage_energy"]["reported"], rows["storage_energy"]["modelled"]) == ("200 MWh", "200 MWh")
    rows = {r["metric"]: r for r in views.reported_rows(k, "yinchuan", sc.cases()[1])}
    assert rows["storage_energy"]["modelled"] == "400 MWh"
    html_text = report.build_report(sc, 0)
    assert "<td>Storage power</td><td class='num'>100 MW</td><td class='num'>100 MW</td>" in html_text


def test_reported_co2_avoided_shows_the_stores_modelled_saving(pages, example):
    """Minning's "co2_avoided 30000 t/yr" showed modelled "–": the twin computes it, the case's CO2
    without its store minus with it (as ``twin run --set green.storage.energy_mwh=0``: 70,252 − 41,654
    t, the newcomer's figures, session 16). Numbers grouped as the project's formatter groups them;
    "–" only where the twin has no counterpart (households_served)."""
    sc, _, k = example
    one = data.case_scenario(sc, 0)
    bare = dataclasses.replace(one, storage=dataclasses.replace(one.storage, power_mw=0.0, energy_mwh=0.0))
    expected = float(data.run_case(bare, 0)[1]["co2"]) - float(k["co2"])
    assert 25_000 < expected < 32_000  # the saving of a 200 MWh store, near the reported ≈ 30,000 t
    assert data.storage_co2_avoided(sc, 0) == pytest.approx(expected, rel=1e-12)
    rows = {r["metric"]: r for r in views.reported_rows(k, "yinchuan", sc.cases()[0], lambda: expected)}
    assert rows["co2_avoided"]["reported"] == "30,000 t/yr"
    assert rows["co2_avoided"]["modelled"] == f"{round(expected):,} t/yr"
    assert (rows["households_served"]["reported"], rows["households_served"]["modelled"]) == ("24,000", "–")
    shown = str(pages["overview"].render(sc.to_dict(), 0, "320", "140", "en")[3])
    assert "30,000 t/yr" in shown and f"{round(expected):,} t/yr" in shown
    assert f"<td class='num'>{round(expected):,} t/yr</td>" in report.build_report(sc, 0)
    no_store = dataclasses.replace(sc, storage=dataclasses.replace(sc.storage, energy_mwh=0.0), sweep=())
    assert data.storage_co2_avoided(no_store, 0) != data.storage_co2_avoided(no_store, 0)  # NaN: no store, "–"


def test_idle_storage_note_says_what_its_cost_counts(pages, example):
    """An idle store is paid for as the engine books it: 0 MWh at 400 MW costs its power
    (0.16 CNY/W), and with an all-in price per Wh set alone (power free) it costs nothing."""
    sc, _, _ = example
    none, _ = views.with_capacities(_one(sc), 0, 0, 0, 0, 0)
    _, k_none = data.run_case(data.from_dict(none), 0)
    power, _ = views.with_capacities(_one(sc), 0, 0, 0, 400, 0)
    note = str(pages["green"].render(power, 0, "week", "172", "en")[5])
    assert "Storage of 0 MWh at 400 MW" in note and "its cost is counted" in note and "0.16 CNY/W" in note
    _, k_power = data.run_case(data.from_dict(power), 0)
    assert float(k_power["cost_total"]) > float(k_none["cost_total"])  # what the note says
    power["economics"] = {**power.get("economics", {}), "storage_capex_cny_per_wh": 0.465}
    with pytest.warns(UserWarning, match="all-in price per Wh"):
        note = str(pages["green"].render(power, 0, "week", "172", "en")[5])
        _, k_free = data.run_case(data.from_dict(power), 0)
    assert "costs nothing" in note and "0 CNY/W" in note
    assert "不计成本" in str(pages["green"].render(power, 0, "week", "172", "zh")[5])
    assert float(k_free["cost_total"]) == float(k_none["cost_total"])  # what the note says
    paid, _ = views.with_capacities(_one(sc), 0, 0, 0, 0, 1600)
    note = str(pages["green"].render(paid, 0, "week", "172", "en")[5])
    assert "its cost is counted" in note and "0.385 CNY/Wh" in note
    _, k_paid = data.run_case(data.from_dict(paid), 0)
    assert float(k_paid["cost_total"]) > float(k_none["cost_total"])


def test_a_charts_message_is_wrapped_whole_to_fit_a_phone(pages, example):
    """The no-green-base text was cut at "… on the Scenario page or with the s" (plotly does not wrap)."""
    from dashboards.catalog import t

    sc, _, _ = example
    none, _ = views.with_capacities(_one(sc), 0, 0, 0, 0, 0)
    for lang in ("en", "zh"):
        fig = pages["green"].render(none, 0, "week", "172", lang)[1]
        lines = fig.layout.annotations[0].text.split("<br>")
        assert len(lines) > 1 and " ".join(lines).replace(" ", "") == t("no_green", lang).replace(" ", "")
        assert all(sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in line) <= figures.MESSAGE_EM for line in lines)
    assert figures.wrap_em("a <b> & c", 100) == ["a <b> & c"]
    assert figures.message_figure("x < y").layout.annotations[0].text == "x &lt; y"


def test_chinese_pages_say_which_text_stays_english(pages, example):
    """In Chinese the error prefix, the compute notes, the policy basis and the Reported table
    were English without a word; the notes are now Chinese, the sources' own text is marked."""
    from dashboards.catalog import COMPUTE_NOTES_ZH

    _, _, k = example
    layout = str(pages["overview"].layout("zh"))
    assert all(note in layout for note in COMPUTE_NOTES_ZH.values())
    assert "~0.8 PFLOP/s" not in layout and "资料原文" in layout
    assert "资料原文" in str(views.policy_badge(k, "yinchuan", "zh"))
    box = views.error_box("scenario: facility.utilisation = 7 is out of range; allowed 0 … 1", "zh")
    assert box.children.startswith("错误（信息为英文原文）: scenario: ") and "facility.utilisation = 7" in box.children


_NOT_WORDS = re.compile(r"[\w./:'-]*[_./][\w./:'-]*|upload:\S+")
"""Field names, file names and paths (``dispatch_plot.start_day``, ``sites/data/yinchuan.toml``):
they stay as the scenario writes them."""
_KEPT = {"PUE", "pPUE", "CUE", "WUE", "CFE", "ERF", "CO2", "CO2e", "MWh", "kWh", "CNY", "PPA", "ASHRAE", "TOML"}
_KEPT |= {"EPW", "NetCDF", "CSV", "HTML", "PFLOP", "GFLOP", "token", "twin", "report", "day", "seed", "UTC"}
_KEPT |= {"true", "false"}
"""Units, names of metrics, formats and commands: the same in both languages."""


def english_words(text: str) -> list[str]:
    """The English words of a text shown on a Chinese page (beyond names, units and values)."""
    return [w for w in re.findall(r"[A-Za-z]{3,}", _NOT_WORDS.sub(" ", text)) if w not in _KEPT]


def _texts(component) -> list[str]:
    """The texts a Dash component (or a list of them) shows."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [x for c in component for x in _texts(c)]
    return _texts(getattr(component, "children", None) or [])


def _said(component) -> str:
    """What a Dash component shows, its texts joined by a line break (a note of several lines)."""
    return "\n".join(_texts(component))


def _figure_texts(fig) -> list[str]:
    """A figure's title, axis titles, legend names, hover texts and messages."""
    lay = fig.to_plotly_json()["layout"]
    texts = [lay.get(part, {}).get("title", {}).get("text") for part in ("xaxis", "yaxis", "yaxis2")]
    texts += [lay["title"]["text"], *(a["text"] for a in lay.get("annotations", ()))]
    for tr in fig.data:
        texts += [tr.name, *(tr.hovertext if isinstance(tr.hovertext, tuple | list) else [tr.hovertext])]
    return [x for x in texts if isinstance(x, str) and x]


def test_chinese_pages_show_no_english_but_the_sources_own(pages, example):
    """On main the Chinese pages showed English unmarked: the Pareto frontier (title, legend, axes,
    hover), the storage chart's `max SOC, MWh`, the card unit `CNY/MWh compute`, the report's KPI
    note, the sources table's `sweep (scenario)` and `True`, and `(beyond ±1.8e308, the largest
    number)` inside a Chinese start-day error. Every text a Chinese page shows is Chinese, a name,
    a unit or a value, or marked as a source's own English."""
    import xarray as xr

    sc, _, k = example
    shown: dict[str, list[str]] = {}
    rng = np.random.default_rng(0)
    names = ("cost", "marginal_cost", "pv_mw", "wind_mw", "storage_mw", "storage_mwh")
    frontier = xr.Dataset(
        {n: (("design", "target"), rng.random((1, 3)) * 1e7) for n in names},
        coords={"design": ["free_air"], "target": [0.5, 0.6, 0.7]},
        attrs={"target_kind": "hourly"},
    )
    shown["pareto"] = _figure_texts(figures.pareto_frontier(frontier, "zh"))
    cards, dispatch, share, cycles, start_error, _ = pages["green"].render(sc.to_dict(), 0, "week", "1e400", "zh")
    shown["green"] = [*_texts(cards), *_texts(start_error), *_figure_texts(dispatch)]
    shown["green"] += [*_figure_texts(share), *_figure_texts(cycles)]
    label = data.case_labels(sc)[0]
    said = {"n": "2", "case": label}
    notes = [catalog.t(key, "zh", **said) for key in ("pareto_run", "pareto_cached")]
    shown["pareto"] += [n.replace(label, "") for n in notes]  # the case chooser's label: site key, design, value
    shown["overview"] = _texts(views.kpi_cards(k, "zh"))
    older = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, capacity_mw=10.0)).to_dict()
    shown["draft"] = _texts(pages["scenario"].draft_note(views.draft("x", older), "zh", sc.to_dict(), S))
    assert "green.pv.capacity_mw 10 → 150" in shown["draft"][1]
    sources = pages["scenario"].show(sc.to_dict(), "zh", S)[1]
    table, note = sources.children
    cells = [[str(c.children) for c in row.children] for row in table.children]
    shown["sources"] = [c for row in cells for c in (*row[:2], *row[3:4])]  # default and source: marked
    assert "参数声明原文" in note.children
    html_zh = report.build_report(sc, 0, "zh")
    said = {key: catalog.t(key, "zh", file=f"sites/data/{k['site'].item()}.toml") for key in ("kpis", "kpi_note")}
    said["assumptions_text"] = catalog.t("assumptions_text", "zh", file=f"sites/data/{k['site'].item()}.toml")
    assert all(html.escape(text) in html_zh for text in said.values())
    shown["report"] = list(said.values())
    english = {page: [w for text in texts for w in english_words(text)] for page, texts in shown.items()}
    assert english == {page: [] for page in shown}, english
    assert "sweep (scenario)" not in str(cells) and "True" not in str(cells)


def test_the_chinese_report_writes_units_as_the_chinese_pages_do(example):
    """The Chinese report's tariff sentence said ``CNY/kWh``, its Reported table kept ``t/yr`` and
    its KPI rows wrote ``(百万元)`` after the label where every other Chinese title joins label and unit
    with a full-width comma.
    One function writes a unit in the page's language (:func:`dashboards.catalog.unit_text`: 元,
    百万元, 年), and the KPI rows are titled as the pages' tables are (:func:`catalog.with_unit`)."""
    sc, _, _ = example
    shown = {lang: re.sub(r"(?s)<script.*?</script>", "", report.build_report(sc, 0, lang)) for lang in ("en", "zh")}
    zh, en = shown["zh"], shown["en"]
    assert re.search(r"电价 [0-9.]+ 元/kWh（", zh) and "CNY" not in zh, re.findall(r".{20}CNY.{20}", zh)
    assert "30,000 t/年" in zh and "t/yr" not in zh
    assert "<td>年能源成本（含绿电设施），百万元/年</td>" in zh and "(百万元)" not in zh and "（百万元）" not in zh
    assert "<td>Annual energy cost incl. green plant, M CNY/yr</td>" in en and re.search(
        r"Tariff [0-9.]+ CNY/kWh \(", en
    )
    assert "30,000 t/yr" in en
    assert [catalog.unit_text(u, "zh") for u in ("CNY/kWh", "M CNY/yr", "t/yr", "kWh", "%", None)] == [
        "元/kWh",
        "百万元/年",
        "t/年",
        "kWh",
        "%",
        None,
    ]
    assert catalog.unit_text("M CNY/yr", "en") == "M CNY/yr"


def test_the_sources_table_shows_a_default_of_none_as_declared(example):
    """`green.storage.max_cycles_per_day` (declared inherit="no limit") had the default `site's`,
    as every parameter whose default is None."""
    sc, _, _ = example
    rows = {r[0]: r for r in views.non_default_params(sc)}
    assert rows["green.storage.max_cycles_per_day"][2] == "no limit"
    assert rows["green.wind.hub_mean_speed_ms"][2] == "site.wind.mean_speed_ms"
    assert rows["green.pv.tracking"][1:3] == ("true", "false")  # as the scenario's TOML writes them
    assert "site's" not in {r[2] for r in rows.values()}


def test_site_comparison_ranks_by_cost_per_unit_of_compute(pages):
    """Two sites whose cost per MWh IT and per unit of compute disagree: the comparison's cost
    ranking follows the compute (the bill for the same work), and per MWh IT stays in the table,
    labelled as no ranking."""
    import xarray as xr

    cmp = xr.Dataset(
        {
            "pue": ("case", [1.1, 1.1]),
            "cost_per_compute": ("case", [466.0, 430.0]),
            "cost_per_mwh_it": ("case", [403.0, 423.0]),
            "co2": ("case", [1.0, 1.0]),
            "green_share_hourly": ("case", [0.7, 0.7]),
        },
        coords={"site": ("case", ["karamay", "qingyang"])},
    )
    rows = views.comparison_rows(cmp, "cost_per_compute")
    assert [r["key"] for r in rows] == ["qingyang", "karamay"]
    assert "cost_per_compute" in pages["overview"].RANKS and "cost_per_mwh_it" not in pages["overview"].RANKS
    from dashboards.catalog import KPI_BY_NAME

    assert "not a design ranking" in KPI_BY_NAME["cost_per_mwh_it"].label("en")


def test_overview_cards_show_cost_per_unit_of_compute(example):
    _, _, k = example
    cards = {c.children[1].children[0].id: c.children[1].children[0].children for c in views.kpi_cards(k)}
    assert cards["kpi-cost_per_compute"] == f"{float(k['cost_total']) / float(k['compute_delivered']):,.0f}"
    assert "kpi-cost_per_mwh_it" in cards


def test_the_editor_shows_an_upload_by_its_own_name_and_apply_reads_it_back(example):
    """The TOML editor said weather.source = "/dev/shm/twin-dash-…/….epw"; it says the upload's name,
    and Apply of that text runs on the upload (an edit beside it kept)."""
    sc, _, _ = example
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "mine.epw", S)
    assert new is not None, msg
    text = views.scenario_toml(data.from_dict(new), S)
    assert 'source = "upload:mine.epw"' in text and data._UPLOAD_DIR.name not in text
    back, err = views.apply_toml(text.replace("utilisation = 0.7", "utilisation = 0.6"), S)
    assert err == "" and back is not None
    assert back["weather"]["source"] == new["weather"]["source"]  # the stored upload, not a file "mine.epw"
    assert back["facility"]["utilisation"] == 0.6
    views.load_case(back, 0, S)  # runs


def test_two_uploads_of_the_same_bytes_keep_their_own_names(example):
    """The same bytes uploaded as a.epw and b.epw were one stored file, shown as b.epw for both."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes()
    a, _ = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "a.epw", S)
    b, _ = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "b.epw", S)
    again, _ = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "a.epw", S)
    assert a is not None and b is not None and again is not None
    assert a["weather"]["source"] == again["weather"]["source"] != b["weather"]["source"]
    for d, name in ((a, "a.epw"), (b, "b.epw")):
        up = data.from_dict(d)
        assert {r[0]: r[1] for r in views.non_default_params(up)}["weather.source"] == name
        assert f'source = "upload:{name}"' in views.scenario_toml(up, S)
        assert views.message(f"{up.weather.source}: gone") == f"{name}: gone"
    other = raw.replace(b"\n", b"\r\n", 1)  # other bytes under a name already shown
    c, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(other), "a.epw", S)
    assert c is not None, msg
    assert 'source = "upload:a (2).epw"' in views.scenario_toml(data.from_dict(c), S)


def test_an_upload_label_is_no_path_and_a_path_is_no_label(example, tmp_path, monkeypatch):
    """The editor wrote an upload as "mine.epw" and Apply took that name for the upload even when
    the server's folder held a real mine.epw: the label is "upload:mine.epw", a plain name is a path."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes()
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "mine.epw", S)
    assert new is not None, msg
    text = views.scenario_toml(data.from_dict(new), S)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.epw").write_bytes(raw.replace(b"\n", b"\r\n", 2))  # a real file of that name
    as_path, err = views.apply_toml(text.replace('"upload:mine.epw"', '"mine.epw"'), S)
    assert err == "" and as_path is not None
    assert as_path["weather"]["source"] == "mine.epw"  # the real file, not the upload
    as_label, err = views.apply_toml(text, S)
    assert err == "" and as_label["weather"]["source"] == new["weather"]["source"]


def test_a_label_of_an_upload_no_longer_kept_says_so(example):
    """After UPLOADS_KEPT newer uploads, Apply of "mine.epw" said "mine.epw: no such weather file",
    a relative path the user never meant: now one message that the upload is gone."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes()
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "gone.epw", S)
    assert new is not None, msg
    text = views.scenario_toml(data.from_dict(new), S)
    assert 'source = "upload:gone.epw"' in text
    for k in range(data.UPLOADS_KEPT):  # other bytes: each a new stored file
        data.upload_epw(raw.replace(b"\n", b"\r\n", k + 3), f"other{k}.epw", session=S)
    applied, err = views.apply_toml(text, S)
    assert applied is None
    assert err == (
        "scenario: weather.source = 'upload:gone.epw' names an upload the server no longer holds "
        f"(it keeps a page's {data.UPLOADS_KEPT} newest uploads, {data.UPLOADS_TOTAL} in all); upload 'gone.epw' again"
    )
    after = views.scenario_toml(data.from_dict(new), S)  # the editor after a reload: the label, no private path
    assert 'source = "upload:gone.epw"' in after and "/dev/shm" not in after and new["weather"]["source"] not in after
    with pytest.raises(ConfigError) as said:  # the downloads say it too, not "an uploaded file: no such weather file"
        views.check_upload_held(new, S)
    assert str(said.value) == err and data.public_text(str(said.value)) == err


def test_a_dropped_uploads_label_is_never_given_to_a_newer_upload(example):
    """After an upload was dropped, a newer upload of the same name got its label back, so an old
    editor text ran the newer file without a word (review, session 15): a label names one file
    for the server's life, and the old text is refused."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes()
    old, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "reused.epw", S)
    assert old is not None, msg
    text = views.scenario_toml(data.from_dict(old), S)
    for k in range(data.UPLOADS_KEPT):
        data.upload_epw(raw.replace(b"\n", b"\r\n", k + 20), f"filler{k}.epw", session=S)
    newer, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw.replace(b"\n", b"\r\n", 40)), "reused.epw", S)
    assert newer is not None, msg
    assert 'source = "upload:reused (2).epw"' in views.scenario_toml(data.from_dict(newer), S)
    applied, err = views.apply_toml(text, S)
    assert applied is None and "names an upload the server no longer holds" in err


def test_an_upload_label_resolves_only_in_the_browser_session_that_uploaded_it(pages, example):
    """Labels were the server's: one user typing another's ``upload:NAME`` in the editor ran that
    user's file (review brief, session 16). A label is the uploading tab's own; the same bytes
    under the same name from two tabs are still one stored file (one cache entry for both)."""
    sc, _, _ = example
    mine, theirs, third = data.new_session(), data.new_session(), data.new_session()
    yinchuan = epw_path("yinchuan").read_bytes()
    raw = yinchuan.replace(b"\n", b"\r\n", 60)
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "private.epw", mine)
    assert up is not None, msg
    text = views.scenario_toml(data.from_dict(up), mine)
    assert 'source = "upload:private.epw"' in text
    refused = (
        "scenario: weather.source = 'upload:private.epw' names no file uploaded on this page (a label is the "
        "upload's of this browser tab only); upload 'private.epw' here"
    )
    assert views.apply_toml(text, theirs) == (None, refused)
    scenario, case, shown, *_ = pages["scenario"].apply(1, text, "en", theirs)
    assert scenario is case is dash.no_update and str(shown.children) == f"Error: {refused}"
    back, err = views.apply_toml(text, mine)
    assert err == "" and back is not None and back["weather"]["source"] == up["weather"]["source"]
    same, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "private.epw", theirs)
    assert same is not None, msg
    assert same["weather"]["source"] == up["weather"]["source"]  # one stored file, one weather cache entry
    assert views.apply_toml(text, theirs)[1] == ""  # now theirs too: they uploaded it
    other, msg = views.use_uploaded_epw(
        sc.to_dict(), _data_url(yinchuan.replace(b"\n", b"\r\n", 61)), "private.epw", third
    )
    assert other is not None, msg
    assert 'source = "upload:private.epw"' in views.scenario_toml(data.from_dict(other), third)  # its own, no "(2)"
    own, err = views.apply_toml(text, third)
    assert err == "" and own["weather"]["source"] == other["weather"]["source"] != up["weather"]["source"]
    theirs_text = views.scenario_toml(data.from_dict(other), mine)  # not mine: its stored name, never the path
    stored = Path(other["weather"]["source"]).name
    assert f'source = "upload:{stored}"' in theirs_text and data._UPLOAD_DIR.name not in theirs_text
    assert views.apply_toml(theirs_text, mine)[0] is None


@pytest.mark.parametrize("session", [None, "", "x", 7, "a" * 65, "no spaces allowed here"])
def test_an_upload_without_a_session_id_is_refused(example, session):
    """The page always sends its id (``dcc.Store`` "session"); a request without one uploads nothing."""
    sc, _, _ = example
    new, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(epw_path("yinchuan").read_bytes()), "x.epw", session)
    assert new is None and msg.startswith("the page sent no session id (got ") and msg.endswith("; reload the page")
    assert views.apply_toml('source = "upload:x.epw"', session)[0] is None


@pytest.mark.parametrize("stored", [None, "x", [1, 2], {"facility": {"utilisation": 7}}])
def test_a_slider_moved_on_a_stored_scenario_that_fails_gives_the_message(pages, stored):
    """``resize`` caught ``(views.USER_ERRORS, IndexError)``, a tuple inside a tuple: any failure
    of the stored scenario raised ``TypeError`` (HTTP 500) instead of the page's message."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "green-pv.value", "value": 1.0}]))
    scenario, shown, undo = pages["green"].resize(1.0, 1.0, 1.0, 1.0, stored, 0, "en")
    assert scenario is undo is dash.no_update
    assert "error" in str(shown) and "Error" in str(shown)


@pytest.mark.parametrize("rank", ["nope", 3, ["pue"]])
def test_a_ranking_no_button_sends_is_a_message_not_a_500(pages, example, rank):
    """A hand-made request with a rank outside the radio buttons raised ``KeyError`` (HTTP 500)."""
    sc, _, _ = example
    fig, table = pages["overview"].comparison(sc.to_dict(), 0, rank, "en")
    assert "is not one of pue, cost_per_compute, co2, green_share_hourly" in str(table)
    assert "error" in str(table) and "not one of" in fig.layout.annotations[0].text


def _swept(text: str, line: str) -> str:
    """A scenario's TOML with one more swept key (the editor's text has a [sweep] table)."""
    return text.replace("[sweep]\n", f"[sweep]\n{line}\n")


def test_apply_runs_every_case_s_facility_and_one_whole_case_per_site_and_design(
    example, monkeypatch, tmp_path, capsys
):
    """Apply ran every case's whole year (a 3,000-case scenario held the request 21 s): now the
    facility physics of every case and one whole case per site × design, refusing as twin run does."""
    sc, _, _ = example
    text = views.scenario_toml(sc, S).replace(
        'designs = [\n    "free_air",\n]', 'designs = [\n    "free_air",\n    "spray",\n]'
    )
    ran: list[int] = []
    whole = data.run_case
    monkeypatch.setattr(data, "run_case", lambda s, i=0: ran.append(i) or whole(s, i))
    new, err = views.apply_toml(_swept(text, '"facility.utilisation" = [0.5, 0.6, 0.7]'), S)
    assert err == "" and data.from_dict(new).case_count == 12
    assert ran == [0, 6]  # the first case of free air and of spray
    bad = _swept(text, '"facility.kw_per_rack" = [10.0, 60.0]')  # free air's second case is refused
    new, err = views.apply_toml(bad, S)
    assert new is None and err == _cli_says(tmp_path, capsys, bad)
    assert err.startswith("facility.kw_per_rack = 60 kW is above cooling.free_air.max_kw_per_rack = 30 kW")


def test_apply_and_the_pages_refuse_more_cases_than_the_app_takes(example, pages, monkeypatch, tmp_path, capsys):
    """Above APPLY_MAX_CASES Apply says to use twin sweep, and no page runs the scenario."""
    sc, _, _ = example
    values = ", ".join(f"{0.3 + k * 1e-3:.3f}" for k in range(data.APPLY_MAX_CASES // 2 + 1))
    big = _swept(views.scenario_toml(sc, S), f'"facility.utilisation" = [{values}]')
    said = (
        f"the scenario has {2 * (data.APPLY_MAX_CASES // 2 + 1):,} cases; the dashboard and its report take at "
        f"most {data.APPLY_MAX_CASES:,} (each is a case to choose and is run at Apply): run it with twin sweep "
        "SCENARIO.toml, or sweep fewer values"
    )
    assert views.apply_toml(big, S) == (None, said)
    stored = {**sc.to_dict(), "sweep": {"facility.utilisation": [0.3 + k * 1e-3 for k in range(501)]}}
    stored["sweep"].update(sc.to_dict().get("sweep", {}))
    monkeypatch.setattr(data, "run_case", lambda *a: pytest.fail("a page ran the uncapped scenario"))
    monkeypatch.setattr(data, "comparison", lambda *a: pytest.fail("a page ran the uncapped scenario"))
    assert said in str(pages["overview"].render(stored, 0, "320", "140", "en")[1])
    assert said in str(pages["overview"].comparison(stored, 0, "pue", "en")[1])
    f = tmp_path / "big.toml"
    f.write_text(big, encoding="utf-8")
    for argv in (["dash", str(f)], ["report", str(f), "-o", str(tmp_path / "r.html")]):
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == f"twin: error: {said}"


def test_the_chinese_page_says_the_editor_s_and_upload_s_other_common_errors_in_chinese(example):
    """Session 16: the TOML reader's refusal, the [sweep] table's, a key that is no parameter, a
    file for several sites, too many cases, an upload label of another tab, and an upload too
    large, not a year or far from the site were English on the Chinese page: said from parts."""
    sc, _, _ = example
    text = views.scenario_toml(sc, S)
    cases = [
        (
            text.replace("name = ", "name = = "),
            "错误: scenario: 不是有效的 TOML：第 1 行第 8 列（解析器原文：Invalid value）",
        ),
        ("name = ", "错误: scenario: 不是有效的 TOML：在文本末尾（解析器原文：Invalid value）"),
        (_swept(text, '"facility.utilisation" = []'), "错误: scenario: sweep.facility.utilisation 没有取值"),
        (
            _swept(text, '"facility.utilisation" = [0.5, 0.5]'),
            "错误: scenario: sweep.facility.utilisation 有重复取值（0.5）；每个值只写一次",
        ),
        (_swept(text, '"facility.bogus_section" = [1]'), None),
        (
            _swept(text, '"nowhere.x" = [1]'),
            "错误: scenario: 'nowhere.x' 不是参数；请写 SECTION.NAME，SECTION 可为 facility,",
        ),
        (
            text.replace('"yinchuan",', '"yinchuan", "karamay",').replace('source = "typical"', 'source = "x.epw"'),
            "错误: scenario: weather.source = 'x.epw' 是一个站点的气象文件，但场景有 2 个站点；请只用一个站点",
        ),
        (
            text.replace('source = "typical"', 'source = "nowhere.epw"'),
            "错误: nowhere.epw：找不到该文件（气象文件）",
        ),
        (
            text.replace('source = "typical"', 'source = "upload:theirs.epw"'),
            "错误: scenario: weather.source = 'upload:theirs.epw' 不是在本页上传的文件（上传标签只属于上传它的浏览器"
            "标签页）；请在此上传 'theirs.epw'",
        ),
        (
            _swept(text, f'"facility.utilisation" = [{", ".join(str(i / 2000) for i in range(1001))}]'),
            "错误: 场景有 2,002 个算例；仪表盘及其报告最多接受 1,000 个",
        ),
    ]
    for toml, zh in cases:
        new, err = views.apply_toml(toml, S)
        assert new is None, toml
        if zh is not None:
            assert str(views.error_box(err, "zh").children).startswith(zh), (err, views.error_box(err, "zh").children)
        assert str(views.error_box(err, "en").children) == f"Error: {err}"  # English: the CLI's message
    raw = epw_path("yinchuan").read_bytes()
    uploads = [
        (b"0" * (data.EPW_MAX_BYTES + 1), "big.epw", "错误: big.epw：5.2 MB 过大；一年的 EPW 约 1.6 MB（上限 5 MB）"),
        (
            _cut_year(raw),
            "short.epw",
            "错误: short.epw：100 行逐时数据；一年需要 8760 行（闰年 8784 行）— 文件是否被截断？",
        ),
        (b"hello", "x.epw", "错误: x.epw：第 1 行须以 LOCATION 开头；这不是 EPW 文件"),
        (
            b"\n".join([*raw.split(b"\n")[:9], b"1,2", *raw.split(b"\n")[9:]]),
            "cut.epw",
            "错误: cut.epw：第 10 行有 2 个字段，应为 35 个",
        ),
        (epw_path("qingyang").read_bytes(), "far.epw", "错误: far.epw：文件位置（"),
    ]
    d = {**sc.to_dict(), "sites": ["karamay"]}
    for content, name, zh in uploads:
        new, msg = views.use_uploaded_epw(d if name == "far.epw" else sc.to_dict(), _data_url(content), name, S)
        assert new is None, msg
        shown = str(views.error_box(msg, "zh").children)
        assert shown.startswith(zh) and "twin-dash-" not in shown, shown
        assert "twin-dash-" not in msg and (name != "cut.epw" or "has 2 fields, expected 35" in msg), msg


def _cut_year(raw: bytes) -> bytes:
    """An EPW file of the first 100 of its hours (its 8 header lines kept)."""
    lines = raw.split(b"\n")
    return b"\n".join(lines[: 8 + 100]) + b"\n"


def test_the_chinese_page_says_the_engine_s_common_errors_in_chinese(example):
    """Engine messages stayed English in the Chinese page: the common kinds are said in Chinese
    from the error's parts (field, value, allowed), the others stay English and marked so."""
    sc, _, _ = example
    text = views.scenario_toml(sc, S)
    cases = [
        (
            text.replace("utilisation = 0.7", "utilisation = 7.0"),
            "错误: scenario: facility.utilisation = 7.0 超出范围；允许 0 … 1",
        ),
        (
            text.replace("utilisation = 0.7", 'utilisation = "x"'),
            "错误: scenario: facility.utilisation 须为数字，收到 'x'；允许 0 … 1",
        ),
        (
            text.replace("utilisation = 0.7", "utilisation = 1e400"),
            "错误: scenario: facility.utilisation 须为有限数，收到 1e400（超出最大浮点数 ±1.8e308）；允许 0 … 1",
        ),
        (
            text.replace('fan_control = "vsd"', 'fan_control = "x"', 1),
            "错误: scenario: cooling.free_air.fan_control = 'x' 不允许；可选 vsd, constant",
        ),
        (
            text.replace("[facility]\n", "[facility]\nbogus = 1\n"),
            "错误: scenario: 未知字段 facility.bogus；允许的字段：",
        ),
        (text.replace('"yinchuan"', '"atlantis"'), "错误: 未知站点 'atlantis'；已知站点："),
        (
            _swept(text, '"facility.utilisation" = [0.5, 7.0]'),
            "错误: scenario: sweep facility.utilisation: facility.utilisation = 7.0 超出范围；允许 0 … 1",
        ),
    ]
    for toml, zh in cases:
        new, err = views.apply_toml(toml, S)
        assert new is None
        assert str(views.error_box(err, "zh").children).startswith(zh), (err, views.error_box(err, "zh").children)
        assert str(views.error_box(err, "en").children) == f"Error: {err}"  # English: the CLI's message
    both_zero = re.sub(
        r"\nidle_fraction = [0-9.]+", "\nidle_fraction = 0.0", text.replace("utilisation = 0.7", "utilisation = 0.0")
    )
    new, err = views.apply_toml(both_zero, S)  # a check's own words: no parts, English, marked
    assert "the servers would draw no power" in err
    assert str(views.error_box(err, "zh").children) == f"错误（信息为英文原文）: {err}"
    _, errors = views.checked(catalog.ComputeAssumptions, pflop_h_per_mwh="0", gflop_per_token="140")
    assert str(views.error_box(errors["pflop_h_per_mwh"], "zh").children) == (
        "错误: compute.pflop_h_per_mwh = 0 超出范围；允许 1 … 100,000 PFLOP-h/MWh"
    )


def test_another_sessions_uploads_do_not_drop_mine(example):
    """The server kept 8 uploads across all sessions: another browser's 9 uploads dropped this
    one's file, and its Apply and downloads failed (newcomer, session 16). A session's uploads
    drop only its own (a page keeps its UPLOADS_KEPT newest)."""
    sc, _, _ = example
    mine, theirs = data.new_session(), data.new_session()
    raw = epw_path("yinchuan").read_bytes()
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw.replace(b"\n", b"\r\n", 90)), "mine.epw", mine)
    assert up is not None, msg
    text = views.scenario_toml(data.from_dict(up), mine)
    for k in range(data.UPLOADS_KEPT + 1):
        data.upload_epw(raw.replace(b"\n", b"\r\n", 91 + k), f"w{k}.epw", session=theirs)
    back, err = views.apply_toml(text, mine)
    assert err == "" and back is not None and back["weather"]["source"] == up["weather"]["source"]
    views.check_upload_held(up, mine)  # the downloads run
    assert Path(up["weather"]["source"]).is_file()


def test_past_the_servers_total_the_session_holding_most_loses_its_oldest(example, monkeypatch):
    """The server's own bound (UPLOADS_TOTAL files): the session holding the most files gives up
    its oldest, so a session with one upload keeps it while another holds more."""
    for name, fresh in (("_UPLOADS", type(data._UPLOADS)()), ("_HELD", {}), ("_UPLOAD_NAMES", {})):
        monkeypatch.setattr(data, name, fresh)  # this test's uploads only
    monkeypatch.setattr(data, "UPLOADS_TOTAL", 3)
    sc, _, _ = example
    one, many = data.new_session(), data.new_session()
    raw = epw_path("yinchuan").read_bytes()
    kept, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw.replace(b"\n", b"\r\n", 110)), "one.epw", one)
    assert kept is not None, msg
    paths = [data.upload_epw(raw.replace(b"\n", b"\r\n", 111 + k), f"m{k}.epw", session=many)[0] for k in range(3)]
    assert len(data._UPLOADS) == data.UPLOADS_TOTAL
    assert Path(kept["weather"]["source"]).is_file()
    assert not Path(paths[0]).exists() and all(Path(p).is_file() for p in paths[1:])


def test_a_refused_edit_is_kept_as_a_draft_over_a_reload(pages, example):
    """An edit Apply refused was lost on reload: the editor showed the last applied scenario and
    the typed text was gone (newcomer, session 16). It is kept in the tab as a draft, said to be
    one, until an Apply succeeds or the scenario changes."""
    sc, _, _ = example
    d = sc.to_dict()
    text = pages["scenario"].show(d, "en", S)[0]
    typo = text.replace('    "yinchuan",\n]', '    "atlantis",\n]', 1)
    assert typo != text
    scenario, case, shown, kept, *_ = pages["scenario"].apply(1, typo, "en", S, d)
    assert scenario is case is dash.no_update and "atlantis" in str(shown.children)
    shown_text, _, note = pages["scenario"].show(d, "en", S, kept)  # the reload: the stores come back
    assert shown_text == typo
    assert _said(note).splitlines() == [
        "A draft, not applied: Apply refused this text; the pages show the last applied scenario.",
        "Discard draft",
    ]
    assert "草稿，未应用" in _said(pages["scenario"].show(d, "zh", S, kept)[2])
    fixed = typo.replace('"atlantis"', '"yinchuan"').replace("utilisation = 0.7", "utilisation = 0.6")
    new, _, ok, cleared, *_ = pages["scenario"].apply(1, fixed, "en", S, d)
    assert "Applied" in str(ok.children)
    assert cleared is None and new["facility"]["utilisation"] == 0.6
    assert pages["scenario"].show(new, "en", S, cleared)[0] == pages["scenario"].show(new, "en", S)[0]


def test_what_is_typed_after_a_refused_apply_is_not_overwritten_by_its_draft(pages, example):
    """Apply's refusal stores the draft; the draft store then re-ran ``show``, which wrote the
    refused text back into the editor over what had been typed since (a browser test on CI applied
    the previous, refused text again). The editor holding the draft is left as it is."""
    sc, _, _ = example
    d = sc.to_dict()
    text = pages["scenario"].show(d, "en", S)[0]
    typo = text.replace("utilisation = 0.7", "utilisation = 7.0")
    kept = pages["scenario"].apply(1, typo, "en", S, d)[3]
    shown_text, _, note = pages["scenario"].show(d, "en", S, kept, typo)
    assert shown_text is dash.no_update and "A draft" in _said(note)
    assert pages["scenario"].show(d, "en", S, kept, text)[0] == typo  # a reload: the editor shows the applied text
    assert pages["scenario"].show(d, "en", S, kept, None)[0] == typo


@pytest.fixture(scope="module")
def answer(pages):
    """Dash's own answer to one callback request, as the browser sends it: ``answer(output,
    inputs, state, changed)`` with each input and state ``(id.prop, value)`` in the callback's
    order, ``changed`` the props that triggered it (``ctx.triggered_prop_ids``); the props the
    answer writes ({} when every output is ``no_update``)."""
    from dashboards.app import create_app

    client = create_app().server.test_client()
    deps = {d["output"]: d for d in client.get("/_dash-dependencies").get_json()}

    def ask(output, inputs, state=(), changed=()):
        dep = deps[output]
        outs = [o.split(".") for o in output.strip(".").split("...")]
        body = {
            "output": output,
            "outputs": [{"id": i, "property": p} for i, p in outs]
            if len(outs) > 1
            else dict(zip(("id", "property"), outs[0], strict=True)),
            "inputs": [dict(zip(("id", "property"), k.split("."), strict=True), value=v) for k, v in inputs],
            "state": [dict(zip(("id", "property"), k.split("."), strict=True), value=v) for k, v in state],
            "changedPropIds": list(changed),
        }
        assert [f"{i['id']}.{i['property']}" for i in dep["inputs"]] == [k for k, _ in inputs]
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["response"]

    ask.deps = deps
    return ask


def test_no_answer_rewrites_the_editor_after_apply_answered(pages, answer, example):
    """Apply's refusal wrote the draft store, the store re-ran ``show``, and ``show`` wrote the
    refused text into the editor over what was typed after it (CI, session 16); a successful Apply
    or an upload wrote the scenario and ``show`` then rewrote the editor, a second answer after the
    editor was free again. The draft is read by ``show``, never waited for; Apply and an upload
    write the editor in their own answer, and ``show`` after them leaves it as it is."""
    editor_writers = [d for d in answer.deps.values() if "sc-text.value" in d["output"]]
    assert len(editor_writers) == 4  # show, Apply, an upload, Discard draft
    assert all("sc-draft.data" not in {f"{i['id']}.{i['property']}" for i in d["inputs"]} for d in editor_writers)
    sc, _, _ = example
    d = sc.to_dict()
    text = pages["scenario"].show(d, "en", S)[0]
    typo = text.replace("utilisation = 0.7", "utilisation = 7.0")
    *_, kept, editor, note = pages["scenario"].apply(1, typo, "en", S, d)
    assert editor is dash.no_update and "A draft, not applied" in _said(note)  # the editor stays as typed
    fixed = text.replace("utilisation = 0.7", "utilisation = 0.6")
    new, case, _, cleared, editor, note = pages["scenario"].apply(1, fixed, "en", S, d)
    assert case == 0
    assert editor == pages["scenario"].show(new, "en", S)[0] and "utilisation = 0.6" in editor and note == ""
    assert pages["scenario"].show(new, "en", S, cleared, editor)[0] is dash.no_update
    new, ok, editor, _ = pages["scenario"].upload(_data_url(epw_path("yinchuan").read_bytes()), "race.epw", d, "en", S)
    assert "ok" in str(ok) and 'source = "upload:race.epw"' in editor
    assert pages["scenario"].show(new, "en", S, None, editor)[0] is dash.no_update
    new, ok, editor, _ = pages["scenario"].upload(
        _data_url(epw_path("yinchuan").read_bytes()), "race.epw", d, "en", S, kept, typo
    )
    assert editor is dash.no_update  # the editor holds a draft: left as typed
    assert pages["scenario"].show(new, "en", S, kept, typo)[0] is dash.no_update


def test_apply_and_an_upload_hold_the_editor_and_each_other_while_they_run(answer):
    """While Apply ran (its check runs every case), what was typed was overwritten by its answer,
    and an upload answered in between was undone by Apply's older scenario (or the reverse). While
    either runs the editor is read-only and Apply and the upload are disabled (Dash's ``running``)."""
    held = {"sc-text.readOnly": True, "sc-apply.disabled": True, "sc-upload.disabled": True}
    for trigger in ("sc-apply.n_clicks", "sc-upload.contents"):
        dep = next(d for d in answer.deps.values() if [f"{i['id']}.{i['property']}" for i in d["inputs"]] == [trigger])
        assert (dep.get("running") or {}).get("running") == held, trigger
        assert dep["running"]["runningOff"] == dict.fromkeys(held, False)


def test_the_sliders_are_not_set_back_by_the_answer_to_their_own_move(answer, example):
    """A slider moved while the page answered the previous move jumped back: ``resize`` set the
    scenario, ``slider_values`` wrote the scenario's ratings to every slider, and the later move
    was undone (and its run dropped). The sliders are written on the page's first drawing and
    when a case is chosen, not after ``resize``."""
    sc, _, _ = example
    d = sc.to_dict()
    sliders = "..green-pv.value...green-wind.value...green-st-mw.value...green-st-mwh.value.."
    inputs = [("scenario.data", d), ("case.data", 1)]
    c = sc.cases()[1]
    rated = [c.pv.capacity_mw, c.wind.capacity_mw, c.storage.power_mw, c.storage.energy_mwh]
    assert answer(sliders, inputs, changed=["scenario.data", "case.data"]) == {}  # resize's answer
    for changed in ([], ["case.data"]):  # the first drawing; a case chosen
        out = answer(sliders, inputs, changed=changed)
        assert [out[i]["value"] for i in ("green-pv", "green-wind", "green-st-mw", "green-st-mwh")] == rated


def test_a_second_download_pressed_before_the_first_came_does_not_drop_it(answer, pages, example):
    """The three download buttons were the inputs of one callback: pressing the report while the
    CSV was being made asked the callback again, and Dash keeps only the answer of a callback's
    last request (the CSV never came). Each button has its callback and ``dcc.Download``."""
    sc, _, _ = example
    for kind in ("csv", "nc", "report"):
        dep = next(d for d in answer.deps.values() if d["output"].startswith(f"..sc-download-{kind}.data..."))
        assert [f"{i['id']}.{i['property']}" for i in dep["inputs"]] == [f"sc-dl-{kind}.n_clicks"]
    sent, said = pages["scenario"].download("csv", 1, sc.to_dict(), 0, "en", S)
    assert (
        sent["filename"].endswith(".csv") and b",p_facility [kW]," in base64.b64decode(sent["content"]) and said == ""
    )


def test_the_case_written_back_by_the_chooser_is_not_stored_again(answer):
    """A new scenario re-set the case chooser, which stored the case it already held: every page
    callback of the case ran a second time, and on the Green page wrote the sliders back after a
    later move. The chooser stores a case only when it differs."""
    assert answer("case.data", [("case-select.value", 0)], [("case.data", 0)], ["case-select.value"]) == {}
    assert answer("case.data", [("case-select.value", 1)], [("case.data", 0)], ["case-select.value"]) == {
        "case": {"data": 1}
    }


def test_a_kept_upload_is_not_rewritten_when_uploaded_again(example):
    """Every upload of the same bytes and name rewrote the shared stored file in place: a run in
    another tab read it short (review 16a, finding 1). The kept file is left as it is."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes().replace(b"\n", b"\r\n", 70)
    first, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "kept.epw", S)
    assert first is not None, msg
    path = Path(first["weather"]["source"])
    os.utime(path, ns=(0, 0))
    again, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "kept.epw", data.new_session())
    assert again is not None and again["weather"]["source"] == str(path), msg
    assert path.stat().st_mtime_ns == 0 and path.read_bytes() == raw
    assert [p.suffix for p in path.parent.iterdir()] == [".epw"] * len(list(path.parent.iterdir()))


@pytest.mark.parametrize("folder", ["/dev/shm/twin-dash-_g7d0ekk", "/tmp/twin-dash-abc123"])
@pytest.mark.parametrize("session", ["same", None, ["x"], 7])
def test_a_former_servers_upload_is_shown_and_refused_as_gone(pages, example, folder, session):
    """After a restart the editor showed "/dev/shm/twin-dash-…/….epw" and Apply said the path was no
    weather file; a session value that is no string raised TypeError (review 16a, findings 2, 8)."""
    sc, _, _ = example
    session = S if session == "same" else session
    gone = f"{folder}/45f5346e4ca284ee-1.epw"
    old = dataclasses.replace(sc, weather=dataclasses.replace(sc.weather, source=gone))
    text = views.scenario_toml(old, session)
    assert 'source = "upload:45f5346e4ca284ee-1.epw"' in text and "twin-dash" not in text
    said = (
        "scenario: weather.source = 'upload:45f5346e4ca284ee-1.epw' names an upload the server no longer holds "
        "(it keeps a page's 8 newest uploads, 32 in all); upload '45f5346e4ca284ee-1.epw' again"
    )
    assert views.apply_toml(text, session) == (None, said)
    assert views.apply_toml(text.replace("upload:45f5346e4ca284ee-1.epw", gone), session) == (None, said)
    with pytest.raises(ConfigError) as held:
        views.check_upload_held(old.to_dict(), session)
    assert str(held.value) == said
    assert views.message(f"{gone}: no such weather file") == "an uploaded file: no such weather file"


@contextlib.contextmanager
def _triggered(prop_id: str):
    """A page callback called as Dash calls it when ``prop_id`` (``"green-pareto-run.n_clicks"``) changed."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}]))
    try:
        yield
    finally:
        context_value.reset(token)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pages_say_a_former_servers_upload_as_apply_does(pages, example, lang):
    """After a restart the Overview, Cooling and Green pages said "an uploaded file: no such weather
    file" (in Chinese "an uploaded file：找不到该文件（气象文件）"), where Apply and the downloads say the
    upload is no longer held: every page says Apply's line, in the page's language."""
    sc, _, _ = example
    gone = "/dev/shm/twin-dash-_g7d0ekk/45f5346e4ca284ee-1.epw"
    d = dataclasses.replace(sc, weather=dataclasses.replace(sc.weather, source=gone)).to_dict()
    applied, said = views.apply_toml(views.scenario_toml(data.from_dict(d), S), S)
    assert applied is None and "names an upload the server no longer holds" in said
    line = str(views.error_box(said, lang).children)
    assert ("重新上传 '45f5346e4ca284ee-1.epw'" if lang == "zh" else "upload '45f5346e4ca284ee-1.epw' again") in line
    shown = {
        "overview": pages["overview"].render(d, 0, "320", "140", lang, S)[1],
        "cooling": pages["cooling"].render(d, 0, lang, S)[1],
        "green": pages["green"].render(d, 0, "week", "172", lang, S)[0],
    }
    with _triggered("green-pareto-run.n_clicks"):
        shown["frontier"] = pages["green"].pareto(1, d, 0, None, lang, S)[1]
    shown["download"] = pages["scenario"].download("csv", 1, d, 0, lang, S)[1]
    assert {page: str(box.children) for page, box in shown.items()} == dict.fromkeys(shown, line)


def test_no_page_shows_a_result_of_an_upload_the_quota_dropped(pages, example, monkeypatch):
    """The Overview and Green pages showed the results memoised on an upload the tab's quota had
    dropped, beside Apply and the downloads refusing it: every page refuses it with their line."""
    sc, _, _ = example
    tab = data.new_session()
    raw = epw_path("yinchuan").read_bytes()
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw.replace(b"\n", b"\r\n", 130)), "dropped.epw", tab)
    assert up is not None, msg
    before = pages["overview"].render(up, 0, "320", "140", "en", tab)  # its results are memoised
    assert "kpi-card" in str(before[1])
    text = views.scenario_toml(data.from_dict(up), tab)
    for k in range(data.UPLOADS_KEPT):
        data.upload_epw(raw.replace(b"\n", b"\r\n", 131 + k), f"newer{k}.epw", session=tab)
    applied, said = views.apply_toml(text, tab)
    assert applied is None and said.startswith("scenario: weather.source = 'upload:dropped.epw' names an upload")
    line = str(views.error_box(said).children)
    monkeypatch.setattr(data, "frontier", lambda *a, **k: pytest.fail("a page showed the dropped upload's frontier"))
    overview = pages["overview"].render(up, 0, "320", "140", "en", tab)
    cooling = pages["cooling"].render(up, 0, "en", tab)
    green = pages["green"].render(up, 0, "week", "172", "en", tab)
    assert str(overview[1].children) == str(cooling[1].children) == str(green[0].children) == line
    assert overview[2:5] == ("", "", "")  # no policy, reported figures or cost beside the refusal
    shown = [f.layout.annotations[0].text.replace("<br>", " ") for f in (*cooling[2:], *green[1:4])]
    assert not any(f.data for f in (*cooling[2:], *green[1:4])) and shown == [line] * 8  # as the box beside
    with _triggered("green-pareto-run.n_clicks"):
        assert str(pages["green"].pareto(1, up, 0, None, "en", tab)[1].children) == line
    assert str(pages["scenario"].download("nc", 1, up, 0, "en", tab)[1].children) == line


def test_a_typed_path_of_another_tabs_upload_is_refused(example):
    """Typing the stored path of another tab's upload ran it (review 16a, finding 6): it is refused
    as that tab's label is, without its name or path; the uploading tab's own path still runs."""
    sc, _, _ = example
    raw = epw_path("yinchuan").read_bytes().replace(b"\n", b"\r\n", 71)
    mine = data.new_session()
    up, msg = views.use_uploaded_epw(sc.to_dict(), _data_url(raw), "secret.epw", mine)
    assert up is not None, msg
    path = up["weather"]["source"]
    text = views.scenario_toml(data.from_dict(up), mine).replace('"upload:secret.epw"', f'"{path}"')
    stored = Path(path).name
    assert views.apply_toml(text, S) == (
        None,
        f"scenario: weather.source = 'upload:{stored}' names no file uploaded on this page (a label is the "
        f"upload's of this browser tab only); upload '{stored}' here",
    )
    back, err = views.apply_toml(text, mine)
    assert err == "" and back["weather"]["source"] == path


def test_labels_are_kept_within_a_bound(example, monkeypatch):
    """Every session's labels were kept for the server's life (review 16a, finding 7): the
    sessions that uploaded least recently and hold nothing, and a session's oldest dropped
    uploads' labels, are forgotten past the bound; held uploads keep theirs."""
    monkeypatch.setattr(data, "LABEL_SESSIONS", 3)
    monkeypatch.setattr(data, "LABELS_KEPT", data.UPLOADS_KEPT + 1)
    for name in ("_LABELS", "_UPLOADS", "_UPLOAD_NAMES", "_HELD"):  # this test's uploads only
        monkeypatch.setattr(data, name, type(getattr(data, name))())
    raw = epw_path("yinchuan").read_bytes()
    first = data.new_session()
    for k in range(data.UPLOADS_KEPT + 3):
        data.upload_epw(raw.replace(b"\n", b"\r\n", 80 + k), f"y{k}.epw", session=first)
    assert len(data._LABELS[first]) == data.UPLOADS_KEPT + 1
    assert set(data._LABELS[first].values()) == {f"y{k}.epw" for k in range(2, data.UPLOADS_KEPT + 3)}
    monkeypatch.setattr(data, "UPLOADS_TOTAL", 2)
    others = [data.new_session() for _ in range(5)]
    for k, s in enumerate(others):
        data.upload_epw(raw.replace(b"\n", b"\r\n", 90 + k), "other.epw", session=s)
    assert len(data._LABELS) == 3 and others[-1] in data._LABELS  # of 6 sessions, the 3 kept
    assert all(s in data._LABELS for s in data._HELD)  # a session holding an upload keeps its labels


def test_the_chinese_page_says_a_files_kind_and_a_years_hint_in_chinese():
    """A missing file's kind and the hint of a file not one year long stayed English in Chinese
    (review 16a, findings 3, 4)."""
    from twin.core.io import read_hourly_csv
    from weather.readers import _year_length_check

    def zh(call):
        try:
            call()
        except views.USER_ERRORS as exc:
            return catalog.error_text(exc, "zh")
        raise AssertionError("not refused")

    assert zh(lambda: _year_length_check(9000, "a.epw")) == (
        "a.epw：9000 行逐时数据；一年需要 8760 行（闰年 8784 行）— 多于一年：是几年的数据，还是有重复的行？请给出一年的逐时数据",
        True,
    )
    assert zh(lambda: _year_length_check(8770, "a.epw"))[0].endswith("— 闰年文件是否被截断，或有重复的行？")
    assert zh(lambda: read_hourly_csv("/nonexistent/x.csv", 8760, "it_load", "it_load", 1.0)) == (
        "/nonexistent/x.csv：找不到该文件（逐时数值 CSV 文件（it_load））",
        True,
    )


def _typed(pages, d, line: str):
    """The editor's text of ``d``, that text with ``utilisation = 0.7`` typed as ``line``, and what
    the Scenario page's ``typed`` answers for the edit (the draft, its note)."""
    text = pages["scenario"].show(d, "en", S)[0]
    edit = text.replace("utilisation = 0.7", line)
    return text, edit, *pages["scenario"].typed(edit, d, None, "en", S)


def test_a_typed_edit_is_kept_as_the_tabs_draft_until_apply(pages, example):
    """An edit not applied was lost on going to another page and back, or a reload (newcomer,
    session 17 #10): only a refused Apply's text was kept. Every edit is the tab's draft, shown
    with its note when the page is drawn again; the applied text is no draft; the editor is
    never written by keeping it."""
    sc, _, _ = example
    d = sc.to_dict()
    text, edit, kept, note = _typed(pages, d, "utilisation = 0.65")
    assert views.draft_of(kept) == edit and "not applied yet" in _said(note)
    assert pages["scenario"].typed(text, d, kept, "en", S) == (None, "")  # typed back to the applied text
    assert pages["scenario"].typed(text, d, None, "en", S) == (dash.no_update, dash.no_update)
    shown_text, _, note = pages["scenario"].show(d, "en", S, kept)  # another page and back, or a reload
    assert shown_text == edit and "not applied yet" in _said(note)
    assert "尚未应用" in _said(pages["scenario"].show(d, "zh", S, kept)[2])
    refused = pages["scenario"].apply(1, edit.replace("0.65", "7.0"), "en", S, d)[3]
    assert pages["scenario"].typed(refused["text"], d, refused, "en", S) == (dash.no_update, dash.no_update)
    assert "Apply refused" in _said(pages["scenario"].show(d, "en", S, refused)[2])
    _, _, ok, cleared, *_ = pages["scenario"].apply(1, edit, "en", S, d)
    assert cleared is None and "Applied" in str(ok.children)


def test_keeping_the_draft_never_writes_the_editor_and_a_slider_never_the_case(answer):
    """The draft store's answer must not rewrite the editor (what is typed after it would be
    lost); a slider's answer must not choose another case (it chose case 1 of 1 before)."""
    by_inputs = {tuple(f"{i['id']}.{i['property']}" for i in d["inputs"]): d for d in answer.deps.values()}
    assert "sc-text.value" not in by_inputs[("sc-text.value",)]["output"]
    sliders = ("green-pv.value", "green-wind.value", "green-st-mw.value", "green-st-mwh.value")
    assert "case.data" not in by_inputs[sliders]["output"]


def test_undo_goes_back_to_the_scenario_before_the_sliders(pages, example):
    """A run of slider moves can be undone: Undo gives the scenario applied before the first of
    them, with the sliders at its ratings; after an Apply (another scenario) there is nothing to undo."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    sc = _eight(example[0])
    d, c = sc.to_dict(), sc.cases()[3]
    e = c.storage.energy_mwh
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "green-pv.value", "value": 160.0}]))
    one, _, kept = pages["green"].resize(160.0, 100.0, 100.0, e, d, 3, "en")
    two, _, kept = pages["green"].resize(160.0, 120.0, 100.0, e, one, 3, "en", kept)
    assert pages["green"].undo_shown(two, kept) == {"display": "inline-block"}
    back, cleared, *sliders = pages["green"].undo(1, two, 3, kept)
    assert back == d and cleared is None and sliders == [150.0, 100.0, 100.0, e]
    assert pages["green"].undo_shown(d, None) == pages["green"].undo_shown(one, kept) == {"display": "none"}
    assert pages["green"].undo(1, one, 3, kept)[0] is dash.no_update


def test_a_draft_typed_over_a_scenario_that_changed_since_is_shown_with_what_changed(pages, example):
    """A draft typed in the editor was dropped without a word once a Green slider moved (review 17
    #3): ``draft_of`` took a draft only over the scenario it was typed over. It is shown, with a
    note saying what the applied scenario changed since; Apply runs it as typed; Discard draft
    gives the applied text back."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    sc, _, _ = example
    d = sc.to_dict()
    _, edit, kept, _ = _typed(pages, d, "utilisation = 0.6")
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "green-pv.value", "value": 160.0}]))
    e = sc.cases()[0].storage.energy_mwh
    moved = _as_a_browser_sends(pages["green"].resize(160.0, 100.0, 100.0, e, d, 0, "en")[0])
    shown_text, _, note = pages["scenario"].show(moved, "en", S, kept)  # back on the Scenario page
    assert shown_text == edit
    assert _said(note).splitlines() == [
        "A draft, not applied yet: press Apply to run it; the pages show the last applied scenario.",
        "It was typed over an older scenario; the applied scenario changed since (green.pv.capacity_mw 150 → 160). "
        "Apply runs this text as it is; Discard draft shows the applied scenario.",
        "Discard draft",
    ]
    zh = _said(pages["scenario"].show(moved, "zh", S, kept)[2])
    assert "该草稿基于较早的情景" in zh and "green.pv.capacity_mw 150 → 160" in zh and "放弃草稿" in zh
    more, note = pages["scenario"].typed(edit + "\n", moved, kept, "en", S)  # typed on: still over the older one
    assert more["base"] == kept["base"] and "older scenario" in _said(note)
    refused = pages["scenario"].apply(1, edit.replace("0.6", "7.0"), "en", S, moved, more)[3]
    assert refused["base"] == kept["base"] and "older scenario" in _said(
        pages["scenario"].show(moved, "en", S, refused)[2]
    )
    assert pages["scenario"].discard(1, moved, S) == (pages["scenario"].show(moved, "en", S)[0], None, "")
    applied = pages["scenario"].apply(1, edit, "en", S, moved, more)[0]  # as typed: PV 150, utilisation 0.6
    assert (data.from_dict(applied).pv.capacity_mw, data.from_dict(applied).facility.utilisation) == (150.0, 0.6)
    unknown = _said(pages["scenario"].show(moved, "en", S, {"text": edit})[2])  # a draft without its base
    assert "the applied scenario changed since. Apply runs" in unknown and "→" not in unknown


def test_an_upload_keeps_a_draft_in_the_editor_and_says_so(pages, example):
    """An upload rewrote the editor with the uploaded scenario's text: a draft typed before it was
    gone. The editor keeps the draft, its note naming the upload by its label."""
    sc, _, _ = example
    d, tab = sc.to_dict(), data.new_session()
    _, edit, kept, _ = _typed(pages, d, "utilisation = 0.6")
    new, ok, editor, note = pages["scenario"].upload(
        _data_url(epw_path("yinchuan").read_bytes()), "kept.epw", d, "en", tab, kept, edit
    )
    assert "ok" in str(ok) and editor is dash.no_update
    said = _said(note)
    assert "weather.source typical → upload:kept.epw" in said and "twin-dash-" not in said, said
    assert pages["scenario"].show(new, "en", tab, kept)[0] == edit


def test_an_upload_keeps_an_edit_the_draft_store_has_not_caught_up_with(pages, example):
    """An upload decided from the ``sc-draft`` store, which lags the editor until the keystroke's
    ``typed`` answer comes: an edit typed just before the upload was overwritten (review 18a #1).
    The editor's own text against the applied scenario's decides."""
    sc, _, _ = example
    d, tab = sc.to_dict(), data.new_session()
    text, edit, _, _ = _typed(pages, d, "utilisation = 0.6")
    upload = pages["scenario"].upload
    new, _, editor, note = upload(_data_url(epw_path("yinchuan").read_bytes()), "a.epw", d, "en", tab, None, edit)
    assert editor is dash.no_update and "weather.source typical → upload:a.epw" in _said(note)
    shown, _, kept_note = pages["scenario"].show(new, "en", tab, None, edit)  # the upload's new scenario drawn
    assert shown is dash.no_update and kept_note is dash.no_update
    again = upload(_data_url(epw_path("yinchuan").read_bytes()), "a.epw", d, "en", tab, None, text)
    assert again[2] == pages["scenario"].show(again[0], "en", tab)[0] and again[3] is dash.no_update


def test_an_upload_keeps_a_keystroke_typed_after_a_kept_draft(pages, example):
    """With a draft already kept, a keystroke whose ``typed`` had not answered was lost to an
    upload: the upload left the editor, but ``show``, drawn on the upload's scenario, read the
    lagging store's draft and wrote it back over the keystroke (final review 18 c #1)."""
    sc, _, _ = example
    d, tab = sc.to_dict(), data.new_session()
    _, first, kept, _ = _typed(pages, d, "utilisation = 0.6")  # answered: the store holds it
    second = first.replace("utilisation = 0.6", "utilisation = 0.65")  # not answered yet
    new, _, editor, _ = pages["scenario"].upload(
        _data_url(epw_path("yinchuan").read_bytes()), "a.epw", d, "en", tab, kept, second
    )
    assert editor is dash.no_update
    shown, _, _ = pages["scenario"].show(new, "en", tab, kept, second)
    assert shown is dash.no_update


def test_a_drafts_note_names_only_the_changes_its_text_does_not_carry(pages, example):
    """A draft's note went on naming a change of the applied scenario after the draft's text was
    edited to carry it (review 18a #7). It names what Apply would undo: the fields the applied
    scenario changed since and the text does not say as it does."""
    sc, _, _ = example
    d = sc.to_dict()
    _, edit, kept, _ = _typed(pages, d, "utilisation = 0.6")
    moved = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, capacity_mw=170.0)).to_dict()
    assert "green.pv.capacity_mw 150 → 170" in _said(pages["scenario"].draft_note(kept, "en", moved, S))
    carried = re.sub(r"(?m)^capacity_mw = 150(\.0)?$", "capacity_mw = 170.0", edit, count=1)
    assert carried != edit
    _, note = pages["scenario"].typed(carried, moved, kept, "en", S)
    assert "changed since" not in _said(note) and "A draft, not applied yet" in _said(note)
    unread = pages["scenario"].draft_note(views.draft("[facility\n", d), "en", moved, S)
    assert "green.pv.capacity_mw 150 → 170" in _said(unread)  # a text that reads as no scenario: all


def test_a_newer_frontier_request_of_the_page_stops_the_older_run(pages, example, monkeypatch):
    """The Green page's frontier went on computing after the tab asked for another case's (or a
    slider changed the scenario): a second request waited behind it on the server's two cores. A
    run's ``should_stop`` turns True once its page load wants another frontier (not for another
    page load, a duplicated tab's with the same ``session`` id included, nor for a request without
    a page id, nor for the page drawn again on the same case); nothing is memoised and the stopped
    call changes nothing (the browser shows only the newer call's answer). Which run a shown
    frontier is, is said under it."""
    from twin.studies import sizing

    sc = dataclasses.replace(example[0], sweep=(("facility.utilisation", (0.7, 0.6)),))  # two frontiers
    d, tab, page = sc.to_dict(), data.new_session(), data.new_session()
    wanted: list[bool] = []
    redrawn: dict[str, tuple] = {}

    def pareto(inp, kind, values, sp, should_stop):
        wanted.append(should_stop())
        with _triggered("case.data"):
            redrawn["answer"] = pages["green"].pareto(0, d, 0, None, "en", tab, page)  # the page drawn again
            pages["green"].pareto(0, d, 1, None, "en", tab, data.new_session())  # a duplicated tab's other case
            pages["green"].pareto(0, d, 1, None, "en", tab, None)  # a request without a page id
            wanted.append(should_stop())
            pages["green"].pareto(0, d, 1, None, "en", tab, page)  # this page chose case 2
        wanted.append(should_stop())
        if should_stop():
            raise sizing.Stopped(1, 6)
        return None

    monkeypatch.setattr(data, "_FRONTIERS", data.LRU(4))  # none memoised by the tests before
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(sizing, "pareto", pareto)
    with _triggered("green-pareto-run.n_clicks"):
        answer = pages["green"].pareto(1, d, 0, None, "en", tab, page)
    assert wanted == [False, False, True]
    assert answer == (dash.no_update,) * 4
    assert data.frontier(sc, 0, compute=False) is None  # a stopped run memoises nothing
    assert _figure_texts(redrawn["answer"][0])[-1].startswith("being computed")  # said at once, not waited for
    run = data.frontier_run(sc, 0, page)
    assert (run.finished(), run.superseded()) == (1, False)  # the stopped run is not counted


def test_the_frontier_line_counts_only_runs_that_computed(pages, example, monkeypatch):
    """A press answered from the cache said ``Shown: run 2 of this page`` (review 18a #5): every
    press was counted. A run is counted when it computes; a frontier memoised before the press is
    ``computed earlier``."""
    import xarray

    from twin.studies import sizing

    sc = dataclasses.replace(example[0], sweep=(("facility.utilisation", (0.7, 0.6)),))  # two frontiers
    d, page = sc.to_dict(), data.new_session()
    monkeypatch.setattr(data, "_FRONTIERS", data.LRU(4))
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(sizing, "pareto", lambda *a: xarray.Dataset())
    monkeypatch.setattr(figures, "pareto_frontier", lambda ds, lang: "figure")
    label = data.case_labels(sc)
    with _triggered("green-pareto-run.n_clicks"):
        said = [_said(pages["green"].pareto(1, d, c, None, "en", S, page)[2]) for c in (0, 0, 1)]
    assert said == [
        f"Shown: run 1 of this page, the frontier of case {label[0]}.",
        f"Shown: the frontier of case {label[0]}, computed earlier.",
        f"Shown: run 2 of this page, the frontier of case {label[1]}.",
    ]


def test_a_green_rating_neither_recomputes_nor_stops_a_frontier(example):
    """The frontier sizes the base from 1 MW unit profiles (``sizing.unit_scenario``), so a case's
    green ratings do not change it, yet it was kept under them: a slider move stopped a frontier
    being computed and forgot one computed, and the default example's 200 and 400 MWh cases
    computed the same frontier twice (final review 18 a #1). Its key leaves the ratings out; what
    the sizing reads (here the utilisation) still tells frontiers apart."""
    sc, _, _ = example
    page = data.new_session()
    run = data.frontier_run(sc, 0, page)
    moved = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, capacity_mw=140.0))  # as the PV slider sets it
    assert [data.frontier_run(x, i, page).key for x, i in ((sc, 1), (moved, 0))] == [run.key] * 2
    assert not run.superseded()
    other = dataclasses.replace(sc, sweep=(("facility.utilisation", (0.7, 0.6)),))
    assert data.frontier_run(other, 1, page).key != run.key and run.superseded()
    assert data.frontier_run(sc, 0, "x" * 1_000_000).page == ""  # an id new_session() never made: not kept


def test_a_frontier_another_request_waits_for_goes_on_when_its_page_wants_another(example, monkeypatch):
    """A run stopped for its page threw away a frontier another request (another tab or user)
    was waiting for: the waiter computed it again from the start, and a third request alongside
    (final review 18 c #2). While another request waits for it, the run goes on."""
    import time

    import xarray as xr

    from twin.studies import sizing

    sc = dataclasses.replace(example[0], sweep=(("facility.utilisation", (0.7, 0.6)),))  # two frontiers
    key, page = data._frontier_case(sc, 0)[1], data.new_session()
    waiter: dict[str, object] = {}
    calls: list[bool] = []

    def pareto(inp, kind, values, sp, should_stop):
        if not calls:
            t = threading.Thread(target=lambda: waiter.setdefault("ds", data.frontier(sc, 0)))
            t.start()
            waiter["thread"] = t
            for _ in range(1000):  # until the second request waits (bounded: 10 s)
                if data._ASKING.get(key, 0) == 2:
                    break
                time.sleep(0.01)
            data.frontier_run(sc, 1, page)  # the page now wants case 2's frontier
        calls.append(should_stop())
        return xr.Dataset({"cost": 1.0})

    monkeypatch.setattr(data, "_FRONTIERS", data.LRU(4))
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(sizing, "pareto", pareto)
    run = data.frontier_run(sc, 0, page)
    got = data.frontier(sc, 0, should_stop=run.superseded)
    waiter["thread"].join(10)
    assert calls == [False] and run.superseded()  # computed once, not stopped: another waited
    assert waiter["ds"] is got and key not in data._ASKING


def test_the_frontier_says_why_a_paid_export_leaves_no_cheapest_base(pages, example):
    """With an export paid above PV's cost per kWh (Yinchuan, 0.2 CNY/kWh) every point of the
    frontier said "infeasible" though the applied base already reached 82.8 %: the frontier says
    `twin size`'s line instead (the price, PV's cost per kWh, the fixes)."""
    sc, _, _ = example
    paid = dataclasses.replace(sc.economics, export_contract=True, export_cny_per_kwh=0.2)
    d = dataclasses.replace(sc, economics=paid).to_dict()
    with _triggered("green-pareto-run.n_clicks"):
        fig, box, *_ = pages["green"].pareto(1, d, 0, None, "en", S)
    said = str(box.children)
    assert "no base is cheapest: economics.export_cny_per_kwh = 0.2 under economics.export_contract" in said
    assert "than PV costs (0.177 CNY/kWh" in said and "infeasible" not in said
    assert not any(tr.type == "scatter" for tr in fig.data)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_number_box_names_its_label_and_says_the_value_is_not_applied(pages, example, lang):
    """A value refused in a number box was said by its field (``green_sliders.pv_mw = 700 is out
    of range``, ``dispatch_plot.start_day``, ``compute.pflop_h_per_mwh``): the page's code, not the
    label beside the box, and the box went on showing 700 as if it were applied. Every box of every
    page names its label (as the page shows it, in its language), the value, what is allowed and
    that the value is not applied (a slider's box: the value it stays at)."""
    sc, _, _ = example
    green, overview = pages["green"], pages["overview"]
    quoted = catalog.t("quoted", lang, text=catalog.t("pv_mw", lang))
    said = str(green.BOXES["pv_mw"][0]("700", 150.0, lang)[1].children)
    stays = catalog.t("refused_kept", lang, value="150 MW")
    if lang == "en":
        assert said == f"Error: {quoted} = 700 is out of range; allowed 0 … 600 MW{stays}"
    else:
        assert said == f"错误: {quoted} = 700 超出范围；允许 0 … 600 MW{stays}"
    for typed in ("-10", "155", "abc", "1e400", ""):
        text = str(green.BOXES["pv_mw"][0](typed, 150.0, lang)[1].children)
        assert quoted in text and "green_sliders" not in text and text.endswith(stays), text
    mwh = str(green.BOXES["storage_mwh"][0]("1700", 200.0, lang)[1].children)
    assert catalog.t("st_mwh", lang) in mwh and mwh.endswith(catalog.t("refused_kept", lang, value="200 MWh"))
    start = green.render(sc.to_dict(), 0, "week", "367", lang)
    text = str(start[4].children)
    assert catalog.t("quoted", lang, text=catalog.t("start_day", lang)) in text and "dispatch_plot" not in text
    assert "367" in text and text.endswith(f"1 … 365{catalog.t('refused', lang)}"), text
    assert "dispatch_plot" not in start[1].layout.annotations[0].text  # the plot says it by the label too
    shown = overview.render(sc.to_dict(), 0, "0", "2e6", lang, S)[5:7]
    for (name, en, zh), box in zip(catalog.COMPUTE_ASSUMPTIONS, shown, strict=True):
        text = str(box.children)
        assert catalog.t("quoted", lang, text=zh if lang == "zh" else en) in text, text
        assert "compute." not in text and name not in text, text
        default = {"pflop_h_per_mwh": "320 PFLOP-h/MWh", "gflop_per_token": "140 GFLOP"}[name]
        assert text.endswith(catalog.t("refused_kept", lang, value=default)), text
    assert "1 … 100,000" in str(shown[0].children) and "0.001 … 1,000,000" in str(shown[1].children)
    if lang == "zh":
        assert english_words(said) == [], said


def test_a_stopped_frontier_run_is_not_counted(pages, example, monkeypatch):
    """A frontier run stopped because the page asked for another case's was counted: the next run
    that finished said ``Shown: run 2 of this page`` though it was the first to finish. Only a run
    that finished is counted."""
    import xarray

    from twin.studies import sizing

    sc = dataclasses.replace(example[0], sweep=(("facility.utilisation", (0.7, 0.6)),))  # two frontiers
    d, page = sc.to_dict(), data.new_session()

    def stopped(inp, kind, values, sp, should_stop):
        data.frontier_run(sc, 1, page)  # the page chose the other case meanwhile
        assert should_stop()
        raise sizing.Stopped(1, 6)

    monkeypatch.setattr(data, "_FRONTIERS", data.LRU(4))
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(figures, "pareto_frontier", lambda ds, lang: "figure")
    monkeypatch.setattr(sizing, "pareto", stopped)
    with _triggered("green-pareto-run.n_clicks"):
        assert pages["green"].pareto(1, d, 0, None, "en", S, page) == (dash.no_update,) * 4
        monkeypatch.setattr(sizing, "pareto", lambda *a: xarray.Dataset())
        said = _said(pages["green"].pareto(1, d, 1, None, "en", S, page)[2])
    assert said == f"Shown: run 1 of this page, the frontier of case {data.case_labels(sc)[1]}."


def _pressed_run(pages, d, page, case=0):
    """A press of the frontier's button on ``page`` for ``case``, in a thread (its answer in ``answers["press"]``)."""
    answers: dict[str, tuple] = {}

    def press() -> None:
        with _triggered("green-pareto-run.n_clicks"):
            answers["press"] = pages["green"].pareto(1, d, case, None, "en", S, page)

    thread = threading.Thread(target=press, name="press")
    thread.start()
    return thread, answers


@pytest.mark.parametrize("ends", ["memoised", "stopped"])
def test_the_green_page_drawn_during_a_frontier_run_asks_again_until_the_run_ends(pages, example, monkeypatch, ends):
    """The Green page drawn again (another page and back, another tab) while a frontier ran waited
    for the run in its request: a server thread and one of the browser's six connections held
    until the run ended (review 19b #4). Drawn now, it says at once that the frontier is being
    computed and turns its poll on (``green-pareto-poll``); each tick asks whether the run goes
    on, without waiting for it. When the run ends the page shows the frontier; when it is stopped
    (the tab that pressed chose another case) the page says, as it does with no run, that it is
    not computed, and the poll stops.

    On the old code the page drawn again waited here until the run gave up (``release`` unset)
    and then said `not yet computed`."""
    import xarray

    from twin.studies import sizing

    sc = dataclasses.replace(example[0], sweep=(("facility.utilisation", (0.7, 0.6)),))  # two frontiers
    d, pressing, other = sc.to_dict(), data.new_session(), data.new_session()
    began, release = threading.Event(), threading.Event()
    stops: list[bool] = []

    def pareto(inp, kind, values, sp, should_stop):
        began.set()
        assert release.wait(30), "the page drawn again waited for the run"
        stops.append(should_stop())
        if stops[-1]:
            raise sizing.Stopped(1, 6)
        return xarray.Dataset()

    monkeypatch.setattr(data, "_FRONTIERS", data.LRU(4))
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(sizing, "pareto", pareto)
    monkeypatch.setattr(figures, "pareto_frontier", lambda ds, lang: "figure")
    green = pages["green"]
    with _triggered("."):
        fig, _, _, poll_off = green.pareto(0, d, 0, None, "en", S, other)
    assert _figure_texts(fig)[-1].startswith("not yet computed") and poll_off  # no run, none memoised
    press, answers = _pressed_run(pages, d, pressing)
    assert began.wait(60)
    with _triggered("."):
        fig, error, note, poll_off = green.pareto(0, d, 0, None, "en", S, other)  # another tab's page, drawn
    answered_during_run = not release.is_set()
    assert answered_during_run and _figure_texts(fig)[-1].startswith("being computed") and poll_off is False
    assert green.poll(1, d, 0, S) == (dash.no_update, dash.no_update)  # a tick during the run: nothing
    if ends == "stopped":
        with _triggered("case.data"):
            assert _figure_texts(green.pareto(0, d, 1, None, "en", S, pressing)[0])[-1].startswith("not yet")
    release.set()
    press.join(60)
    assert stops == [ends == "stopped"]
    assert green.poll(2, d, 0, S) == (2, True)  # the run ended: the page is drawn again, the poll stops
    with _triggered("green-pareto-ended.data"):
        fig, error, note, poll_off = green.pareto(0, d, 0, 2, "en", S, other)
    assert poll_off is True and error == ""
    if ends == "stopped":
        assert answers["press"] == (dash.no_update,) * 4
        assert _figure_texts(fig)[-1].startswith("not yet computed") and note == ""
    else:
        assert answers["press"][0] == fig == "figure" and "run 1 of this page" in _said(answers["press"][2])
        assert "computed earlier" in _said(note)


def test_one_frontier_asked_for_at_once_is_computed_once(pages, example, monkeypatch):
    """Two sessions asking for the same frontier at once, while none is memoised, could compute it
    twice side by side (review 19b #4, by reading): a page drawn meanwhile took the key's lock
    before the first press did, and when its "none computed" gave up it removed the lock the press
    waited on, so the second press made a new one and computed as well. One computation per key
    now serves every request for it (:class:`twin.core.memo.LRU`: one pending result per key),
    and a page drawn meanwhile never enters it."""
    import time

    import xarray

    from twin.studies import sizing

    sc = example[0]
    d = sc.to_dict()
    computing: list[str] = []
    drawn, second = threading.Event(), threading.Event()
    answers: dict[str, object] = {}

    class Frontiers(data.LRU):
        def get(self, key, make):
            name = threading.current_thread().name
            if name == "first":  # the first press enters after the page drawn meanwhile
                assert drawn.wait(60)
                time.sleep(0.2)
            if name == "redraw":

                def make_slowly():
                    drawn.set()
                    time.sleep(0.5)  # the first press now waits for this key
                    return make()

                return super().get(key, make_slowly)
            return super().get(key, make)

    def pareto(inp, kind, values, sp, should_stop):
        computing.append(threading.current_thread().name)
        if len(computing) == 1:
            threading.Thread(target=ask, args=("second", "green-pareto-run.n_clicks"), name="second").start()
            second.wait(3)  # the second press computes beside this one (the old code), or waits for it
        else:
            second.set()
        return xarray.Dataset({"cost": float(len(computing))})

    def ask(name: str, prop: str) -> None:
        with _triggered(prop):
            try:
                answers[name] = pages["green"].pareto(1, d, 0, None, "en", data.new_session(), data.new_session())
            finally:
                drawn.set()

    monkeypatch.setattr(data, "_FRONTIERS", Frontiers(4))
    monkeypatch.setattr(sizing, "sizing_inputs", lambda *a, **k: None)
    monkeypatch.setattr(sizing, "pareto", pareto)
    monkeypatch.setattr(figures, "pareto_frontier", lambda ds, lang: float(ds["cost"]))
    threads = [threading.Thread(target=ask, args=("first", "green-pareto-run.n_clicks"), name="first")]
    threads.append(threading.Thread(target=ask, args=("redraw", "."), name="redraw"))
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for _ in range(600):  # the second press's thread, started by the first run (bounded: 60 s)
        if "second" in answers:
            break
        time.sleep(0.1)
    assert len(computing) == 1, computing
    assert answers["first"][0] == answers["second"][0] == 1.0


def test_chinese_pages_label_cases_metrics_and_dates_in_chinese(pages, example):
    """The Chinese pages showed the case chooser's and the frontier line's case as
    `yinchuan · free_air · energy_mwh=200`, the Reported table's metric ids (`storage_power`) and
    plotly's English month names on date axes (Jun 21). Cases and metrics are named from the
    catalogue; every graph asks plotly.js for its zh-CN locale, served from the app's assets."""
    import sites as site_files

    sc, _, k = example
    assert data.case_labels(sc, "zh") == [
        "银川（闽宁） · 新风自然冷却 · 储能容量 200 MWh",
        "银川（闽宁） · 新风自然冷却 · 储能容量 400 MWh",
    ]
    assert data.case_labels(sc) == ["yinchuan · free_air · energy_mwh=200", "yinchuan · free_air · energy_mwh=400"]
    metrics = {r.metric for key in site_files.available() for r in site_files.load(key).reported}
    named = {m: catalog.metric_label(m, "zh") for m in metrics}
    assert all(english_words(name) == [] for name in named.values()), named
    rows = views.reported_rows(k, "yinchuan", sc.cases()[0], lambda: 1.0, "zh")
    assert {r["label"] for r in rows} <= set(named.values()) and "储能功率" in {r["label"] for r in rows}
    for name in ("overview", "cooling", "green"):
        graphs = [c for c in _walk(pages[name].layout("zh")) if type(c).__name__ == "Graph"]
        assert graphs and all(g.config["locale"] == "zh-CN" for g in graphs), name
        assert all(g.config["locale"] == "en" for g in _walk(pages[name].layout("en")) if type(g).__name__ == "Graph")
    asset = Path(dashboards.__file__).parent / "assets" / "plotly-locale-zh-cn.js"
    assert "name: 'zh-CN'" in asset.read_text(encoding="utf-8") and "PlotlyLocales" in asset.read_text(encoding="utf-8")
    assert "MIT License" in (asset.parent / "LICENSE-plotly.js-locales.txt").read_text(encoding="utf-8")
    assert catalog.plotly_locale_script("en") == ""
    zh = report.build_report(sc, 0, "zh")
    assert catalog.plotly_locale_script("zh") in zh and '"locale": "zh-CN"' in zh  # the report: its own copy
    assert "银川（闽宁） · 新风自然冷却 · 储能容量 200 MWh" in zh and "储能功率" in zh


def test_the_annual_cost_says_it_is_per_year_and_includes_the_green_plant(example):
    """Newcomer 20, finding 3: the report's "Annual electricity cost (M CNY) 141 | 143" rose with
    the 400 MWh store, which imports 35 % less grid energy: the figure includes the green plant's
    annuity, per year. Its name says so in the report, the tables and the NetCDF file."""
    sc, _, k = example
    en, zh = report.build_report(sc, 0), report.build_report(sc, 0, "zh")
    assert re.search(r"Annual energy cost incl\. green plant( \(|, )M CNY/yr", en) and "electricity cost" not in en
    assert re.search("年能源成本（含绿电设施）( \\(|，)百万元/年", zh) and "年电费" not in zh
    assert k["cost_total"].attrs["long_name"] == "annual energy cost incl. green plant in CNY"
    assert "the green plant's annuity and O&M" in k["cost_total"].attrs["description"]


def test_the_green_page_says_the_frontiers_marginal_figures_under_it(pages):
    """Newcomer 20, finding 1: the page gave the bars alone; the words under the chart are the
    figure's (:func:`dashboards.figures.marginal_said`, the CLI's note), and nothing under a message."""
    ds = xr.Dataset(
        {k: (("design", "target"), [[1e8, 1.1e8]]) for k in ("cost", "pv_mw", "wind_mw", "storage_mw", "storage_mwh")},
        coords={"design": ["free_air"], "target": [0.8, 0.9]},
        attrs={"target_kind": "hourly"},
    )
    ds["marginal_cost"] = (("design", "target"), [[np.nan, 1e6]])
    ds["last_unit_cost"] = ("design", [3e6])
    fig = figures.pareto_frontier(ds).to_dict()
    shown = pages["green"].marginal(fig)
    assert [p.children for p in shown] == figures.marginal_said(ds)
    assert shown[0].children.startswith("marginal cost of the last point of the highest target (89.0 % → 90.0 %)")
    assert pages["green"].marginal(figures.message_figure("not yet computed").to_dict()) == []
