"""The liquid designs' chip temperature above the coolant (``dt_chip``): its leakage by hand, its sources."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from CoolProp.CoolProp import PropsSI

from twin import Scenario, simulate
from twin.building.cooling import DESIGNS
from twin.building.it_load import DT_CHIP_AIR, T_INLET_REF, ITParams

ROOT = Path(__file__).resolve().parents[4]
KEYS = set(
    re.findall(r"^\| ([A-Za-z][A-Za-z0-9]*) \|", (ROOT / "docs" / "references.md").read_text(encoding="utf-8"), re.M)
)


def _source(design: str, name: str = "dt_chip") -> str:
    return next(i.source for i in DESIGNS[design].params.info() if i.name == name)


@pytest.mark.parametrize("design", ["spray", "immersion_1p"])
def test_leakage_follows_dt_chip_by_hand(design):
    """``ΔP_leak = P_core · k_l · (T_supply + dt_chip − 67 °C)`` hour by hour, and 10 K more chip costs
    ``P_core · k_l · 10`` in every hour (the coolant does not depend on the chip)."""
    it = ITParams(it_capacity_kw=1000.0)
    sweep = ((f"cooling.{design}.dt_chip", (10.0, 20.0)),)
    ds = simulate(Scenario(sites=("guian",), designs=(design,), facility=it, sweep=sweep))
    load = it.idle_fraction + (1.0 - it.idle_fraction) * it.utilisation
    p_core = 1000.0 * (1.0 - it.fan_share) * load  # kW: flat profile, full occupancy, nominal servers
    leak = ds["p_leakage"].to_numpy()
    t_supply = ds["t_supply"].to_numpy()
    for i, dt_chip in enumerate((10.0, 20.0)):
        t_chip = t_supply[i] + dt_chip
        assert (t_chip - (T_INLET_REF + DT_CHIP_AIR) > -it.leakage_share / it.leakage_per_k).all()  # no floor
        np.testing.assert_allclose(leak[i], p_core * it.leakage_per_k * (t_chip - 67.0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(t_supply[1], t_supply[0], rtol=1e-12)
    np.testing.assert_allclose(leak[1] - leak[0], p_core * it.leakage_per_k * 10.0, rtol=1e-9)
    # 900 kW of core at 70 % utilisation and 40 % idle: 0.004 /K × 10 K of it
    assert float(leak[1][0] - leak[0][0]) == pytest.approx(900.0 * 0.82 * 0.04, rel=1e-9)


@pytest.mark.parametrize(
    ("design", "keys", "figure"),
    [
        ("spray", ("Kim2007",), "6–26 K"),
        ("cold_plate", ("ColdPlateRth", "Wagner2015"), "6–15 K"),
        ("immersion_1p", ("Shah2017", "Wagner2015"), "26 K"),
        ("immersion_2p", ("Cooper1984", "Novec649CHF2021"), "19–24 K"),
    ],
)
def test_dt_chip_declares_its_source_and_says_assumption(design, keys, figure):
    src = _source(design)
    assert src.startswith("chip lid above coolant supply at full load")
    assert "assumption" in src  # no default is a sourced value yet: each says so
    assert figure in src
    for key in keys:
        assert key in src and key in KEYS


def test_the_sourced_figures_in_the_declarations_by_hand():
    """Each declaration's figure is what its source gives, computed here from the source's own
    numbers and the model's air reference (``DT_CHIP_AIR``): a declaration whose figure no longer
    follows from them fails."""
    # Shah2017: 34.4 % less resistance than the same server in air, on the model's 40 K in air
    assert f"{round((1.0 - 0.344) * DT_CHIP_AIR)} K" in _source("immersion_1p")
    # ColdPlateRth: 0.02–0.05 K/W on a 300 W chip
    assert f"{round(0.02 * 300.0)}–{round(0.05 * 300.0)} K" in _source("cold_plate")
    # Cooper1984 for Novec 649 at the western hubs' 0.88 atm and at 1 atm, 5 and 10 W/cm²
    m = PropsSI("M", "Novec649") * 1000.0
    p_c = PropsSI("pcrit", "Novec649")
    superheat = []
    for p in (88_000.0, 101_325.0):
        pr = p / p_c
        for q in (5e4, 1e5):
            h = 55.0 * pr**0.12 * (-math.log10(pr)) ** -0.55 * m**-0.5 * q**0.67
            superheat.append(q / h)
    assert f"{round(min(superheat))}–{round(max(superheat))} K" in _source("immersion_2p")
