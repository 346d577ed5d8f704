"""Benchmarks (`make bench`): speed goals are measured here, never asserted in tests.

Prints one line per benchmark: best of N repeats, warm (first call excluded).
"""

from __future__ import annotations

import timeit
import warnings

import numpy as np


def best(fn, repeat: int = 7, number: int = 1) -> float:
    fn()  # warm
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def main() -> None:
    import sites
    import weather
    from twin import site_weather
    from weather import psychrometrics as psy

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    n = 8760
    t, rh, p = rng.uniform(-30, 45, n), rng.uniform(5, 100, n), rng.uniform(6e4, 1.013e5, n)
    rows = [
        ("psychrometrics: wet bulb, one year (8760 h)", best(lambda: psy.wet_bulb(t, rh, p), 20)),
        (
            "psychrometrics: humidity ratio + enthalpy, one year",
            best(lambda: psy.enthalpy(t, psy.humidity_ratio(t, rh, p)), 20),
        ),
        ("generator: one typical year (Qingyang)", best(lambda: site_weather(sites.load("qingyang"), seed=1), 5)),
    ]
    from pathlib import Path

    epw = Path(__file__).resolve().parents[2] / "shared" / "weather" / "CHN_Gansu.Xifengzhen.539230_CSWD.epw"
    if epw.is_file():
        rows.append(("reader: EPW year (Xifeng CSWD)", best(lambda: weather.read_epw(epw), 5)))
    width = max(len(r[0]) for r in rows)
    for name, sec in rows:
        print(f"{name:<{width}}  {sec * 1e3:9.2f} ms")


if __name__ == "__main__":
    main()
