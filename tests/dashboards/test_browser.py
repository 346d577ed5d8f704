"""End-to-end: the app under waitress on loopback, driven by Debian's headless Chromium (Playwright).

Every request the browser makes is recorded; none may leave 127.0.0.1. Screenshots of every
page go to ``out/screenshots/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "out" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``twin dash`` (waitress) on a free loopback port, for this module."""
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (Debian package chromium; .ci/run installs it)")
    pytest.importorskip("playwright")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin.cli", "dash", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("twin dash exited: " + (proc.stdout.read() if proc.stdout else ""))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("twin dash did not open its port")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page; every request URL is recorded in ``page.requested``."""
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.requested = []
    pg.on("request", lambda r: pg.requested.append(r.url))
    pg.set_default_timeout(90_000)
    yield pg
    hosts = {urlparse(u).hostname for u in pg.requested if not u.startswith(("data:", "blob:", "file:"))}
    ctx.close()
    assert hosts <= {"127.0.0.1"}, f"requests left loopback: {sorted(hosts)}"


def _settle(pg) -> None:
    pg.wait_for_load_state("networkidle")
    pg.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_every_page_loads_offline(page, server):
    page.goto(server + "/")
    page.wait_for_selector("#kpi-pue")
    page.wait_for_selector("#ov-rank-table")
    page.wait_for_selector("#ov-map .geo")  # the map drew its shapes (from the app's own assets)
    _settle(page)
    assert page.inner_text("#kpi-pue").startswith("1.")
    _shot(page, "overview")
    for name in ("cooling", "green", "scenario"):
        page.click(f"#nav-{name}")
        page.wait_for_url(f"**/{name}")
        if name == "cooling":
            page.wait_for_selector("#cool-sankey .sankey")
        if name == "green":
            page.wait_for_selector("#green-kpi-green_share_hourly")
            page.wait_for_selector("#green-dispatch .scatterlayer")
        if name == "scenario":
            page.wait_for_function(
                "() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')"
            )
        _settle(page)
        _shot(page, name)
        errors = page.locator(".error")
        assert errors.count() == 0, errors.first.inner_text()
    assert any("topojson/asia_50m.json" in u for u in page.requested)


def test_slider_reruns_the_year(page, server):
    page.goto(server + "/green")
    kpi = page.locator("#green-kpi-green_share_hourly")
    kpi.wait_for()
    _settle(page)
    before = kpi.inner_text()
    handle = page.locator("#green-pv [role=slider]").first
    handle.focus()
    assert handle.get_attribute("aria-valuenow") == "150"
    for _ in range(10):  # +10 steps of 10 MW: 150 → 250 MW
        page.keyboard.press("ArrowRight")
    page.wait_for_function(  # the last press reached the slider, and no answer set it back
        "() => document.querySelector('#green-pv [role=slider]').getAttribute('aria-valuenow') === '250'"
    )
    page.wait_for_function(
        "(b) => { const e = document.querySelector('#green-kpi-green_share_hourly'); return e && e.innerText !== b; }",
        arg=before,
    )
    _settle(page)  # the KPI of 250 MW, not of a step on the way
    assert handle.get_attribute("aria-valuenow") == "250"
    after = float(kpi.inner_text())
    assert after > float(before)  # more PV: more of the load is green hour by hour
    assert page.locator("#green-pv-box").input_value() == "250"
    cases = "JSON.parse(sessionStorage.getItem('scenario') || '{}').sweep"
    assert page.evaluate(f"() => {cases}") == {"green.storage.energy_mwh": [200.0, 400.0]}  # the sweep is kept
    _shot(page, "green-after-slider")


def test_a_slider_moved_while_the_page_answers_the_last_move_stays_where_it_was_put(page, server):
    """A move made while the page answered the move before jumped back: ``resize`` set the
    scenario, the sliders were written from it after the next move, and that move's run was
    dropped. The answer that writes the sliders is held (a route) until the second move is made."""
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    handle = page.locator("#green-pv [role=slider]").first
    assert handle.get_attribute("aria-valuenow") == "150"
    writes_sliders = '"output":"..green-pv.value'
    held: list = []
    holding = [True]

    def hold(route):
        if holding[0] and writes_sliders in (route.request.post_data or "").replace(" ", ""):
            held.append(route)
        else:
            route.continue_()

    answers = lambda url: "/_dash-update-component" in url  # noqa: E731  (Dash adds ?endId=…: no glob)
    page.route(answers, hold)
    handle.focus()
    page.keyboard.press("ArrowRight")  # 160 MW: resize answers, then the sliders are asked for
    deadline = time.monotonic() + 90
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the sliders were not asked for after the first move"
    page.keyboard.press("ArrowRight")  # 170 MW, while the answer of 160 MW is held
    assert handle.get_attribute("aria-valuenow") == "170"
    holding[0] = False
    for route in held:  # Dash sends the second move's resize after this answer (it writes the sliders)
        route.continue_()
    stored = "JSON.parse(sessionStorage.getItem('scenario') || '{}').green?.pv?.capacity_mw"
    slider = "document.querySelector('#green-pv [role=slider]').getAttribute('aria-valuenow')"
    page.wait_for_function(f"() => {stored} === 170 || {slider} !== '170'")
    _settle(page)
    assert (handle.get_attribute("aria-valuenow"), page.evaluate(f"() => {stored}")) == ("170", 170)
    page.unroute(answers)


def test_undo_the_sliders_goes_back_to_the_scenario_before_the_first_move(page, server):
    """Undo never appeared in a browser (review 17 #1: the scenario came back from the store as
    ``12`` where the server had keyed ``12.0``) and no test clicked it. Two moves make one run;
    Undo gives back the scenario before the first, the sliders, the KPI and the editor with it."""
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    kpi, undo = page.locator("#green-kpi-green_share_hourly"), page.locator("#green-undo-run")
    before = kpi.inner_text()
    assert not undo.is_visible()
    handle = page.locator("#green-pv [role=slider]").first
    assert handle.get_attribute("aria-valuenow") == "150"
    stored = "JSON.parse(sessionStorage.getItem('scenario') || '{}').green?.pv?.capacity_mw"
    for pv in (160, 170):  # each move's answer stored before the next: one run of moves
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => {stored} === {pv}")
        _settle(page)
    undo.wait_for(state="visible")
    assert kpi.inner_text() != before
    undo.click()
    page.wait_for_function(f"() => {stored} === 150")  # before the first move, not the second
    page.wait_for_function("(b) => document.querySelector('#green-kpi-green_share_hourly').innerText === b", arg=before)
    page.wait_for_function(
        "() => document.querySelector('#green-pv [role=slider]').getAttribute('aria-valuenow') === '150'"
    )
    undo.wait_for(state="hidden")
    assert page.locator("#green-pv-box").input_value() == "150"
    page.click("#nav-scenario")
    page.wait_for_url("**/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[green.pv]')")
    assert re.search(r"\[green\.pv\][^\[]*\ncapacity_mw = 150(\.0)?\n", page.input_value("#sc-text"))


def test_a_draft_typed_before_a_slider_move_is_still_there_and_can_be_discarded(page, server):
    """Review 17 #3: a draft typed on the Scenario page was gone, without a word, after a Green slider
    moved. It is shown with a note naming what changed; Discard draft gives the applied text."""
    page.goto(server + "/scenario")
    _loaded(page, "/scenario")
    edit = page.input_value("#sc-text").replace("utilisation = 0.7", "utilisation = 0.6")
    page.fill("#sc-text", edit)
    page.wait_for_selector("#sc-draft-note .note")
    page.click("#nav-green")
    page.wait_for_url("**/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    _enter(page, "#green-wind-box", "150")
    page.wait_for_function(
        "() => JSON.parse(sessionStorage.getItem('scenario') || '{}').green?.wind?.capacity_mw === 150"
    )
    page.click("#nav-scenario")
    page.wait_for_url("**/scenario")
    page.wait_for_function("(t) => (document.querySelector('#sc-text') || {value: ''}).value === t", arg=edit)
    page.wait_for_selector("#sc-discard")
    note = page.inner_text("#sc-draft-note")
    assert "typed over an older scenario" in note and "green.wind.capacity_mw 100 → 150" in note, note
    _shot(page, "scenario-draft-over-older")
    page.click("#sc-discard")
    page.wait_for_function(
        "() => /\\[green\\.wind\\][^\\[]*\\ncapacity_mw = 150/.test(document.querySelector('#sc-text').value)"
    )
    page.wait_for_function("() => !document.querySelector('#sc-draft-note .note')")
    assert "utilisation = 0.7" in page.input_value("#sc-text")
    page.reload()  # the draft is gone from the tab too
    _loaded(page, "/scenario")
    assert page.locator("#sc-draft-note .note").count() == 0


def test_language_switch(page, server):
    page.goto(server + "/")
    page.wait_for_selector("#kpi-pue")
    assert page.inner_text("#nav-overview") == "Overview"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
    page.wait_for_selector("text=年均 PUE")
    page.wait_for_selector("#ov-rank-table")
    _settle(page)
    assert "银川" in page.inner_text("#ov-title")
    _shot(page, "overview-zh")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === 'Overview'")


def test_malformed_epw_upload_shows_the_message(page, server):
    page.goto(server + "/scenario")
    page.wait_for_selector("#sc-upload")
    bad = b"LOCATION,Nowhere,,,,000000,35,107,8,1400\n" + b"x\n" * 7 + b"2021,1,1,1,0,?,1,2\n"
    page.set_input_files(
        "#sc-upload input[type=file]", files=[{"name": "bad.epw", "mimeType": "text/plain", "buffer": bad}]
    )
    err = page.locator("#sc-upload-message .error")
    err.wait_for()
    assert "bad.epw" in err.inner_text()
    assert "line 9" in err.inner_text()
    _shot(page, "scenario-bad-epw")


@pytest.mark.parametrize("how", ["chosen", "dropped"])
def test_an_epw_over_the_limit_is_named_with_its_size_and_clears_the_last_message(page, server, how):
    """Newcomer 19 #1: ``dcc.Upload(max_size=…)`` kept a file over 5 MB in the browser with no word,
    and the previous upload's message (naming another file) stayed."""
    page.goto(server + "/scenario")
    page.wait_for_selector("#sc-upload")
    small = b"x,y\n1,2\n"
    page.set_input_files(
        "#sc-upload input[type=file]", files=[{"name": "small.epw", "mimeType": "text/plain", "buffer": small}]
    )
    _error_says(page, "#sc-upload-message", "small.epw")
    _settle(page)
    asked = len(page.requested)
    if how == "chosen":
        big = b"LOCATION" + b"x" * 7_000_000
        page.set_input_files(
            "#sc-upload input[type=file]", files=[{"name": "big.epw", "mimeType": "text/plain", "buffer": big}]
        )
    else:  # dropped on the upload's target
        page.eval_on_selector(
            "#sc-upload .upload-target",
            """el => { const dt = new DataTransfer();
                dt.items.add(new File([new Uint8Array(7000008)], 'big.epw', {type: 'text/plain'}));
                el.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); }""",
        )
    _error_says(page, "#sc-upload-message", "big.epw")
    text = page.inner_text("#sc-upload-message")
    assert "small.epw" not in text
    assert text.startswith("Error: big.epw: 7.0 MB is too large") and "(limit 5 MB)" in text, text
    assert page.locator("#sc-upload-message .error").count() == 1
    assert not [u for u in page.requested[asked:] if "_dash-update-component" in u]  # the file is never sent
    for name in ("big$&x.epw", "a{mb}$'.epw"):  # Review 19b #3: String.replace read "$&" and "{mb}" in a name
        page.set_input_files(
            "#sc-upload input[type=file]", files=[{"name": name, "mimeType": "text/plain", "buffer": b"x" * 6_000_000}]
        )
        _error_says(page, "#sc-upload-message", name)
        assert page.inner_text("#sc-upload-message").startswith(f"Error: {name}: 6.0 MB is too large")


def test_bad_value_shows_the_cli_message(page, server):
    page.goto(server + "/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    text = page.input_value("#sc-text").replace("utilisation = 0.7", "utilisation = 7.0")
    page.fill("#sc-text", text)
    page.click("#sc-apply")
    err = page.locator("#sc-message .error")
    err.wait_for()
    assert "facility.utilisation = 7.0 is out of range" in err.inner_text()


def test_downloads_open(page, server, tmp_path):
    page.goto(server + "/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    with page.expect_download() as dl:
        page.click("#sc-dl-csv")
    csv = tmp_path / "case.csv"
    dl.value.save_as(csv)
    head = csv.read_text(encoding="utf-8").splitlines()[:2]
    assert "p_facility" in head[0]
    with page.expect_download() as dl:
        page.click("#sc-dl-report")
    report = tmp_path / "report.html"
    dl.value.save_as(report)
    page.goto(report.as_uri())
    page.wait_for_selector(".plotly-graph-div .main-svg")
    assert "KPIs" in page.inner_text("body")
    outside = [u for u in page.requested if urlparse(u).scheme not in ("file", "data", "blob", "http")]
    assert not outside


def test_unknown_path_is_a_404_listing_the_pages(page, server):
    response = page.goto(server + "/nonexistent")
    assert response is not None and response.status == 404
    links = page.locator("a")
    assert links.count() == 4 and "Cooling" in page.inner_text("body") and "/nonexistent" in page.inner_text("h1")
    _shot(page, "not-found")
    page.click("text=Cooling")
    page.wait_for_url("**/cooling")
    page.wait_for_selector("#cool-sankey .sankey")
    for path in ("/", "/cooling", "/green", "/scenario", "/_dash-layout", "/_dash-dependencies", "/assets/style.css"):
        assert page.request.get(server + path).status == 200, path
    assert page.request.get(server + "/cooling/nope").status == 404
    assert page.request.get(server + "/assets/nope.css").status == 404  # Flask's own 404 for a missing file


def test_map_labels_and_dispatch_ticks_as_drawn(page, server):
    """In the browser: no two site labels on the map overlap; the storage axis ticks are round."""
    page.goto(server + "/")
    labels = "els => els.filter(e => !e.getAttribute('class') && !e.parentNode.getAttribute('class'))"
    page.wait_for_selector("#ov-map .geo")
    page.wait_for_function(f"() => ({labels})([...document.querySelectorAll('#ov-map text')]).length >= 8")
    _settle(page)
    boxes = page.eval_on_selector_all(  # the site labels: plotly draws them as bare <text> in bare <g>
        "#ov-map text",
        f"els => ({labels})(els).map(e => {{ const r = e.getBoundingClientRect(); "
        "return [r.left, r.top, r.right, r.bottom]; })",
    )
    assert len(boxes) >= 8
    clash = [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if min(boxes[i][2], boxes[j][2]) > max(boxes[i][0], boxes[j][0]) + 1
        and min(boxes[i][3], boxes[j][3]) > max(boxes[i][1], boxes[j][1]) + 1
    ]
    assert clash == [], clash
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .y2tick text", state="attached")
    _settle(page)
    ticks = page.eval_on_selector_all("#green-dispatch .y2tick text", "els => els.map(e => e.textContent)")
    values = [float(v.replace(",", "").replace("−", "-")) for v in ticks]
    assert len(values) >= 3 and all(v % 10 == 0 or v in (2.5, 5, 7.5) for v in values), ticks


def _enter(pg, selector: str, text: str) -> None:
    """Type into a debounced input and send it (Enter)."""
    pg.fill(selector, text)
    pg.press(selector, "Enter")


def test_compute_cost_inputs_say_what_is_allowed_and_keep_the_page_width(page, server):
    page.goto(server + "/")
    page.wait_for_selector("#ov-cost-pflop")
    _settle(page)
    cost = page.inner_text("#ov-cost-pflop")  # at the default assumptions
    assert not cost.startswith("–")
    for typed, said in (("1e-300", "= 1e-300 is out of range"), ("0", "= 0 is out of range"), ("-1", "= -1 is")):
        _enter(page, "#ov-pflop_h_per_mwh", typed)
        err = page.locator("#ov-pflop_h_per_mwh-error .error")
        page.wait_for_function(
            "(s) => { const e = document.querySelector('#ov-pflop_h_per_mwh-error .error'); "
            "return e && e.innerText.includes(s); }",
            arg=said,
        )
        assert "“Compute per nominal-server MWh, PFLOP-h”" in err.inner_text()
        assert "allowed 1 … 100,000" in err.inner_text() and "Not applied" in err.inner_text()
        assert err.inner_text().endswith("Not applied: it stays at 320 PFLOP-h/MWh.")
        assert page.inner_text("#ov-cost-pflop") == cost  # Review 19b #6: the costs went blank ("–")
        assert "nan" not in page.inner_text("#ov-compute")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    _shot(page, "overview-compute-input-refused")
    _enter(page, "#ov-pflop_h_per_mwh", "640")  # applied: the costs halve
    page.wait_for_function("(c) => document.querySelector('#ov-cost-pflop').innerText != c", arg=cost)
    page.wait_for_function("() => !document.querySelector('#ov-pflop_h_per_mwh-error .error')")
    at_640 = page.inner_text("#ov-cost-pflop")
    _enter(page, "#ov-pflop_h_per_mwh", "0")  # refused: the costs stay at 640, as the message says
    page.wait_for_selector("#ov-pflop_h_per_mwh-error .error")
    assert page.inner_text("#ov-pflop_h_per_mwh-error .error").endswith("Not applied: it stays at 640 PFLOP-h/MWh.")
    assert page.inner_text("#ov-cost-pflop") == at_640 != cost
    _enter(page, "#ov-gflop_per_token", "1000000")
    _enter(page, "#ov-pflop_h_per_mwh", "1")
    page.wait_for_function("() => !document.querySelector('#ov-pflop_h_per_mwh-error .error')")
    page.wait_for_function("() => !document.querySelector('#ov-cost-mtok').innerText.startsWith('–')")
    assert len(page.inner_text("#ov-cost-mtok").split(" ")[0]) <= 15
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400


def test_start_day_box_says_what_is_allowed(page, server):
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    for typed, said in (("367", "= 367 is out of range; allowed 1 … 365."), ("1.5", "must be a whole number, got 1.5")):
        _enter(page, "#green-start", typed)
        page.wait_for_function(
            "(s) => { const e = document.querySelector('#green-start-error .error'); return e && e.innerText.includes(s); }",
            arg=said,
        )
        assert "“first day of year”" in page.inner_text("#green-start-error")
    _shot(page, "green-start-day-refused")
    _enter(page, "#green-start", "200")
    page.wait_for_function("() => !document.querySelector('#green-start-error .error')")


def test_empty_scenario_is_refused(page, server):
    page.goto(server + "/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    page.fill("#sc-text", "# nothing but a comment\n")
    page.click("#sc-apply")
    err = page.locator("#sc-message .error")
    err.wait_for()
    assert "the scenario file is empty" in err.inner_text()
    assert "Applied" not in page.inner_text("#sc-message")


def test_far_epw_upload_is_refused_naming_the_file(page, server):
    from tests.conftest import epw_path

    epw = epw_path("qingyang")  # the default scenario is at Yinchuan, 330 km away
    page.goto(server + "/scenario")
    page.wait_for_selector("#sc-upload")
    page.set_input_files(
        "#sc-upload input[type=file]",
        files=[{"name": epw.name, "mimeType": "text/plain", "buffer": epw.read_bytes()}],
    )
    err = page.locator("#sc-upload-message .error")
    err.wait_for()
    text = err.inner_text()
    assert text.startswith(f"Error: {epw.name}: the file's location") and "another climate" in text
    assert "/dev/shm" not in text and "twin-dash-" not in text
    _shot(page, "scenario-far-epw")


def test_cooling_page_in_chinese(page, server):
    page.goto(server + "/")
    page.wait_for_selector("#kpi-pue")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
    page.click("#nav-cooling")
    page.wait_for_url("**/cooling")
    page.wait_for_selector("#cool-psychro .legendtext")
    page.wait_for_selector("#cool-designs .legendtext")
    _settle(page)
    legends = page.eval_on_selector_all(
        "#cool-psychro .legendtext, #cool-designs .legendtext", "els => els.map(e => e.textContent)"
    )
    assert "制冷 pPUE" in legends
    modes = [s for s in legends if s.endswith(" h)")]
    assert modes and all(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in modes), modes
    ticks = page.eval_on_selector_all("#cool-designs .xtick text", "els => els.map(e => e.textContent)")
    assert "冷冻水" in ticks, ticks
    assert "新风自然冷却" in page.inner_text("#cool-title")
    _shot(page, "cooling-zh")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === 'Overview'")


def _loaded(pg, path: str) -> None:
    """Wait until a page has drawn what it draws."""
    if path == "/":
        pg.wait_for_selector("#ov-map .geo")
        pg.wait_for_selector("#ov-rank-table")
    if path == "/cooling":
        pg.wait_for_selector("#cool-sankey .sankey")
    if path == "/green":
        pg.wait_for_selector("#green-dispatch .scatterlayer")
    if path == "/scenario":
        pg.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    _settle(pg)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_phone_screen_needs_no_sideways_scroll_and_the_map_keeps_its_labels(browser, server, lang):
    """At 375 px the pages were 544 px wide (Chinese; the Overview 919 px) and the map cut
    "Yinchuan (Minning)" at its left edge."""
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)
    try:
        pg.goto(server + "/")
        pg.wait_for_selector("#kpi-pue")
        if lang == "zh":
            pg.click("#lang-toggle")
            pg.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
        for path in ("/", "/cooling", "/green", "/scenario"):
            pg.goto(server + path)
            _loaded(pg, path)
            width = pg.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] == 375, (path, width)
            _shot(pg, f"phone-{lang}{path.replace('/', '-')}")
        pg.goto(server + "/")
        _loaded(pg, "/")
        frame = pg.evaluate(
            "() => { const b = document.querySelector('#ov-map .geo .bg rect').getBoundingClientRect(); "
            "return [b.left, b.top, b.right, b.bottom]; }"
        )
        labels = pg.eval_on_selector_all(
            "#ov-map .scattergeo text",
            "els => els.map(e => { const r = e.getBoundingClientRect(); "
            "return [e.textContent, r.left, r.top, r.right, r.bottom]; })",
        )
        assert len(labels) >= 8
        out = [t for t, x0, y0, x1, y1 in labels if x0 < frame[0] or x1 > frame[2] or y0 < frame[1] or y1 > frame[3]]
        assert out == [], (frame, labels)
    finally:
        ctx.close()


def test_apply_refuses_an_unknown_site_and_keeps_the_applied_scenario(page, server):
    """Apply said "Applied: 2 case(s)" for a site `twin run` refuses; the Overview then answered 500."""
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.goto(server + "/scenario")
    _loaded(page, "/scenario")
    text = page.input_value("#sc-text")
    assert '"yinchuan",' in text
    page.fill("#sc-text", text.replace('"yinchuan",', '"atlantis",'))
    page.click("#sc-apply")
    err = page.locator("#sc-message .error")
    err.wait_for()
    assert err.inner_text().startswith("Error: unknown site 'atlantis'; known sites:")
    assert "Applied" not in page.inner_text("#sc-message")
    page.click("#nav-overview")
    page.wait_for_selector("#kpi-pue")
    _loaded(page, "/")
    assert page.locator(".error").count() == 0  # the scenario applied before is still the one shown
    assert "Yinchuan" in page.inner_text("#ov-title")
    assert failed == []


def test_a_refused_edit_is_kept_as_a_draft_over_a_reload(page, server):
    """A refused edit was gone after a reload (the editor showed the last applied scenario)."""
    page.goto(server + "/scenario")
    _loaded(page, "/scenario")
    text = page.input_value("#sc-text")
    page.fill("#sc-text", text.replace('"yinchuan",', '"atlantis",'))
    page.click("#sc-apply")
    page.locator("#sc-message .error").wait_for()
    page.reload()
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('\"atlantis\",')")
    page.wait_for_selector("#sc-draft-note .note")
    assert page.inner_text("#sc-draft-note").startswith("A draft, not applied")
    page.click("#nav-overview")
    page.wait_for_selector("#kpi-pue")
    assert "Yinchuan" in page.inner_text("#ov-title")  # the pages run the applied scenario


def _error_says(pg, selector: str, text: str) -> None:
    """Wait until the error message in ``selector`` includes ``text``."""
    pg.wait_for_function(
        "([sel, s]) => { const e = document.querySelector(sel + ' .error'); return e && e.innerText.includes(s); }",
        arg=[selector, text],
    )


def test_a_number_beyond_a_float_says_so(page, server):
    """1e400 in a number box said "must be given (no value)": the browser's number box sends none."""
    for path, ready, box, said in (
        (
            "/",
            "#ov-cost-pflop",
            "#ov-pflop_h_per_mwh",
            "“Compute per nominal-server MWh, PFLOP-h” must be finite, got 1e400",
        ),
        (
            "/green",
            "#green-dispatch .scatterlayer",
            "#green-start",
            "“first day of year” must be a whole number, got 1e400",
        ),
    ):
        page.goto(server + path)
        page.wait_for_selector(ready)
        _settle(page)
        _enter(page, box, "1e400")
        _error_says(page, f"{box}-error", f"{said} (beyond ±1.8e308, the largest number)")
        assert "no value" not in page.inner_text(f"{box}-error")


def test_an_uploaded_epw_is_shown_by_its_name_in_the_editor_and_applies(page, server):
    """The editor said weather.source = "/dev/shm/twin-dash-…"; it says the upload's name, and Apply runs on it."""
    from tests.conftest import epw_path

    page.goto(server + "/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    page.set_input_files(
        "#sc-upload input[type=file]",
        files=[{"name": "mine.epw", "mimeType": "text/plain", "buffer": epw_path("yinchuan").read_bytes()}],
    )
    page.locator("#sc-upload-message .ok").wait_for()
    page.wait_for_function("() => document.querySelector('#sc-text').value.includes('source = \"upload:mine.epw\"')")
    text = page.input_value("#sc-text")
    assert "/dev/shm" not in text and "twin-dash-" not in text
    page.fill("#sc-text", text.replace("utilisation = 0.7", "utilisation = 0.6"))
    page.click("#sc-apply")
    page.locator("#sc-message .ok").wait_for()
    page.wait_for_function(  # the typed text says 0.6 already: the table of the applied scenario
        "() => [...document.querySelectorAll('#sc-sources tr')].some(r => r.cells[0].innerText === "
        "'facility.utilisation' && r.cells[1].innerText === '0.6')"
    )
    assert 'source = "upload:mine.epw"' in page.input_value("#sc-text")
    _settle(page)
    assert "mine.epw" in page.inner_text("#sc-sources") and "twin-dash-" not in page.inner_text("#sc-sources")
    _shot(page, "scenario-upload-applied")


def test_an_upload_keeps_an_edit_whose_draft_the_server_has_not_kept_yet(page, server):
    """Review 18a #1: an upload decided from the ``sc-draft`` store, which lags the editor until the
    keystroke's answer comes, and overwrote an edit typed just before it. The keystroke's answer is
    held (a route) until the upload has answered: the editor keeps the edit, and the draft is kept."""
    from tests.conftest import epw_path

    page.goto(server + "/scenario")
    _loaded(page, "/scenario")
    held: list = []
    holding = [True]

    def hold(route):
        body = (route.request.post_data or "").replace(" ", "")
        if holding[0] and '"output":"..sc-draft.data' in body and '"changedPropIds":["sc-text.value"]' in body:
            held.append(route)
        else:
            route.continue_()

    answers = lambda url: "/_dash-update-component" in url  # noqa: E731  (Dash adds ?endId=…: no glob)
    page.route(answers, hold)
    edit = page.input_value("#sc-text").replace("utilisation = 0.7", "utilisation = 0.6")
    page.fill("#sc-text", edit)
    deadline = time.monotonic() + 90
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the keystroke's draft was not asked for"
    page.set_input_files(
        "#sc-upload input[type=file]",
        files=[{"name": "race.epw", "mimeType": "text/plain", "buffer": epw_path("yinchuan").read_bytes()}],
    )
    page.locator("#sc-upload-message .ok").wait_for()
    _settle(page)
    assert page.input_value("#sc-text") == edit
    holding[0] = False
    for route in held:
        route.continue_()
    page.wait_for_function("() => (sessionStorage.getItem('sc-draft') || '').includes('utilisation = 0.6')")
    _settle(page)
    assert page.input_value("#sc-text") == edit
    page.unroute(answers)


def test_an_upload_label_is_the_uploading_tabs_own(browser, page, server):
    """Labels were the server's: a second browser typing ``upload:NAME`` of another's upload ran
    that file. The second browser is refused; the first keeps its label over a reload."""
    from tests.conftest import epw_path

    raw = epw_path("yinchuan").read_bytes().replace(b"\n", b"\r\n", 70)
    page.goto(server + "/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    page.set_input_files(
        "#sc-upload input[type=file]", files=[{"name": "theirs.epw", "mimeType": "text/plain", "buffer": raw}]
    )
    page.locator("#sc-upload-message .ok").wait_for()
    page.wait_for_function("() => document.querySelector('#sc-text').value.includes('\"upload:theirs.epw\"')")
    text = page.input_value("#sc-text")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        pg = other.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(server + "/scenario")
        pg.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
        pg.fill("#sc-text", text)
        pg.click("#sc-apply")
        _error_says(pg, "#sc-message", "names no file uploaded on this page")
        assert "upload 'theirs.epw' here" in pg.inner_text("#sc-message .error")
    finally:
        other.close()
    page.reload()  # the tab's id is in its sessionStorage: the label is still this tab's
    page.wait_for_function(
        "() => (document.querySelector('#sc-text') || {value: ''}).value.includes('\"upload:theirs.epw\"')"
    )
    page.fill("#sc-text", page.input_value("#sc-text").replace("utilisation = 0.7", "utilisation = 0.6"))
    page.click("#sc-apply")
    page.locator("#sc-message .ok").wait_for()


def test_the_chinese_page_says_an_engine_error_in_chinese(page, server):
    """The engine's messages stayed English in the Chinese page: a value out of range is said in
    Chinese from the error's parts; a message without parts stays English, marked so."""
    page.goto(server + "/")
    page.wait_for_selector("#kpi-pue")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
    page.click("#nav-scenario")
    page.wait_for_url("**/scenario")
    page.wait_for_function("() => (document.querySelector('#sc-text') || {value: ''}).value.includes('[facility]')")
    text = page.input_value("#sc-text")
    page.fill("#sc-text", text.replace("utilisation = 0.7", "utilisation = 7.0"))
    page.click("#sc-apply")
    _error_says(page, "#sc-message", "超出范围")
    assert page.inner_text("#sc-message .error") == "错误: scenario: facility.utilisation = 7.0 超出范围；允许 0 … 1"
    _shot(page, "scenario-error-zh")
    page.fill("#sc-text", text.replace("name = ", "name = = "))  # not TOML: said in Chinese, the reader's detail kept
    page.click("#sc-apply")
    _error_says(page, "#sc-message", "不是有效的 TOML")
    assert page.inner_text("#sc-message .error") == (
        "错误: scenario: 不是有效的 TOML：第 1 行第 8 列（解析器原文：Invalid value）"
    )
    both_zero = re.sub(
        r"\nidle_fraction = [0-9.]+", "\nidle_fraction = 0.0", text.replace("utilisation = 0.7", "utilisation = 0.0")
    )
    page.fill("#sc-text", both_zero)  # a check's own words: English, marked
    page.click("#sc-apply")
    _error_says(page, "#sc-message", "would draw no power")
    assert page.inner_text("#sc-message .error").startswith(
        "错误（信息为英文原文）: scenario: facility.utilisation = 0"
    )
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === 'Overview'")


def test_a_refused_box_names_its_label_and_is_marked_not_applied(page, server):
    """PV MW 700 typed in its box said `green_sliders.pv_mw = 700 is out of range` (the page's code,
    not the label "PV, MW" beside the box) and the box went on showing 700 beside the results of
    150 MW, as if applied. The message names the label, the value, what is allowed and the value the
    slider stays at; the box's value is struck through and framed while refused."""
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    box = "#green-pv-box"
    struck = f"() => getComputedStyle(document.querySelector('{box}')).textDecorationLine"
    assert "line-through" not in page.evaluate(struck)
    _enter(page, box, "700")
    said = "“PV, MW” = 700 is out of range; allowed 0 … 600 MW. Not applied: it stays at 150 MW."
    _error_says(page, "#green-pv-error", said)
    assert "green_sliders" not in page.inner_text("#green-pv-error")
    assert page.get_attribute("#green-pv [role=slider]", "aria-valuenow") == "150"
    assert "line-through" in page.evaluate(struck)
    _shot(page, "green-box-refused")
    _enter(page, box, "160")
    page.wait_for_function("() => !document.querySelector('#green-pv-error .error')")
    assert "line-through" not in page.evaluate(struck)


def test_the_chinese_pages_date_ticks_and_case_labels_are_chinese(page, server):
    """On the Chinese pages plotly wrote its date ticks in English (Jun 21), then in the zh-CN
    locale's month names (六 21), and the case chooser said `yinchuan · free_air · energy_mwh=200`:
    the graphs use plotly.js's zh-CN locale (served from the app's assets: no request leaves
    127.0.0.1) and Chinese date formats (6月21日), the chooser the catalogue's names."""
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-green').innerText === '绿电'")
    page.wait_for_selector("#green-dispatch .xtick text", state="attached")
    _settle(page)
    ticks = page.eval_on_selector_all("#green-dispatch .xtick text", "els => els.map(e => e.textContent)")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert ticks and not [t for t in ticks if any(m in t for m in months)], ticks
    # Chinese date order (day 172 is 21 June), not the locale's month names (六 21): figures.date_axis
    assert any(re.fullmatch(r"6月\d{1,2}日", t) for t in ticks) and not [t for t in ticks if "六" in t], ticks
    page.click("#green-span input[value='year']")
    tick_texts = "Array.from(document.querySelectorAll('#green-dispatch .xtick text')).map(e => e.textContent)"
    page.wait_for_function(f"() => {tick_texts}.some(t => t.includes('年'))")
    year = page.evaluate(tick_texts)
    assert all(re.fullmatch(r"\d{4}年(\d{1,2}月)?", t) for t in year), year  # 2021年1月, not 一 2021
    page.click("#green-span input[value='week']")
    page.wait_for_function(f"() => {tick_texts}.some(t => t.includes('日'))")
    assert "银川" in page.inner_text(".case-select") and "free_air" not in page.inner_text(".case-select")
    assert any("/assets/plotly-locale-zh-cn.js" in u for u in page.requested)
    _shot(page, "green-zh-dates")
    # zoomed into three hours: ticks 30 minutes apart, each named apart (the hour alone named two alike)
    gd = "document.querySelector('#green-dispatch .js-plotly-plot')"
    page.evaluate(f"() => Plotly.relayout({gd}, {{'xaxis.range': ['2021-06-23 02:00', '2021-06-23 05:00']}})")
    page.wait_for_function(f"() => {tick_texts}.some(t => t.includes(':'))")
    zoomed = page.evaluate(tick_texts)
    assert len(set(zoomed)) == len(zoomed) > 1 and all(re.fullmatch(r"6月23日 \d\d:\d\d", t) for t in zoomed), zoomed
    hover = page.evaluate(
        f"() => {{ Plotly.Fx.hover({gd}, [{{curveNumber: 0, pointNumber: 50}}]); "
        f"return Array.from({gd}.querySelectorAll('.hoverlayer text')).map(e => e.textContent); }}"
    )
    assert any(re.fullmatch(r"2021年6月\d{1,2}日 \d\d时：-?[0-9.]+ MW", h) for h in hover), hover
    _shot(page, "green-zh-dates-zoomed")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-green').innerText === 'Green power'")


def test_the_green_page_drawn_again_during_its_frontier_run_shows_the_frontier(page, server):
    """Pressing the frontier's button, going to another page and back before the run ended showed
    `not yet computed: press the button`, and still did after the run had put the frontier in the
    cache. The page drawn again says the frontier is being computed, asks the server every second
    (review 19b #4: it no longer holds a request open for the run) and shows the frontier when
    the run ends."""
    page.goto(server + "/green")
    page.wait_for_selector("#green-dispatch .scatterlayer")
    _settle(page)
    page.click("#green-pareto-run")
    page.click("#nav-cooling")
    page.wait_for_url("**/cooling")
    page.click("#nav-green")
    page.wait_for_url("**/green")
    said = "Array.from(document.querySelectorAll('#green-pareto text')).map(e => e.textContent).join(' ')"
    page.wait_for_function(
        f"() => {said}.includes('being computed') || "
        "(document.querySelector('#green-pareto-note') || {innerText: ''}).innerText.includes('Shown')"
    )
    _shot(page, "green-frontier-being-computed")
    page.wait_for_function(
        "() => (document.querySelector('#green-pareto-note') || {innerText: ''}).innerText.includes('Shown')",
        timeout=300_000,
    )
    texts = page.eval_on_selector_all("#green-pareto text", "els => els.map(e => e.textContent)")
    assert not [t for t in texts if "not yet computed" in t], texts


_OVERLAPS = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return r.width && r.height ? r : null; };
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const out = [];
  for (const g of document.querySelectorAll('.js-plotly-plot')) {
    const id = g.closest('[id]').id;
    const legend = [...g.querySelectorAll('.legend .scrollbox')].map(box).filter(Boolean);
    const titles = [...g.querySelectorAll('.g-xtitle, .g-x2title, .g-ytitle, .g-y2title')].map(box).filter(Boolean);
    const ticks = [...g.querySelectorAll('.xtick text, .ytick text, .y2tick text')].map(box).filter(Boolean);
    for (const l of legend) for (const o of [...titles, ...ticks]) if (meet(l, o)) out.push(id + ': legend');
    for (const a of titles) for (const o of ticks) if (meet(a, o)) out.push(id + ': axis title on tick labels');
    for (const axis of ['.xtick text', '.ytick text']) {
      const own = [...g.querySelectorAll(axis)].map(box).filter(Boolean);
      own.forEach((a, i) => own.slice(i + 1).forEach(b => { if (meet(a, b)) out.push(id + ': ' + axis + ' on another'); }));
    }
  }
  return out;
}"""
"""Every chart on the page whose legend meets an axis title or a tick label, whose axis title
meets a tick label, or one of whose axes' tick labels meet one another (bounding boxes as drawn)."""


def test_no_legend_lies_on_an_axis_title_at_karamay_in_either_language(page, server):
    """Karamay's Chinese psychrometric chart drew its x axis title `室外干球温度，°C` over its
    legend's first row (newcomer 20, finding 4): its legend is three rows there, two at Yinchuan,
    and the legend was placed a fraction of the plot's height below the plot. Every chart of the
    Cooling page, English and Chinese."""
    page.goto(server + "/scenario")
    _loaded(page, "/scenario")
    page.fill("#sc-text", 'name = "k"\nsites = ["karamay"]\ndesigns = ["free_air"]\n')
    page.click("#sc-apply")
    page.wait_for_function("() => document.querySelector('#sc-message').innerText.includes('Applied')")
    page.click("#nav-cooling")
    page.wait_for_url("**/cooling")
    for lang in ("en", "zh"):
        if lang == "zh":
            page.click("#lang-toggle")
            page.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
        page.wait_for_function("() => document.querySelectorAll('#cool-psychro .legendtext').length >= 6")
        _loaded(page, "/cooling")
        legend = page.eval_on_selector_all("#cool-psychro .legendtext", "els => els.map(e => e.textContent)")
        assert any(s.startswith("全新风 (" if lang == "zh" else "outdoor (") for s in legend), legend
        rows = page.eval_on_selector_all(
            "#cool-psychro .legend .traces", "els => new Set(els.map(e => e.getBoundingClientRect().top)).size"
        )
        assert rows >= 2, rows  # the legend wraps: the case the placement must hold for
        assert page.evaluate(_OVERLAPS) == [], lang
        _shot(page, f"cooling-karamay-{lang}")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-overview').innerText === 'Overview'")


def test_the_cooling_charts_keep_their_labels_apart_on_a_phone_screen(browser, server):
    """At 375 px the design comparison's seven names, level, ran into one another (`新风自然冷却`
    on `冷冻水`, `immersion` on `immersion`): they stand upright where they do not fit side by side
    (plotly.js's ``autotickangles``), and no legend meets an axis title there either."""
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(server + "/cooling")
        for lang in ("en", "zh"):
            if lang == "zh":
                page.click("#lang-toggle")
                page.wait_for_function("() => document.querySelector('#nav-overview').innerText === '总览'")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('#cool-designs .xtick text')].some(e => e.textContent === '冷冻水')"
                )
            page.wait_for_selector("#cool-designs .xtick text")
            _loaded(page, "/cooling")
            assert page.evaluate(_OVERLAPS) == [], lang
            _shot(page, f"cooling-phone-{lang}")
    finally:
        ctx.close()
