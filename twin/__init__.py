"""PUE twin: hourly data-centre energy, PUE and green-power digital twin.

The engine layer. It builds on :mod:`weather` and :mod:`sites` (which know nothing of it) and
is used by :mod:`dashboards`.

>>> from twin import Scenario, simulate, kpis, annual_kpis
>>> ds = simulate(Scenario(sites=("karamay",), designs=("free_air",)))   # doctest: +SKIP
>>> float(kpis(ds)["pue"])                                                 # doctest: +SKIP
>>> annual_kpis(big_sweep)        # the same KPIs, block by block, no hourly arrays  # doctest: +SKIP
"""

from twin.building.facility import facility_block
from twin.core.params import ConfigError
from twin.core.version import __version__
from twin.engine.config import Scenario, load_scenario, save_scenario
from twin.engine.metrics import kpis
from twin.engine.simulate import annual_kpis, simulate
from twin.engine.weather_source import site_weather

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
