"""Cold start of the ``twin`` command (`make bench`): fresh processes, measured here, never asserted.

Every command runs in a new Python process, in interleaved rounds (each round runs every
command once, in turn), and the child's own CPU time (user + system, from ``wait4``) and wall
time are reported as median and range over the rounds — not best-of.

* ``warm``: the disk cache (``twin.core.diskcache``) filled by an earlier run, as on a machine
  where ``twin`` has run once: CoolProp's tables, the generated year and the PV/wind unit
  profiles are read, not computed;
* ``no cache``: ``TWIN_CACHE_DIR=off``, every table computed in the process (the first run on a
  machine, and what every run cost before the cache);
* ``no dask``: ``dask`` made unimportable, as in an install without the ``[dask]`` extra (the
  ``twin`` command keeps xarray from importing dask when it is installed,
  :func:`twin.core.runtime.defer_dask_in_xarray`, so the two rows should agree);
* ``floor``: a process that only imports numpy, with OpenBLAS on one thread as ``twin`` starts
  it (:func:`twin.core.runtime.one_blas_thread`; the other floors too) and with OpenBLAS's
  default thread per core (``CPU - floor``: each twin command's CPU less that of the one-thread
  numpy floor in the same round, median and range over the rounds, so that the
  VM's drift between runs shows), or numpy, pandas and xarray (what any run that
  builds an ``xarray.Dataset`` pays before the twin does anything), or numpy and netCDF4 (what
  a run writing its file pays: it writes without xarray).

Python's bytecode is written by the first run, as on a user's machine (``PYTHONDONTWRITEBYTECODE``
is removed from the children's environment; without it the twin's own modules would be compiled
from source in every process, about 0.1 s more).

``--phases``: where a warm ``twin run --site qingyang --cooling free_air`` spends its CPU, step by
step in one fresh process (interpreter start, importing numpy and the twin's modules, the run's
steps to the table — all a ``--no-output`` run does — then what writing the file adds: the
file's arrays, importing netCDF4 and the NetCDF write; neither pandas nor xarray), median and
range over the rounds, and the whole run beyond Python's start and numpy's import.

``python bench/coldstart.py --rounds 9 [--baseline DIR] [--phases]``: ``--baseline`` adds the same commands
run on another checkout of the code (``PYTHONPATH=DIR``, e.g. ``git archive`` of an older commit),
interleaved with this one, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_DASK = "import sys; sys.modules['dask'] = None; from twin.cli import main; sys.exit(main(sys.argv[1:]))"
CLI = "import sys; from twin.cli import main; sys.exit(main(sys.argv[1:]))"
FLOOR = "import numpy"
FLOOR_LABEL = "floor: python -c 'import numpy', OpenBLAS on one thread (as twin)"
FLOOR_XR = "import numpy, pandas, xarray"
FLOOR_NC = "import numpy, netCDF4"


def _commands(out: Path) -> list[tuple[str, list[str], dict[str, str], bool]]:
    """(label, ``-c`` code and arguments, environment, also run on ``--baseline``)."""
    run = ["run", "--site", "qingyang", "--cooling", "free_air"]
    green = ["run", str(ROOT / "examples" / "yinchuan_minning_green.toml"), "--no-output"]
    off = {"TWIN_CACHE_DIR": "off"}
    nc = ["-o", str(out / "q.nc"), "--force"]
    return [
        ("twin --version", [CLI, "--version"], {}, True),
        ("twin --help", [CLI, "--help"], {}, True),
        ("run --site qingyang --cooling free_air (writes .nc)", [CLI, *run, *nc], {}, True),
        ("  the same, --no-output", [CLI, *run, "--no-output"], {}, True),
        ("  the same, --no-output, no dask", [NO_DASK, *run, "--no-output"], {}, False),
        ("  the same, --no-output, no cache", [CLI, *run, "--no-output"], off, False),
        ("run examples/yinchuan_minning_green.toml", [CLI, *green], {}, True),
        ("  the same, no cache", [CLI, *green], off, False),
        (FLOOR_LABEL, [FLOOR], {"OPENBLAS_NUM_THREADS": "1"}, False),
        ("floor: python -c 'import numpy', OpenBLAS's default threads", [FLOOR], {}, False),
        ("floor: python -c 'import numpy, pandas, xarray'", [FLOOR_XR], {"OPENBLAS_NUM_THREADS": "1"}, False),
        ("floor: python -c 'import numpy, netCDF4'", [FLOOR_NC], {"OPENBLAS_NUM_THREADS": "1"}, False),
    ]


PHASES = """
import json, sys, time
marks = [("python start", time.process_time())]
def mark(name):
    marks.append((name, time.process_time()))
from twin.core.runtime import defer_dask_in_xarray, one_blas_thread
one_blas_thread()  # as twin.cli.main
defer_dask_in_xarray()
import numpy; mark("import numpy")
import twin.cli, twin.engine.metrics, twin.engine.simulate; mark("import the twin's modules")
argv = ["run", "--site", "qingyang", "--cooling", "free_air", "-o", sys.argv[1], "--force"]
twin.cli.build_parser(twin.cli._command_of(argv)).parse_args(argv); mark("the command line (argparse)")
from twin.engine.config import Scenario
sc = Scenario.from_dict({"sites": ["qingyang"], "designs": ["free_air"], "name": "qingyang-free_air"}); mark("scenario")
from twin.engine.simulate import prepare_years, run_content, simulate_arrays
weather = prepare_years(sc); mark("weather year (disk cache, arrays) and psychrometrics")
run = simulate_arrays(sc, weather); mark("simulate: one facility-year, arrays")
k = run.figures(); mark("kpis (figures)")
twin.cli._table_rows(run.case_coords(), k, not run.one); mark("the table")
content = run_content(run); mark("the file's arrays (the file only)")
import netCDF4; mark("import netCDF4 (the file only)")
from twin.core.io import write_netcdf
write_netcdf(content, sys.argv[1], force=True); mark("write the NetCDF file")
print(json.dumps([(n, b - a) for (_, a), (n, b) in zip([("", 0.0), *marks], marks)]))
"""
"""One warm run in steps, CPU s per step (``--phases``)."""


def _phases(rounds: int, env: dict[str, str], out: Path) -> None:
    steps: dict[str, list[float]] = {}
    for r in range(rounds + 1):  # the first fills the cache and writes the bytecode
        proc = subprocess.run(
            [sys.executable, "-c", PHASES, str(out / "phases.nc")],
            env=env,
            cwd=out,
            capture_output=True,
            text=True,
            check=True,
        )
        if r:
            for name, cpu in json.loads(proc.stdout.splitlines()[-1]):
                steps.setdefault(name, []).append(cpu)
    width = max(len(name) for name in steps)
    print(f"A warm run in steps: fresh processes, {rounds} rounds, CPU s, median (range)")
    for name, values in steps.items():
        print(f"{name:<{width}}  {_summary(values, 3):>20}")
    names = list(steps)
    table = names[: names.index("the table") + 1]  # a --no-output run ends with the table
    floor = ("python start", "import numpy")
    for label, part in (
        ("total, table only (--no-output)", table),
        ("total, writing the file", names),
        ("  the same, beyond Python and numpy", [n for n in names if n not in floor]),
    ):
        totals = [sum(steps[n][i] for n in part) for i in range(rounds)]
        print(f"{label:<{width}}  {_summary(totals, 3):>20}")


def _once(code_and_args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(CPU s, wall s) of one fresh process, run in ``cwd`` (with ``-c`` the current folder comes
    first on ``sys.path``: not this checkout's, so that ``--baseline`` runs its own code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", *code_and_args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{code_and_args[1:]} failed ({proc.returncode}): {err.strip()[-500:]}")
    return usage.ru_utime + usage.ru_stime, wall


def _summary(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):5.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="fresh processes per command (default 9)")
    ap.add_argument("--baseline", help="another checkout of the code, run interleaved with this one")
    ap.add_argument("--only", metavar="REGEX", help="only the commands whose label matches")
    ap.add_argument("--phases", action="store_true", help="instead: one warm run's CPU, step by step")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="twin-coldstart-") as tmp:
        out = Path(tmp)
        base_env = {**os.environ, "TWIN_CACHE_DIR": str(out / "cache")}
        base_env.pop("PYTHONPATH", None)
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode written by the first run, as for a user
        if args.phases:
            _phases(args.rounds, base_env, out)
            return 0
        rows = [(label, cmd, {**base_env, **extra}) for label, cmd, extra, _ in _commands(out)]
        if args.baseline:
            before = {**base_env, "PYTHONPATH": str(Path(args.baseline).resolve())}
            rows += [
                ("before: " + label, cmd, {**before, **extra}) for label, cmd, extra, also in _commands(out) if also
            ]
        if args.only:
            rows = [row for row in rows if re.search(args.only, row[0])]
        for _, cmd, env in rows:  # the first run on this machine: fills the cache
            _once(cmd, env, out)
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in rows}
        wall: dict[str, list[float]] = {label: [] for label, _, _ in rows}
        for r in range(args.rounds):
            order = rows if r % 2 == 0 else rows[::-1]  # alternate the order: no row always runs first
            for label, cmd, env in order:
                c, w = _once(cmd, env, out)
                cpu[label].append(c)
                wall[label].append(w)
    width = max(len(label) for label in cpu)
    print(
        f"Cold start: fresh processes, {args.rounds} interleaved rounds, median (range), seconds; {os.cpu_count()} cores"
    )
    floor = cpu.get(FLOOR_LABEL)
    print(f"{'command':<{width}}  {'CPU':>17}  {'CPU - floor':>17}  {'wall':>17}")
    for label in cpu:
        beyond = ""
        if floor is not None and not label.startswith("floor"):  # the same round's numpy floor
            beyond = _summary([c - f for c, f in zip(cpu[label], floor, strict=True)])
        print(f"{label:<{width}}  {_summary(cpu[label]):>17}  {beyond:>17}  {_summary(wall[label]):>17}")
    if floor is not None:
        print(f"CPU - floor: each round's CPU less the same round's {FLOOR_LABEL!r} (Python + numpy alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
