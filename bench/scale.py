"""Scale benchmarks (`make bench`, or `python bench/scale.py [dask|cost|memory|memory-kernel|memory-sweep|gc]`).

* **dask**: the same sweep serially (this process, the engine's threads) and on a warm
  LocalCluster of 2 single-threaded workers, in interleaved pairs; wall and CPU time (this
  process plus every worker and nanny process), median and range.
* **cost**: CPU seconds per case-year of :func:`twin.annual_kpis` on one thread, per design,
  with and without a green plant (PV + wind + storage) — the per-case cost of the national-
  study arithmetic in the README.
* **memory**: peak traced allocation (tracemalloc; numpy reports its buffers to it) of
  ``simulate`` (all hourly variables, or ``keep=KPI_VARIABLES``) and ``annual_kpis`` at two
  case counts; the difference per case gives cases per GB.
* **memory-kernel**: the same for ``annual_kpis`` with the compiled kernel and with numpy.
* **memory-sweep** (not in the default run): peak resident memory (``ru_maxrss``) of ``twin sweep``
  in a fresh process per size (free air at Qingyang, utilisation × 10 evaporative
  effectivenesses; 2,000 cases and ``TWIN_BENCH_SWEEP_CASES``, default 100,000): what a study
  costs the machine, interpreter, libraries, compiled kernels, results, checkpoint and NetCDF
  writing included; the difference per case gives cases per GB of a whole study.
* **gc** (not in the default run): Python's cyclic collections (``gc.callbacks``: count per
  generation and their CPU time) in the workers of ``--workers 2`` over tasks of 1,000 free-air
  cases, with the collector paused per task (``twin.studies.study._task``) and running,
  interleaved; and in a thread making one-case calls (a Dash request).
"""

from __future__ import annotations

import functools
import os
import sys
import time
import tracemalloc
import warnings

import numpy as np

PAIRS = 5


def _cpu_of(client) -> float:
    """CPU seconds (user + system) of this process and of every worker and nanny process."""
    import psutil

    def cpu() -> float:
        t = psutil.Process().cpu_times()
        return t.user + t.system

    own = psutil.Process().cpu_times()
    total = own.user + own.system
    if client is not None:
        total += sum(client.run(cpu).values()) + sum(client.run(cpu, nanny=True).values())
    return total


def _stats(xs: list[float]) -> str:
    a = np.sort(np.asarray(xs))
    return f"{np.median(a):7.2f} s ({a[0]:.2f}–{a[-1]:.2f})"


def bench_dask() -> None:
    from twin import Scenario
    from twin.studies.study import cluster
    from twin.studies.sweep import run_sweep

    studies = {
        "64 cases (one block)": (("facility.utilisation", tuple(np.linspace(0.3, 0.93, 64).round(4))),),
        "512 cases (2 blocks)": (("facility.utilisation", tuple(np.linspace(0.3, 0.95, 512).round(5))),),
        "2,048 cases (8 blocks)": (
            ("facility.utilisation", tuple(np.linspace(0.3, 0.95, 256).round(5))),
            ("facility.idle_fraction", (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55)),
        ),
    }
    base = Scenario(sites=("qingyang",), designs=("free_air",))
    t0 = time.perf_counter()
    with cluster(workers=2) as client:
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_sweep(base, studies["64 cases (one block)"], block=32, progress=False, client=client)  # warm workers
        warm = time.perf_counter() - t0
        print(f"LocalCluster(2 workers) start {up:.1f} s; first study (worker cold start) {warm:.1f} s")
        print(f"{'study':<24} {'serial wall':>22} {'dask wall':>22} {'serial CPU':>22} {'dask CPU':>22}")
        for name, grid in studies.items():
            run_sweep(base, grid, progress=False)  # warm this process too
            res: dict[str, list[float]] = {"sw": [], "dw": [], "sc": [], "dc": []}
            for _ in range(PAIRS):
                for mode in ("s", "d"):
                    c = client if mode == "d" else None
                    cpu0, w0 = _cpu_of(c), time.perf_counter()
                    run_sweep(base, grid, progress=False, client=c)
                    res[mode + "w"].append(time.perf_counter() - w0)
                    res[mode + "c"].append(_cpu_of(c) - cpu0)
            print(
                f"{name:<24} {_stats(res['sw']):>22} {_stats(res['dw']):>22} {_stats(res['sc']):>22} {_stats(res['dc']):>22}"
            )
    print(f"median (range) of {PAIRS} interleaved pairs; serial = this process on {os.cpu_count()} threads")


def bench_cost() -> None:
    from twin import Scenario
    from twin.building.cooling import DESIGNS
    from twin.engine.config import load_scenario
    from twin.engine.simulate import annual_kpis, prepare_weather

    os.environ["TWIN_THREADS"] = "1"
    n = 256
    util = ("facility.utilisation", tuple(np.linspace(0.3, 0.95, n).round(5)))
    # A study decides the kernel once for all its blocks (twin.engine.kernels.kernel_for): from
    # 1,000 case-years it runs the compiled kernels, the designs without one the reference.
    study = functools.partial(annual_kpis, kernel="numba")
    print(
        f"CPU per case-year, annual_kpis(kernel='numba') (what a study runs), {n} cases in one call,"
        " one thread (median of 3; range)"
    )
    for design in DESIGNS:
        sc = Scenario(sites=("qingyang",), designs=(design,), sweep=(util,))
        _cost_row(design, sc, n, study, prepare_weather(sc))
    green = load_scenario(os.path.join(os.path.dirname(__file__), "..", "examples", "yinchuan_minning_green.toml"))
    sizes = ("green.storage.energy_mwh", tuple(np.linspace(50.0, 800.0, n).round(3)))
    import dataclasses

    green = dataclasses.replace(green, sweep=(sizes,))
    _cost_row("free_air + PV + wind + storage (green_first), storage sizes", green, n, study, prepare_weather(green))


def _cost_row(label, sc, n, fn, wx) -> None:
    fn(sc, weather=wx)
    ts = []
    for _ in range(3):
        c0 = time.process_time()
        fn(sc, weather=wx)
        ts.append((time.process_time() - c0) / n)
    a = np.sort(ts) * 1e3
    print(
        f"  {label:<62} {np.median(a):6.3f} ms ({a[0]:.3f}–{a[-1]:.3f}) = {1e3 / np.median(a):,.0f} case-years/core-s"
    )


def bench_memory() -> None:
    from twin import Scenario
    from twin.engine.simulate import KPI_VARIABLES, annual_kpis, prepare_weather, simulate

    os.environ["TWIN_THREADS"] = "1"
    sizes = (128, 512)
    runs = {
        "simulate (all hourly variables)": lambda sc, wx: simulate(sc, weather=wx),
        "simulate (keep=KPI_VARIABLES)": lambda sc, wx: simulate(sc, weather=wx, keep=KPI_VARIABLES),
        "annual_kpis": lambda sc, wx: annual_kpis(sc, weather=wx),
    }
    print(f"peak traced memory (tracemalloc), Qingyang, {sizes[0]} and {sizes[1]} cases, one thread")
    for design in ("free_air", "chilled_water"):
        for label, fn in runs.items():
            peaks = []
            for n in sizes:
                sc = Scenario(
                    sites=("qingyang",),
                    designs=(design,),
                    sweep=(("facility.utilisation", tuple(np.linspace(0.3, 0.95, n).round(5))),),
                )
                wx = prepare_weather(sc)
                fn(sc, wx)  # tables and caches built outside the measurement
                tracemalloc.start()
                out = fn(sc, wx)
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                del out
            per_case = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
            head = f"  {design:<14} {label:<34} {peaks[0] / 2**20:7.1f} / {peaks[1] / 2**20:7.1f} MiB;"
            if per_case < 0.02 * peaks[1] / sizes[1]:  # bounded by a block, not by the cases
                print(f"{head} does not grow with the cases (one block at a time)")
            else:
                print(f"{head} {per_case / 2**20:6.3f} MiB per extra case = {2**30 / per_case:,.0f} cases per GiB")


def bench_memory_kernel() -> None:
    """Peak traced memory of annual_kpis on free air, compiled kernel against numpy reference."""
    from twin import Scenario
    from twin.engine.simulate import annual_kpis, prepare_weather

    os.environ["TWIN_THREADS"] = "1"
    print("peak traced memory (tracemalloc) of annual_kpis, free air, Qingyang, one thread")
    for kernel in ("numba", "reference"):
        peaks = []
        for n in (128, 512):
            sc = Scenario(
                sites=("qingyang",),
                designs=("free_air",),
                sweep=(("facility.utilisation", tuple(np.linspace(0.3, 0.95, n).round(5))),),
            )
            wx = prepare_weather(sc)
            annual_kpis(sc, weather=wx, kernel=kernel)
            tracemalloc.start()
            annual_kpis(sc, weather=wx, kernel=kernel)
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
        print(f"  kernel={kernel:<10} 128 cases {peaks[0]:7.1f} MiB, 512 cases {peaks[1]:7.1f} MiB")


_SWEEP_RSS = """
import resource, sys
from twin.cli import main
status = main(sys.argv[1:])
print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "status", status)
"""


def _sweep_rss(n_cases: int, out: str) -> float:
    """Peak resident memory (MiB) of one ``twin sweep`` of ``n_cases`` free-air cases in a new process."""
    import subprocess

    n_u = n_cases // 10
    grid = [
        "--grid",
        "facility.utilisation=" + ",".join(f"{u:.7f}" for u in np.linspace(0.1, 0.9, n_u)),
        "--grid",
        "cooling.free_air.evap_effectiveness=" + ",".join(f"{e:.2f}" for e in np.linspace(0.5, 0.95, 10)),
    ]
    argv = ["sweep", "--site", "qingyang", "--cooling", "free_air", *grid, "-o", out, "--force"]
    done = subprocess.run([sys.executable, "-c", _SWEEP_RSS, *argv], capture_output=True, text=True, check=False)
    words = (done.stdout.strip().splitlines() or [""])[-1].split()
    if len(words) != 4 or words[0] != "maxrss_kib" or words[3] != "0":
        raise SystemExit(f"bench/scale.py memory-sweep: twin sweep failed: {done.stderr.strip()[-300:]}")
    return int(words[1]) / 1024


def bench_memory_sweep() -> None:
    """Peak RSS of ``twin sweep`` at two study sizes, each in a fresh process (compiled kernels cached)."""
    import tempfile

    big = int(os.environ.get("TWIN_BENCH_SWEEP_CASES", "100000"))
    sizes = (2_000, big)
    with tempfile.TemporaryDirectory() as tmp:
        _sweep_rss(sizes[0], os.path.join(tmp, "warm.nc"))  # compiled kernels on disk before measuring
        peaks = [_sweep_rss(n, os.path.join(tmp, f"s{n}.nc")) for n in sizes]
    per_case = (peaks[1] - peaks[0]) * 2**20 / (sizes[1] - sizes[0])
    print(
        f"peak resident memory of twin sweep (free air, Qingyang), one process per size, {sizes[0]:,} / {sizes[1]:,} cases"
    )
    print(
        f"  {peaks[0]:7.0f} / {peaks[1]:7.0f} MiB; {per_case / 1024:.2f} KiB per extra case = {2**30 / per_case:,.0f} cases per GiB"
    )


def _count_collections() -> None:
    """Install a ``gc.callbacks`` counter in this process (also run in Dask workers)."""
    import gc

    state = {"n": [0, 0, 0], "cpu": 0.0, "t0": 0.0}

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            state["t0"] = time.thread_time()
        else:
            state["n"][info["generation"]] += 1
            state["cpu"] += time.thread_time() - state["t0"]

    gc.callbacks.append(callback)
    gc.twin_bench_collections = state  # type: ignore[attr-defined]


def _collections() -> dict:
    """The counts since the last call: ``{"n": [gen0, gen1, gen2], "cpu": seconds}``."""
    import gc

    state = gc.twin_bench_collections  # type: ignore[attr-defined]
    out = {"n": list(state["n"]), "cpu": state["cpu"]}
    state["n"], state["cpu"] = [0, 0, 0], 0.0
    return out


def _mark_one_task(on: bool) -> None:
    from twin.studies import study

    study._ONE_TASK_AT_A_TIME[0] = on


def bench_gc(tasks: int = 20, rounds: int = 4) -> None:
    import threading

    from twin import Scenario
    from twin.engine.simulate import prepare_weather
    from twin.studies import study
    from twin.studies.sweep import kpi_block

    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(("facility.utilisation", tuple(np.linspace(0.3, 1.0, 1000).round(5))),),
    )
    wx, cases = prepare_weather(sc), sc.cases()
    total = {False: [0, 0, 0, 0.0], True: [0, 0, 0, 0.0]}
    with study.cluster(workers=2) as client:
        client.run(_count_collections)
        remote = client.scatter(wx, broadcast=True)

        def run(n: int) -> None:
            client.gather(
                [client.submit(study._task, kpi_block, sc, remote, cases, "numba", pure=False) for _ in range(n)]
            )

        run(3)  # warm: the kernel's cache, the weather
        client.run(_collections)
        for _ in range(rounds):
            for paused in (False, True):
                client.run(_mark_one_task, paused)
                run(tasks)
                for r in client.run(_collections).values():
                    t = total[paused]
                    t[0], t[1], t[2], t[3] = t[0] + r["n"][0], t[1] + r["n"][1], t[2] + r["n"][2], t[3] + r["cpu"]
    n = rounds * tasks
    print(f"cyclic collections in both workers of --workers 2, {n} tasks of 1,000 free-air cases (numba) each way:")
    for paused, (g0, g1, g2, cpu) in total.items():
        what = "paused per task" if paused else "running"
        print(f"  {what:<16} {g0:5d} gen-0, {g1:4d} gen-1, {g2:2d} full; {cpu / n * 1e3:.1f} ms CPU per task")
    _count_collections()
    one = Scenario(sites=("qingyang",), designs=("free_air",))
    wx1 = prepare_weather(one)
    kpi_block(one, wx1, one.cases(), "numba")
    _collections()
    worker = threading.Thread(target=lambda: [kpi_block(one, wx1, one.cases(), "numba") for _ in range(50)])
    worker.start()
    worker.join()
    r = _collections()
    print(
        f"  a thread (a Dash request), 50 one-case calls: {r['n'][0]} gen-0, {r['n'][1]} gen-1, {r['n'][2]} full, {r['cpu'] * 1e3:.1f} ms"
    )


def main(which: list[str]) -> None:
    from twin.core.runtime import keep_freed_memory

    keep_freed_memory()
    warnings.simplefilter("ignore")
    benches = {
        "dask": bench_dask,
        "cost": bench_cost,
        "memory": bench_memory,
        "memory-kernel": bench_memory_kernel,
        "memory-sweep": bench_memory_sweep,
        "gc": bench_gc,
    }
    unknown = [name for name in which if name not in benches]
    if unknown:
        raise SystemExit(f"bench/scale.py: unknown benchmark {unknown[0]!r}; allowed: {', '.join(benches)}")
    for name in which or ["cost", "memory", "dask"]:
        benches[name]()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
