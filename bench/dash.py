"""Benchmarks of the Dash app (`make bench`): measured here, never asserted in tests.

1. A slider move: one site-year re-run server-side (the Minning example with a new PV size),
   weather prepared and cached as in the app; each size is new, so no result comes from the
   app's cache. CPU time, in interleaved pairs against the numpy reference (medians, ranges).
2. 20 simultaneous users against ``twin dash`` (waitress) on a free loopback port: each loads
   the page and its layout, then re-runs the Green-power page's callback for scenarios of its
   own (a PV size per user and request, so most are cache misses). p50 / p95 latency, errors.

Bounded loops, loopback only. ``python bench/dash.py --slider`` runs part 1 alone.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USERS = 20
REQUESTS_PER_USER = 3


def slider_rerun(pairs: int = 12) -> dict[str, list[float]]:
    """CPU seconds per re-run of one site-year after a slider move (warm: weather cached).

    Interleaved pairs: ``reference`` runs the storage recursion with the numpy reference and
    recomputes the PV and wind unit profiles (as before the compiled kernel and the profile
    cache); ``twin`` runs as shipped. Every run has a new PV size (no result from the app's cache).
    """
    from dashboards import data
    from twin.core.memo import LRU
    from twin.supply import green, kernels, storage

    sc = data.default_scenario()
    data.run_case(sc, 0)  # warm: weather, CoolProp tables, imports, compiled kernel
    shipped = (storage.green_first, green.UNIT_PROFILES)
    times: dict[str, list[float]] = {"reference": [], "twin": []}
    try:
        for k in range(pairs):
            for mode in ("reference", "twin"):
                if mode == "reference":
                    storage.green_first, green.UNIT_PROFILES = kernels.green_first_reference, LRU(0)
                else:
                    storage.green_first, green.UNIT_PROFILES = shipped
                mw = 151.0 + k + (0.5 if mode == "reference" else 0.0)
                one = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, capacity_mw=mw))
                t0 = time.process_time()
                data.run_case(one, 0)
                times[mode].append(time.process_time() - t0)
    finally:
        storage.green_first, green.UNIT_PROFILES = shipped
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> float:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        r.read()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}")
    return time.perf_counter() - t0


def _get(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as r:
        r.read()
    return time.perf_counter() - t0


def concurrent_users() -> dict[bool, tuple[list[float], list[float], int, float]]:
    """{fresh: (page-load latencies, callback latencies, errors, wall time)} for USERS simultaneous users.

    fresh False: every user asks for the default scenario (computed once, then from the cache);
    fresh True: every request is a new PV size (the engine runs for each).
    """
    from dashboards import data

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin.cli", "dash", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("twin dash did not start") from None
                time.sleep(0.5)
        _get(base + "/")  # the port is bound before the start-up study: wait until pages are served
        scenario = data.default_scenario().to_dict()
        outputs = ("green-cards.children", "green-dispatch.figure", "green-share-map.figure", "green-cycles.figure")

        def body(user: int, k: int, fresh: bool) -> dict:
            d = json.loads(json.dumps(scenario))
            if fresh:  # a new PV size per user and request: a cache miss, the engine runs
                d["green"]["pv"]["capacity_mw"] = 100.0 + 5 * (user * REQUESTS_PER_USER + k)
            return {
                "output": ".." + "...".join(outputs) + "..",
                "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs],
                "inputs": [
                    {"id": "scenario", "property": "data", "value": d},
                    {"id": "case", "property": "data", "value": 0},
                    {"id": "green-span", "property": "value", "value": "week"},
                    {"id": "green-start", "property": "value", "value": 172},
                ],
                "state": [{"id": "green-lang", "property": "data", "value": "en"}],
                "changedPropIds": ["scenario.data"],
            }

        def user(u: int, fresh: bool) -> tuple[list[float], list[float], int]:
            loads, reruns, errors = [], [], 0
            try:
                loads.append(_get(base + "/green") + _get(base + "/_dash-layout"))
            except Exception:  # counted, not raised: the bench reports errors
                errors += 1
            for k in range(REQUESTS_PER_USER):
                try:
                    reruns.append(_post(base + "/_dash-update-component", body(u, k, fresh)))
                except Exception:
                    errors += 1
            return loads, reruns, errors

        out = {}
        for fresh in (False, True):
            t0 = time.perf_counter()
            with cf.ThreadPoolExecutor(USERS) as pool:
                results = list(pool.map(lambda u, f=fresh: user(u, f), range(USERS)))
            wall = time.perf_counter() - t0
            loads = [x for r in results for x in r[0]]
            reruns = [x for r in results for x in r[1]]
            out[fresh] = (loads, reruns, sum(r[2] for r in results), wall)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[q - 1] if len(xs) > 1 else (xs[0] if xs else float("nan"))


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")
    for mode, t in slider_rerun().items():
        ms = sorted(x * 1e3 for x in t)
        what = "numpy reference, profiles recomputed" if mode == "reference" else "compiled kernel, cached profiles"
        print(
            f"dash: slider re-run, one site-year (Minning example, new PV size; {what}), CPU "
            f"median {statistics.median(ms):6.1f} ms  range {ms[0]:.1f}–{ms[-1]:.1f} ms  (n={len(ms)}, goal ≤ 100 ms)"
        )
    if "--slider" in sys.argv[1:]:  # the slider re-run alone: python bench/dash.py --slider
        return
    for fresh, (loads, reruns, errors, wall) in concurrent_users().items():
        what = "new PV size each (engine runs)" if fresh else "same scenario (cache)"
        print(
            f"dash: {USERS} users × (page load + {REQUESTS_PER_USER} Green-page callbacks, {what}), waitress on loopback: "
            f"page load p50 {_pct(loads, 50) * 1e3:.0f} ms p95 {_pct(loads, 95) * 1e3:.0f} ms; "
            f"callback p50 {_pct(reruns, 50):.2f} s p95 {_pct(reruns, 95):.2f} s; errors {errors}; wall {wall:.1f} s"
        )


if __name__ == "__main__":
    main()
