"""PUE twin: hourly data-centre energy, PUE and green-power digital twin.

The engine layer. It builds on :mod:`weather` and :mod:`sites` (which know nothing of it) and
is used by :mod:`dashboards`.

>>> from twin import Scenario, simulate, kpis, annual_kpis
>>> ds = simulate(Scenario(sites=("karamay",), designs=("free_air",)))   # doctest: +SKIP
>>> float(kpis(ds)["pue"])                                                 # doctest: +SKIP
>>> annual_kpis(big_sweep)        # the same KPIs, block by block, no hourly arrays  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from twin.core.version import __version__

if TYPE_CHECKING:
    from twin.building.facility import facility_block
    from twin.core.params import ConfigError
    from twin.engine.config import Scenario, load_scenario, save_scenario
    from twin.engine.metrics import kpis
    from twin.engine.simulate import annual_kpis, simulate
    from twin.engine.weather_source import site_weather

_HOME = {
    "ConfigError": "twin.core.params",
    "Scenario": "twin.engine.config",
    "annual_kpis": "twin.engine.simulate",
    "facility_block": "twin.building.facility",
    "kpis": "twin.engine.metrics",
    "load_scenario": "twin.engine.config",
    "save_scenario": "twin.engine.config",
    "simulate": "twin.engine.simulate",
    "site_weather": "twin.engine.weather_source",
}
"""Where each public name lives: imported at first use (PEP 562), so ``import twin`` (and the
``twin`` command's ``--help``) does not load the engine, pandas or xarray."""


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'twin' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "ConfigError",
    "Scenario",
    "__version__",
    "annual_kpis",
    "facility_block",
    "kpis",
    "load_scenario",
    "save_scenario",
    "simulate",
    "site_weather",
]
