"""The numpy path of a run (``twin run``'s table): the same arrays, figures and text as the Dataset path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin import kpis, simulate
from twin.cli import _kpi_rows, _table_rows
from twin.engine.config import Scenario, load_scenario
from twin.engine.simulate import prepare_weather, prepare_years, simulate_arrays, with_psychrometrics
from twin.engine.weather_source import site_weather
from weather.year import WeatherYear, as_year

ROOT = Path(__file__).resolve().parents[3]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


SCENARIOS = [
    pytest.param(lambda: Scenario.from_dict({"sites": ["qingyang"], "designs": ["free_air"]}), id="one case"),
    pytest.param(
        lambda: Scenario.from_dict({"sites": ["guangzhou"], "designs": ["immersion_2p"]}), id="fluid lost, hours out"
    ),
    pytest.param(
        lambda: Scenario.from_dict({"sites": ["karamay", "guian"], "designs": ["free_air", "spray"]}), id="2 sites x 2"
    ),
    *(
        pytest.param(lambda name=name: load_scenario(ROOT / "examples" / name), id=name)
        for name in ("qingyang_evap_sweep.toml", "yinchuan_minning_green.toml", "qingyang_heat_reuse.toml")
    ),
]


@pytest.mark.parametrize("make", SCENARIOS)
def test_figures_and_table_equal_the_dataset_path(make):
    """The KPIs from the run's arrays are twin.kpis(simulate(...)) bit for bit, the table the same text."""
    sc = make()
    run = simulate_arrays(sc)
    ds = simulate(sc)
    k = kpis(ds)
    figures = run.figures()
    assert set(figures) == set(k.data_vars)
    for name, value in figures.items():
        assert _same_bits(value, k[name].values), name
    assert _table_rows(run.case_coords(), figures, not run.one) == _kpi_rows(ds, k)


def test_weather_years_are_the_weather_datasets():
    """prepare_years' arrays (psychrometrics derived on arrays) against the Dataset path:
    site_weather's Dataset with the psychrometrics added on it (with_psychrometrics)."""
    sc = Scenario.from_dict({"sites": ["qingyang", "karamay"], "designs": ["free_air"]})
    years, datasets = prepare_years(sc), prepare_weather(sc)
    assert list(years) == list(datasets)
    for key, (year, meta, site) in years.items():
        ds, ds_meta, ds_site = datasets[key]
        assert isinstance(year, WeatherYear) and meta == ds_meta and site == ds_site
        ref, ref_meta = site_weather(site, seed=sc.weather.seed, year=sc.weather.year)
        ref = with_psychrometrics(ref)
        assert repr(ref_meta) == repr(meta) and year.to_dataset().identical(ref) and ds.identical(ref)
        assert list(year.data_vars) == list(ref.data_vars) and _same_bits(year.time, ref["time"].values)
        for name in ref.data_vars:
            assert _same_bits(year[str(name)], ref[name].values), name
        assert {"w", "t_wb", "x_sat"} <= set(year.data_vars)
        for name in ds.variables:
            assert _same_bits(year.variables[str(name)][1], ds[name].values), name
        back = as_year(ds)  # a Dataset read as arrays: views, the same Dataset back
        assert back.to_dataset() is ds and _same_bits(back.time, year.time)


def test_run_on_prepared_datasets_equals_run_on_years():
    """simulate_arrays takes prepare_weather's Datasets as well as prepare_years' arrays."""
    sc = load_scenario(ROOT / "examples" / "qingyang_green_ppa.toml")
    a = simulate_arrays(sc, prepare_weather(sc)).figures()
    b = simulate_arrays(sc, prepare_years(sc)).figures()
    assert a.keys() == b.keys() and all(_same_bits(a[k], b[k]) for k in a)
