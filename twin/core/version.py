"""The one version string of the package (``twin.__version__`` re-exports it).

It lives in :mod:`twin.core` so that the core (the NetCDF writer's ``source`` and ``history``)
can read it without importing the top package; ``pyproject.toml`` reads it from here.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
