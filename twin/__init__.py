"""PUE twin: hourly data-centre energy, PUE and green-power digital twin.

The engine layer. It builds on :mod:`weather` and :mod:`sites` (which know nothing of it) and
is used by :mod:`dashboards`.
"""

from twin.weather_source import site_weather

__all__ = ["site_weather"]
__version__ = "0.1.0"
