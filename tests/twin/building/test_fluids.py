"""CoolProp tables against CoolProp evaluated directly, and the cycle against a hand calculation."""

from __future__ import annotations

import numpy as np
import pytest
from CoolProp.CoolProp import PropsSI

from twin.building import fluids


@pytest.mark.parametrize("refrigerant", ["R134a", "R1234ze(E)", "R410A"])
def test_cop_table_within_0_5_percent_of_coolprop(refrigerant):
    tab = fluids.cycle_table(refrigerant, 1.0)
    rng = np.random.default_rng(3)
    te = rng.uniform(-10.0, 20.0, 60)
    tc = np.minimum(np.maximum(te + 8.0, 12.0) + rng.uniform(0.0, 40.0, 60), 68.0)
    direct = np.array([fluids.cop_vapour_compression(refrigerant, a, b, 1.0) for a, b in zip(te, tc, strict=True)])
    assert np.max(np.abs(tab(te, tc) / direct - 1.0)) <= 0.005


def test_cycle_by_hand_r134a():
    """R134a, T_evap 5 °C, T_cond 40 °C, 5 K superheat, 3 K subcooling, η_is 0.75: states by hand."""
    T = 273.15
    pe = PropsSI("P", "T", 5 + T, "Q", 1, "R134a")
    pc = PropsSI("P", "T", 40 + T, "Q", 1, "R134a")
    h1 = PropsSI("H", "T", 10 + T, "P", pe, "R134a")
    s1 = PropsSI("S", "T", 10 + T, "P", pe, "R134a")
    h2s = PropsSI("H", "P", pc, "S", s1, "R134a")
    h3 = PropsSI("H", "T", 37 + T, "P", pc, "R134a")
    cop = (h1 - h3) / ((h2s - h1) / 0.75)
    assert fluids.cop_vapour_compression("R134a", 5.0, 40.0, 0.75) == pytest.approx(cop, rel=1e-9)
    # Textbook range: a real R134a cycle at this lift has COP ≈ 5 and is below Carnot (7.9).
    assert 4.0 < cop < (5 + T) / 35.0
    # The table scales exactly with η: COP(η) = η · COP(1).
    assert fluids.cycle_table("R134a", 1.0)(5.0, 40.0) * 0.75 == pytest.approx(cop, rel=0.005)


def test_unknown_refrigerant():
    with pytest.raises(ValueError, match="not a CoolProp fluid"):
        fluids.cycle_table("R9999", 1.0)


@pytest.mark.parametrize(("fluid", "rho40", "cp40"), [("INCOMP::PNF2", 872.0, 1940.0), ("water", 992.2, 4179.0)])
def test_liquid_tables(fluid, rho40, cp40):
    tab = fluids.liquid_table(fluid)
    assert float(tab.density(40.0)) == pytest.approx(rho40, rel=2e-3)
    assert float(tab.heat_capacity(40.0)) == pytest.approx(cp40, rel=2e-3)
    t = np.array([12.3, 37.7])
    direct = [PropsSI("D", "T", x + 273.15, "P", 101325, fluid) for x in t]
    np.testing.assert_allclose(tab.density(t), direct, rtol=1e-3)


def test_novec649_saturation_matches_reference_facts():
    t, hfg = fluids.saturation("Novec649")
    assert t == pytest.approx(49.1, abs=0.1)
    assert hfg / 1000 == pytest.approx(87.9, abs=0.2)
