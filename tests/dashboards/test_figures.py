"""Figure builders called directly on a simulated year (no server)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from dashboards import data, figures
from dashboards.catalog import GREYS, PALETTE, unit_of, var_label


@pytest.fixture(scope="module")
def green_case():
    """The Minning example, first case: hourly Dataset and KPIs."""
    return data.run_case(data.default_scenario(), 0)


def _y(fig, name):
    return np.concatenate([np.asarray(tr.y, dtype=float) for tr in fig.data if tr.name == name])


def test_day_hour_and_daily_mean():
    v = np.arange(48.0)
    assert figures.day_hour(v).shape == (2, 24)
    np.testing.assert_allclose(figures.daily_mean(v), [11.5, 35.5])


def test_pue_heatmap_is_the_hourly_pue_by_day_and_hour(green_case):
    ds, _ = green_case
    fig = figures.pue_heatmap(ds)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (24, 365)
    np.testing.assert_allclose(z[13, 100], ds["pue"].values[100 * 24 + 13], atol=1e-4)
    assert fig.layout.xaxis.title.text == "day of year"


def test_power_stack_sums_to_facility_power(green_case):
    ds, _ = green_case
    fig = figures.power_stack(ds)
    total = sum(np.asarray(tr.y, dtype=float) for tr in fig.data)
    np.testing.assert_allclose(total, figures.daily_mean(ds["p_facility"].values) / 1000.0, rtol=1e-5, atol=1e-3)
    assert fig.layout.yaxis.title.text.endswith(", MW")
    colours = [tr.fillcolor for tr in fig.data]
    assert len(set(colours)) == len(colours) and set(colours) <= set(PALETTE + GREYS)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_power_stack_leaves_out_a_component_zero_all_year_and_says_so(green_case, lang):
    """The Cooling page's power stack listed free air's pumps and heat rejection fans, zero every
    hour of the year, in its legend (a flat band nobody could see). They are left out; a note
    under the title names them; every other component keeps its colour."""
    ds, _ = green_case
    zero = [p for p in figures.COMPONENTS if p in ds and not np.any(ds[p].values)]
    assert zero == ["p_pumps", "p_heat_rejection"]  # the precondition: free air moves no water
    fig = figures.power_stack(ds, lang)
    names = [tr.name for tr in fig.data]
    assert not {var_label(p, lang, unit="") for p in zero} & set(names)
    assert len(names) == sum(p in ds for p in figures.COMPONENTS) - len(zero)
    note = fig.layout.annotations[0].text
    sep = "、" if lang == "zh" else ", "
    assert note.endswith(sep.join(var_label(p, lang, unit="") for p in zero) + ("。" if lang == "zh" else "."))
    kept = {tr.name: tr.fillcolor for tr in fig.data}
    every = {tr.name: tr.fillcolor for tr in figures.power_stack(ds.assign(p_pumps=ds["p_it"] * 0 + 1.0), lang).data}
    assert all(every[n] == c for n, c in kept.items())  # the pumps drawn again shift no other colour
    ds_all = ds.assign(**{p: ds[p] + 1.0 for p in zero})
    assert not figures.power_stack(ds_all, lang).layout.annotations  # nothing left out: no note


def test_sankey_balances_at_the_facility_node(green_case):
    ds, k = green_case
    s = figures.sankey(ds).data[0]
    src, dst, val = np.asarray(s.link.source), np.asarray(s.link.target), np.asarray(s.link.value, dtype=float)
    inflow, outflow = val[dst == 3].sum(), val[src == 3].sum()
    assert inflow == pytest.approx(float(k["energy_facility"]), rel=1e-5)
    assert outflow == pytest.approx(inflow, rel=1e-5)


def test_hourly_green_share_weighted_by_load_is_the_hourly_green_share(green_case):
    ds, k = green_case
    share = figures.hourly_green_share(ds)
    assert 0.0 <= share.min() and share.max() <= 1.0
    load = ds["p_facility"].values
    assert (share * load).sum() / load.sum() == pytest.approx(float(k["green_share_hourly"]), rel=1e-9)
    fig = figures.green_share_heatmap(ds)
    assert fig.data[0].zmax == 100.0 and "green share" in fig.layout.title.text
    assert "无碳" not in figures.green_share_heatmap(ds, "zh").layout.title.text  # not the 24/7 CFE


def test_the_hourly_green_share_counts_no_grid_charged_discharge():
    """The heatmap's share counted all storage discharge as green: with the store charged from the
    grid (LP dispatch, time-of-use arbitrage) its load-weighted mean was above the headline; it is
    the headline hour by hour (README: f_g, the stored energy's green fraction)."""
    import dataclasses

    sc = data.default_scenario()
    sc = dataclasses.replace(sc, dispatch=dataclasses.replace(sc.dispatch, strategy="lp", grid_charging=True))
    ds, k = data.run_case(sc, 0)
    # the case this is about (7.5 % of the charge since the LP sees the demand charge; 11 % before)
    assert float(ds["p_grid_charge"].sum()) > 0.05 * float(ds["p_charge"].sum())
    load = ds["p_facility"].values
    share = figures.hourly_green_share(ds)
    assert (share * load).sum() / load.sum() == pytest.approx(float(k["green_share_hourly"]), rel=1e-9)


@pytest.mark.parametrize(("span", "points"), [("week", 168), ("month", 720), ("year", 365)])
def test_dispatch_sends_what_it_shows_and_supply_meets_load(green_case, span, points):
    ds, _ = green_case
    fig = figures.dispatch(ds, span, 200)
    names = {var_label(n, unit="") for n in ("p_green_direct", "p_discharge", "p_grid_import", "p_facility")}
    assert names <= {tr.name for tr in fig.data}
    assert all(len(tr.y) == points for tr in fig.data)
    supply = sum(_y(fig, var_label(n, unit="")) for n in ("p_green_direct", "p_discharge", "p_grid_import"))
    # no grid charging in this case: supply = load (3 decimals of MW sent)
    np.testing.assert_allclose(supply, _y(fig, var_label("p_facility", unit="")), atol=5e-3)


def test_dispatch_window_is_clipped_to_the_year(green_case):
    ds, _ = green_case
    fig = figures.dispatch(ds, "week", 400)
    assert str(fig.data[0].x[-1])[:10] == "2021-12-31"


def test_psychrometric_chart_has_every_hour_and_the_envelope(green_case):
    ds, _ = green_case
    env = data.envelope("A1")
    fig = figures.psychrometric_chart(ds, data.design_modes("free_air"), env, "A1", 1111.0)
    hours = sum(len(tr.x) for tr in fig.data if tr.type == "scattergl")
    assert hours == ds.sizes["time"]
    poly = next(tr for tr in fig.data if "A1" in tr.name)
    assert min(poly.x) == pytest.approx(env[0]) and max(poly.x) == pytest.approx(env[1])
    # top edge = dew point 17 °C: hand calculation with ASHRAE's table p_ws(17 °C) = 1.9393 kPa at the
    # standard-atmosphere pressure of 1111 m, 101.325 (1 − 2.25577e-5 z)^5.2559 = 88.69 kPa
    p = 101.325 * (1 - 2.25577e-5 * 1111.0) ** 5.2559
    assert max(poly.y) == pytest.approx(1000 * 0.621945 * 1.9393 / (p - 1.9393), abs=0.1)
    assert fig.layout.xaxis.title.text == var_label("t_db")
    assert unit_of("t_db") == "°C"


def test_storage_cycles_per_day(green_case):
    ds, _ = green_case
    fig = figures.storage_cycles(ds)
    daily = np.asarray(fig.data[0].y, dtype=float)
    assert daily.size == 365
    assert daily.sum() == pytest.approx(float(ds["p_discharge"].sum()) / 1000.0, rel=1e-4)


def test_design_comparison_and_site_map():
    k = data.study()
    fig = figures.design_comparison(k, "guian", 1.2, current="spray")
    bars = fig.data[0]
    sel = np.asarray(k["site"].values) == "guian"
    np.testing.assert_allclose(np.asarray(bars.y, dtype=float), np.asarray(k["pue"].values)[sel], atol=1e-4)
    assert bars.marker.color[list(bars.x).index("spray")] == PALETTE[1]
    rows = [{"lat": 26.6, "lon": 106.7, "name": "Gui'an 贵安", "pue": 1.1}]
    geo = figures.site_map(rows)
    assert geo.data[0].type == "scattergeo" and geo.layout.geo.scope == "asia" and geo.layout.geo.resolution == 50
    assert figures.site_map(rows, geo=False).data[0].type == "scatter"
    rows = [{**rows[0], "co2": 4.2e4}, {"lat": 45.6, "lon": 84.9, "name": "Karamay", "pue": 1.09, "co2": 4.7e4}]
    by_co2 = figures.site_map(rows, by="co2")  # the map ranked as the table is: it stayed PUE
    assert list(by_co2.data[0].marker.color) == [4.2e4, 4.7e4]
    assert "CO2" in by_co2.data[0].marker.colorbar.title.text


def test_case_labels_name_a_swept_field_short_and_its_value_plainly():
    """The Minning example's storage sweep read ``green.storage.energy_mwh=200`` (an int kept the
    whole key): cut in the case chooser, 200 and 400 MWh looked the same."""
    from twin import Scenario

    sc = Scenario(
        sites=("yinchuan",),
        designs=("free_air",),
        sweep=(("green.storage.energy_mwh", (200, 400)), ("facility.utilisation", (0.5,))),
    )
    assert data.case_labels(sc) == [
        "yinchuan · free_air · energy_mwh=200, utilisation=0.5",
        "yinchuan · free_air · energy_mwh=400, utilisation=0.5",
    ]


def test_chinese_labels():
    assert var_label("p_it", "zh") == "IT 功率，kW" and var_label("p_it") == "IT power, kW"
    fig = figures.message_figure("尚未计算")
    assert fig.layout.annotations[0].text == "尚未计算"


def test_sankey_labels_only_the_nodes_worth_reading(green_case):
    ds, k = green_case
    s = figures.sankey(ds).data[0]
    src, dst, val = np.asarray(s.link.source), np.asarray(s.link.target), np.asarray(s.link.value, dtype=float)
    names, shown = list(s.node.customdata), list(s.node.label)
    share = np.array([max(val[src == i].sum(), val[dst == i].sum()) for i in range(len(names))])
    share /= float(k["energy_facility"])
    small = share < figures.SANKEY_LABEL_SHARE
    assert small.any() and (~small).sum() >= 5  # the Minning example has a thin storage-loss node
    for name, label, tiny in zip(names, shown, small, strict=True):
        assert label == ("" if tiny else name)  # a thin node unlabelled, its name in the hover
    assert "%{customdata}" in s.node.hovertemplate


def _flow_year(cooling: float, charge: float, discharge: float) -> xr.Dataset:
    """One hour of 1,000 kWh facility energy: IT, cooling, UPS loss; a grid-charged store."""
    it, ups = 900.0, 100.0 - cooling
    v = {
        "p_it": it,
        "p_cooling": cooling,
        "p_ups_loss": ups,
        "p_facility": it + cooling + ups,
        "p_charge": charge,
        "p_grid_charge": charge,
        "p_discharge": discharge,
        "p_grid_import": it + cooling + ups - discharge + charge,
    }
    return xr.Dataset({k: ("time", [x]) for k, x in v.items()})


@pytest.mark.parametrize(("charge", "store_labelled"), [(25.0, True), (18.0, False)])
def test_sankey_label_threshold_is_a_nodes_energy_not_half_its_through_flow(charge, store_labelled):
    # cooling, a sink, carries 3 % of the facility energy (half its flow, 1.5 %, was compared);
    # the store passes 2.5 % or 1.8 % through (in = out + its loss): counted once, not twice
    s = figures.sankey(_flow_year(cooling=30.0, charge=charge, discharge=15.0)).data[0]
    shown = dict(zip(s.node.customdata, s.node.label, strict=True))
    assert shown["cooling"] == "cooling"
    assert (shown[var_label("p_discharge", "en", unit="")] != "") is store_labelled
    assert shown["storage losses"] == ""  # 1.0 % or 0.3 % of the facility energy
    assert shown["grid"] == "grid" and shown["losses and misc"] == "losses and misc"


@pytest.mark.parametrize(("lo", "hi"), [(0, 179.2), (0, 1), (0, 0.37), (0, 1234.5), (3.3, 7.1), (0, 200), (5, 5)])
def test_nice_ticks_are_round_and_cover_the_range(lo, hi):
    ticks = figures.nice_ticks(lo, hi)
    step = ticks[1] - ticks[0]
    mag = 10 ** np.floor(np.log10(step))
    assert any(np.isclose(step, m * mag) for m in (1, 2, 2.5, 5))
    assert np.allclose(np.diff(ticks), step) and np.allclose(ticks / step, np.round(ticks / step))
    assert ticks[0] <= lo and ticks[-1] >= hi and 3 <= ticks.size <= 8


def test_dispatch_state_of_charge_axis_has_round_ticks(green_case):
    ds, _ = green_case
    for span in ("week", "year"):
        fig = figures.dispatch(ds, span, 172)
        y2 = fig.layout.yaxis2
        soc = np.asarray(next(tr for tr in fig.data if tr.yaxis == "y2").y, dtype=float)
        ticks = np.asarray(y2.tickvals, dtype=float)
        assert y2.tickmode == "array" and ticks[0] == 0 and ticks[-1] >= soc.max()
        assert list(y2.range) == [ticks[0], ticks[-1]]
        assert all(f"{v:g}" == f"{v:.4g}" and len(f"{v:g}") <= 5 for v in ticks)  # 0, 50, 100 …, not 43.2


def test_dispatch_of_a_store_that_holds_nothing_draws_no_storage_axis(green_case):
    """Newcomer 19 #9: a case whose store never charges or holds energy (none, or 400 MWh at 0 MW)
    drew flat zero storage series and a state-of-charge axis of 0 … 1 MWh; the store is left out,
    and the supply still meets the load."""
    ds, _ = green_case
    idle = ds.copy()
    for n in figures.STORAGE_VARS:
        idle[n] = ds[n] * 0.0
    idle["p_grid_import"] = ds["p_grid_import"] + ds["p_discharge"]  # the load met without the store
    storage = {var_label(n, unit="") for n in ("p_discharge", "p_charge")} | {var_label("soc")}
    for span in ("week", "year"):
        fig = figures.dispatch(idle, span, 172)
        assert not storage & {tr.name for tr in fig.data} and "yaxis2" not in fig.layout.to_plotly_json()
        supply = sum(_y(fig, var_label(n, unit="")) for n in ("p_green_direct", "p_grid_import"))
        np.testing.assert_allclose(supply, _y(fig, var_label("p_facility", unit="")), atol=5e-3)
        assert storage <= {tr.name for tr in figures.dispatch(ds, span, 172).data}


def _site_rows() -> list[dict]:
    import sites

    rows = []
    for key in sites.available():
        s = sites.load(key)
        if 70 < s.location.longitude_deg < 140:
            name = f"{s.name} {s.name_zh}"
            rows.append({"name": name, "lat": s.location.latitude_deg, "lon": s.location.longitude_deg, "pue": 1.1})
    return rows


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if min(boxes[i][2], boxes[j][2]) > max(boxes[i][0], boxes[j][0])
        and min(boxes[i][3], boxes[j][3]) > max(boxes[i][1], boxes[j][1])
    ]


def test_map_labels_do_not_overlap():
    rows = _site_rows()
    names = [figures.map_label(r["name"]) for r in rows]
    x, y, bounds = figures.map_pixels([r["lon"] for r in rows], [r["lat"] for r in rows])
    fig = figures.site_map(rows)
    pos = list(fig.data[0].textposition)
    boxes = figures.label_boxes(x, y, names, pos)
    assert _overlaps(boxes) == [] and len(set(pos)) > 1  # with one position for all they did overlap
    assert _overlaps(figures.label_boxes(x, y, names, ["top center"] * len(names)))
    markers = [(a - 7, b - 7, a + 7, b + 7) for a, b in zip(x, y, strict=True)]
    on_marker = [(i, j) for i, j in _overlaps([*boxes, *markers]) if i < len(boxes) <= j]
    # no label on a marker (a corner position's box reaches 0.1 px into its marker's square, 9.8 px
    # from the centre of the 6 px circle drawn)
    assert not [(i, j) for i, j in on_marker if figures._overlap(boxes[i], markers[j - len(boxes)]) > 0.05]
    assert all(bounds[0] <= b[0] and b[2] <= bounds[2] and bounds[1] <= b[1] and b[3] <= bounds[3] for b in boxes)
    nx, ny, narrow = figures.map_pixels([r["lon"] for r in rows], [r["lat"] for r in rows], figures.MAP_NARROW_PX)
    small = figures.MAP_NARROW_FONT
    inside = [
        narrow[0] <= b[0] and b[2] <= narrow[2] and narrow[1] <= b[1] and b[3] <= narrow[3]
        for b in figures.label_boxes(nx, ny, names, pos, small)
    ]
    assert all(inside), [n for n, ok in zip(names, inside, strict=True) if not ok]  # on a 375 px phone screen
    cx, cy, names = [100, 112, 124, 106], [100, 104, 98, 115], ["Alpha", "Beta 北", "Gamma", "Delta"]
    assert _overlaps(figures.label_boxes(cx, cy, names, figures.place_labels(cx, cy, names))) == []


def _frontier(kind: str = "hourly"):
    import xarray as xr

    rng = np.random.default_rng(1)
    names = ("cost", "marginal_cost", "pv_mw", "wind_mw", "storage_mw", "storage_mwh")
    return xr.Dataset(
        {k: (("design", "target"), rng.random((1, 3)) * 1e7) for k in names},
        coords={"design": ["free_air"], "target": [0.5, 0.6, 0.7]},
        attrs={"target_kind": kind},
    )


def test_the_frontier_keeps_its_legend_off_the_axis_title_and_its_marginal_ticks_round():
    """The legend lay on "target (%)" and the marginal axis, synced to the cost axis' grid, read
    0.259, 0.572 … (newcomer's screenshot)."""
    ds = _frontier()
    fig = figures.pareto_frontier(ds)
    assert fig.layout.legend.to_plotly_json() == figures.LEGEND and fig.layout.xaxis.automargin
    assert fig.layout.yaxis2.tickmode == "auto"
    line, bars = fig.data
    assert list(line.x) == pytest.approx([50.0, 60.0, 70.0]) and list(bars.x) == list(line.x)
    assert list(line.y) == pytest.approx(list(ds["cost"].values[0] / 1e6), abs=1e-4)
    assert bars.yaxis == "y2" and line.line.color == bars.marker.color == PALETTE[0]  # the app's palette
    assert fig.layout.font.family == figures.FONT  # the app's layout, not plotly's default
    assert figures.pareto_frontier(_frontier("days")).layout.xaxis.title.text == "target, days"


def test_a_wide_map_label_is_two_lines():
    """One line of both names (318 px for Guangzhou's) is wider than the map on a phone screen."""
    assert (
        figures.map_label("Guangzhou (Greater Bay Area) 广州（粤港澳大湾区）")
        == "Guangzhou (Greater Bay Area)<br>广州（粤港澳大湾区）"
    )
    assert figures.map_label("Karamay 克拉玛依") == "Karamay 克拉玛依"
    assert figures._text_width("ab<br>北京") == 24.0
    assert figures.label_boxes([0], [0], ["a<br>b"], ["middle right"])[0][3] == 15.0


def _zh_date_axes(green_case):
    ds, _ = green_case
    return {
        "dispatch": (figures.dispatch(ds, "week", 172, "zh"), True),
        "dispatch_year": (figures.dispatch(ds, "year", 1, "zh"), False),
        "power_stack": (figures.power_stack(ds, "zh"), False),
        "storage_cycles": (figures.storage_cycles(ds, "zh"), False),
    }


def test_the_chinese_date_axes_read_month_and_day_in_chinese(green_case):
    """Review 19b, finding 7: the date ticks read plotly's zh-CN month names (`六 21`, `一 2021`);
    every figure with a date axis gives it Chinese formats for every zoom (`6月21日`, `2021年1月`)
    and hovers (`2021年6月21日 12时`; daily values without the hour). English axes are plotly's own."""
    for name, (fig, hourly) in _zh_date_axes(green_case).items():
        x = fig.layout.xaxis
        formats = {tuple(s.dtickrange): s.value for s in x.tickformatstops}
        assert formats == {(lo, hi): f for lo, hi, f in figures.DATE_TICKS_ZH}, name
        assert formats[(86_400_000, 1_209_600_000)] == "%-m月%-d日" and formats[("M1", "M6")] == "%Y年%-m月", name
        assert x.hoverformat == ("%Y年%-m月%-d日 %H时" if hourly else "%Y年%-m月%-d日"), name
    ds, _ = green_case
    for fig in (figures.dispatch(ds), figures.power_stack(ds), figures.storage_cycles(ds)):
        assert not fig.layout.xaxis.tickformatstops and fig.layout.xaxis.hoverformat is None


def test_the_chinese_date_ticks_name_every_tick_apart_at_every_zoom():
    """Zoomed into a few hours of the dispatch chart (ticks 30 or 15 minutes apart), the Chinese
    ticks read `6月23日 02时, 6月23日 02时, 6月23日 03时`: the hour alone named two ticks alike
    (seen in Chromium). Each of plotly's tick spacings finds a format that tells two ticks apart."""
    import datetime as dt

    hour = 3_600_000
    spacings = [60_000, 300_000, 600_000, 900_000, 1_800_000, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour]
    spacings += [24 * hour, 2 * 24 * hour, 7 * 24 * hour, 14 * 24 * hour]
    t0 = dt.datetime(2021, 6, 23, 2, 0)
    for ms in spacings:
        fmt = next(f for lo, hi, f in figures.DATE_TICKS_ZH if (lo is None or lo <= ms) and (hi is None or ms <= hi))
        first, second = t0.strftime(fmt), (t0 + dt.timedelta(milliseconds=ms)).strftime(fmt)
        assert first != second, (ms, fmt, first)
    assert (t0 + dt.timedelta(minutes=30)).strftime(figures.DATE_TICKS_ZH[0][2]) == "6月23日 02:30"


def test_the_chinese_hovers_and_titles_are_chinese(green_case):
    """Seen in Chromium: the Chinese heatmaps' hovers said `day 182, 12:00`, the date charts'
    `(2021年6月23日 22时, 44.218)` (an English comma, no unit) and the dispatch chart's title
    `调度: 周`. The heatmaps say `第 182 天 12:00`, a date chart's trace its time and value with
    the unit (`2021年6月23日 22时：44.218 MW`) in both languages, and Chinese titles join with the
    full-width colon."""
    ds, _ = green_case
    for fig in (figures.pue_heatmap(ds, "zh"), figures.green_share_heatmap(ds, "zh")):
        assert fig.data[0].hovertemplate.startswith("第 %{x} 天 %{y}:00<br>"), fig.data[0].hovertemplate
    assert figures.pue_heatmap(ds).data[0].hovertemplate.startswith("day %{x}, %{y}:00<br>")
    for lang, sep in (("zh", "："), ("en", ": ")):
        week = figures.dispatch(ds, "week", 172, lang)
        hovers = {tr.name: tr.hovertemplate for tr in week.data}
        assert hovers[var_label("p_pv", lang, unit="")] == f"%{{x}}{sep}%{{y}} MW"
        assert hovers[var_label("soc", lang)] == f"%{{x}}{sep}%{{y}} MWh"
        assert all(h for h in hovers.values()), hovers
        for fig in (figures.power_stack(ds, lang), figures.storage_cycles(ds, lang)):
            assert all(tr.hovertemplate.startswith(f"%{{x}}{sep}%{{y}} MW") for tr in fig.data)
        assert week.layout.title.text == ("调度：周" if lang == "zh" else "Dispatch: week")
    names = [tr.name for tr in figures.pareto_frontier(_frontier(), "zh").data]
    assert names and all("：" in n and ": " not in n for n in names), names


def test_the_chinese_axis_titles_use_the_full_width_comma_and_yuan(green_case):
    """Review 19b, finding 7: the Chinese axis titles read `年成本, M CNY/yr` and `年电费, M CNY` (plan 20,
    finding 3: the cost, per year, includes the green plant's annuity: 年能源成本（含绿电设施）)."""
    zh = figures.pareto_frontier(_frontier(), "zh").layout
    titles = [zh.xaxis.title.text, zh.yaxis.title.text, zh.yaxis2.title.text]
    assert titles == ["目标，%", "年成本，百万元/年", "每百分点平均成本（按步长），百万元/年"], titles
    assert figures.pareto_frontier(_frontier("days"), "zh").layout.xaxis.title.text == "目标，天"
    en = figures.pareto_frontier(_frontier()).layout
    assert [en.xaxis.title.text, en.yaxis.title.text] == ["target, %", "annual cost, M CNY/yr"]
    rows = [{"lat": 26.6, "lon": 106.7, "name": "Gui'an 贵安", "pue": 1.1, "cost_total": 3.1e7}]
    bars = [figures.site_map(rows, lang, by="cost_total").data[0].marker.colorbar.title.text for lang in ("zh", "en")]
    assert bars == ["年能源成本（含绿电设施），百万元/年", "Annual energy cost incl. green plant, M CNY/yr"], bars
    ds, _ = green_case
    for fig in (figures.dispatch(ds, "week", 172, "zh"), figures.storage_cycles(ds, "zh")):
        said = [fig.layout.yaxis.title.text or "", *(tr.name or "" for tr in fig.data)]
        assert not [s for s in said if ", " in s or "CNY" in s], said


def test_the_frontiers_bars_and_words_say_what_they_show_as_the_cli_does():
    """Newcomer 20, finding 1: the Green page's bars (10-point steps) read 1.89 "marginal cost, M
    CNY/yr per point" where the CLI's last point read 3.78; they are the average per point over
    the step. The axis says so, the bar's hover gives the cost per kWh of green energy added,
    and the words under the chart are the CLI's note (the same function), in both languages."""
    from twin.studies import sizing

    ds = _frontier()
    ds["marginal_cost_per_kwh"] = (("design", "target"), [[np.nan, 0.25, 0.5]])
    for name, value in (("last_unit_cost", 3.779e6), ("last_span_cost", 2.438e6)):
        ds[name] = ("design", [value])
        ds[f"{name}_per_kwh"] = ("design", [value / 4.35e6])
    en, zh = figures.pareto_frontier(ds), figures.pareto_frontier(ds, "zh")
    assert en.layout.yaxis2.title.text == "average cost per point over the step, M CNY/yr"
    assert zh.layout.yaxis2.title.text == "每百分点平均成本（按步长），百万元/年"
    bars = en.data[1]
    shown = [f"{v / 1e6:.3f}" for v in ds["marginal_cost"].values[0]]
    assert [list(c) for c in bars.customdata] == [[shown[0], "-"], [shown[1], "0.25"], [shown[2], "0.50"]]
    assert "cost per kWh of green energy added over the step: %{customdata[1]} CNY/kWh" in bars.hovertemplate
    assert "按步长每 kWh 新增绿电的成本：%{customdata[1]} 元/kWh" in zh.data[1].hovertemplate
    assert "CNY" not in zh.data[1].hovertemplate and ": " not in zh.data[1].hovertemplate
    said = en.layout.meta["marginal"]
    assert said == sizing.marginal_lines(ds)  # the CLI's words (in English a design is named by its key)
    assert said[0].endswith("(69.0 % → 70.0 %): free_air: 3.779 M CNY/yr per point, 0.87 CNY/kWh of green energy added")
    assert said[1].startswith("average over its last 5 points (65.0 % → 70.0 %), steadier: free_air: 2.438")
    zh_said = zh.layout.meta["marginal"]
    assert (
        zh_said[0]
        == "最高目标最后一个百分点的边际成本（69.0 % → 70.0 %）：新风自然冷却：每百分点 3.779 百万元/年，新增绿电 0.87 元/kWh"
    )
    assert zh_said[1].startswith("其最后 5 个百分点的平均值（65.0 % → 70.0 %），更稳定：")
    assert not [line for line in zh_said if "CNY" in line or "point" in line]
    days = _frontier("days")
    days["last_unit_cost"] = ("design", [1e6])
    assert figures.pareto_frontier(days).layout.yaxis2.title.text == "average cost per day over the step, M CNY/yr"
    assert figures.marginal_said(days)[0].startswith("marginal cost of the last day of the highest target (")


def _every_figure(green_case, lang: str) -> dict:
    ds, _ = green_case
    rows = [{"lat": 26.6, "lon": 106.7, "name": "Gui'an 贵安", "pue": 1.1, "cost_total": 3.1e7}]
    return {
        "pue_heatmap": figures.pue_heatmap(ds, lang),
        "green_heatmap": figures.green_share_heatmap(ds, lang),
        "power_stack": figures.power_stack(ds, lang),
        "sankey": figures.sankey(ds, lang),
        "psychro": figures.psychrometric_chart(
            ds, data.design_modes("free_air"), data.envelope("A1"), "A1", 1111.0, lang
        ),
        "dispatch": figures.dispatch(ds, "week", 172, lang),
        "dispatch_year": figures.dispatch(ds, "year", 1, lang),
        "cycles": figures.storage_cycles(ds, lang),
        "pareto": figures.pareto_frontier(_frontier(), lang),
        "pareto_days": figures.pareto_frontier(_frontier("days"), lang),
        "designs": figures.design_comparison(data.study(), "guian", 1.2, lang),
        "map": figures.site_map(rows, lang, by="cost_total"),
        "map_plain": figures.site_map(rows, lang, geo=False),
    }


def _axis_titles(fig) -> list[str]:
    layout = fig.layout.to_plotly_json()
    titles = [v["title"]["text"] for k, v in layout.items() if k[1:5] == "axis" and "text" in v.get("title", {})]
    bars = [
        tr.marker.colorbar.title.text
        for tr in fig.data
        if getattr(tr, "marker", None) and tr.marker.colorbar.title.text
    ]
    return titles + bars + [tr.colorbar.title.text for tr in fig.data if tr.type == "heatmap"]


def test_every_chinese_axis_title_writes_its_unit_after_a_full_width_comma(green_case):
    """Newcomer 20, finding 4: the Chinese psychrometric chart's y axis read `含湿量, g/kg` (in the
    app and in `twin report --lang zh`), its own string beside :func:`catalog.with_unit`; the map
    without shapes read `longitude, °E` on the Chinese page. Every axis and colour-bar title of
    every figure: the Chinese with `，` and no ASCII comma, the English with `, ` and no `，`."""
    zh = {name: _axis_titles(fig) for name, fig in _every_figure(green_case, "zh").items()}
    assert not {n: ts for n, ts in zh.items() if [s for s in ts if "," in s or "CNY" in s]}, zh
    assert zh["psychro"][1] == "含湿量，g/kg" and zh["map_plain"] == ["经度，°E", "纬度，°N", "PUE"], zh
    en = {name: _axis_titles(fig) for name, fig in _every_figure(green_case, "en").items()}
    assert not {n: ts for n, ts in en.items() if [s for s in ts if "，" in s]}, en
    assert en["psychro"][1] == "humidity ratio, g/kg" and en["map_plain"][0] == "longitude, °E", en


def test_every_legend_lies_below_its_axis_titles_in_rows_of_its_own(green_case):
    """The legend was placed 0.18 of the plot's height below the plot: as its rows grew (Karamay's
    psychrometric chart, three rows) they shrank the plot and the legend rose onto the x axis's
    title. Every figure's legend stands on the figure's bottom edge (plotly reserves its height)
    and every axis gets the margin its labels need (the browser test measures the drawn boxes)."""
    for name, fig in _every_figure(green_case, "zh").items():
        layout = fig.layout.to_plotly_json()
        assert layout["legend"] == figures.LEGEND, name
        axes = {k: v for k, v in layout.items() if k[1:5] == "axis"}
        assert all(v.get("automargin") is True for v in axes.values()), (name, axes.keys())
    assert figures.LEGEND["yref"] == "container" and figures.LEGEND["yanchor"] == "bottom"


def test_a_swept_parameter_is_named_in_chinese_in_the_chinese_case_labels():
    """Newcomer 20, finding 4: the Chinese case chooser read `银川（闽宁） · 新风自然冷却 · energy_mwh=200`."""
    from twin import Scenario

    sc = Scenario(
        sites=("yinchuan",),
        designs=("free_air",),
        sweep=(
            ("green.storage.energy_mwh", (200, 400)),
            ("facility.utilisation", (0.5,)),
            ("facility.diurnal_amplitude", (0.1,)),
        ),
    )
    zh = data.case_labels(sc, "zh")
    assert zh[0] == "银川（闽宁） · 新风自然冷却 · 储能容量 200 MWh，利用率 0.5，diurnal_amplitude=0.1", zh
    assert data.case_labels(sc)[1] == "yinchuan · free_air · energy_mwh=400, utilisation=0.5, diurnal_amplitude=0.1"
