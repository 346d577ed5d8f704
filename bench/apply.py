"""CPU time of the dashboard's Apply check, ``dashboards.data.check_runs``, against running every
case's whole year (``scenario_kpis``, what Apply did before session 15), the caches of ``dashboards.data`` emptied before each call, in interleaved
rounds (order alternating), after one warm call of each.

Run from the tree's root: ``TWIN_THREADS=1 PYTHONPATH=. python bench/apply.py CASES ROUNDS``.
"""

import dataclasses
import os
import statistics
import sys
import time

import numpy as np

from dashboards import data


def clear() -> None:
    for memo in (data._WEATHER, data._CASES, data._STUDIES):
        memo.clear()


def refused(sc) -> None:
    try:
        data.check_runs(sc)
    except ValueError:
        return
    raise AssertionError("not refused")


def main() -> None:
    n, rounds = int(sys.argv[1]), int(sys.argv[2])
    sc = data.default_scenario()  # the Minning example: PV, wind and storage, two storage sizes swept
    values = tuple(float(v) for v in np.linspace(0.3, 0.9, n // 2))
    big = dataclasses.replace(sc, sweep=(("facility.utilisation", values), *sc.sweep))
    print(f"{big.case_count} cases: the Minning example with facility.utilisation swept over {n // 2} values")
    new = (lambda: data.check_runs(big)) if n <= data.APPLY_MAX_CASES else (lambda: refused(big))
    sides = {"every case's whole year": lambda: data.scenario_kpis(big), "check_runs": new}
    for run in sides.values():  # warm: imports, compiled kernels, PV and wind unit profiles
        clear()
        run()
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    for r in range(rounds):
        for k in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            clear()
            t = time.process_time()
            sides[k]()
            cpu[k].append(time.process_time() - t)
    for k, v in cpu.items():
        print(f"{k}: median {statistics.median(v):.3f} s CPU, range {min(v):.3f}-{max(v):.3f}")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
