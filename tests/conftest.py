"""Shared test fixtures: the real weather files beside the repository (../shared/weather)."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

# The disk cache (twin.core.diskcache) of the test session: a fresh folder, never the user's,
# removed at the end; the CLI's subprocesses inherit it.
_CACHE = tempfile.mkdtemp(prefix="pue-twin-test-cache-")
os.environ["TWIN_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_CACHE, ignore_errors=True)


ROOT = Path(__file__).resolve().parents[1]
SHARED_WEATHER = ROOT.parent / "shared" / "weather"

# site key -> EPW file name in ../shared/weather
EPW_FILES = {
    "qingyang": "CHN_Gansu.Xifengzhen.539230_CSWD.epw",
    "guian": "CHN_Guizhou.Guiyang.578160_CSWD.epw",
    "yinchuan": "CHN_Ningxia.Hui.Yinchuan.536140_CSWD.epw",
    "karamay": "CHN_Xinjiang.Uygur.Karamay.512430_CSWD.epw",
    "us_dulles": "USA_VA_Dulles-Washington.Dulles.Intl.AP.724030_TMYx.2009-2023.epw",
}


def epw_path(key: str) -> Path:
    """Path of a real EPW file; skips the test with a reason when ../shared is absent."""
    p = SHARED_WEATHER / EPW_FILES[key]
    if not p.is_file():
        pytest.skip(f"real weather file {p} not present (../shared/weather beside the repository)")
    return p


@pytest.fixture(scope="session")
def real_weather():
    """Read each real EPW once per session: {key: (Dataset, meta)}."""
    import weather

    cache: dict = {}

    def get(key: str):
        if key not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", weather.WeatherWarning)
                cache[key] = weather.read_epw(epw_path(key))
        return cache[key]

    return get
