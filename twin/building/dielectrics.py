"""The immersion fluids a user can choose, with their life-cycle facts: one table, declared once.

Each :class:`Dielectric` names the CoolProp fluid whose properties the physics uses (saturation
at the site's pressure for two-phase fluids, density and heat capacity for single-phase oils),
whether it is still made, its 100-year global warming potential, a price and a yearly loss of
the charge (vapour escaping two-phase tanks, oil dragged out on serviced servers). Every figure
says where it comes from or that it is an assumption; a scenario can override the price and the
loss rate (``cooling.immersion_2p.fluid_price_cny_per_kg``, ``fluid_loss_pct_per_year``).

3M ended its PFAS manufacture at the end of 2025 (CEN2022): Novec and Fluorinert fluids are
listed as ``discontinued`` — still computable, for existing halls, but not a new design's
choice. Chemours' Opteon 2P50 (an HFO-based two-phase fluid boiling near 49 °C) has no CoolProp
model and is not offered; HFO-1336mzz(Z), which CoolProp has, boils at 33.5 °C at 1 atm.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from twin.core.params import ConfigError

__all__ = ["DIELECTRICS", "PHASES", "Dielectric", "dielectric", "fluid_choice_error"]

PHASES = ("two_phase", "single_phase")


@dataclass(frozen=True)
class Dielectric:
    """One immersion fluid.

    Attributes
    ----------
    key : str
        The name a scenario uses (``cooling.immersion_2p.fluid = "novec649"``).
    label : str
        Trade and chemical name.
    phase : str
        ``two_phase`` (boils on the chips) or ``single_phase`` (pumped liquid).
    coolprop : str
        CoolProp fluid whose properties the physics uses.
    status : str
        ``current`` or ``discontinued``.
    gwp100 : float
        Global warming potential, 100 years, kg CO2e per kg.
    price_cny_per_kg : float
        Make-up price, CNY/kg.
    loss_pct_per_year : float
        Charge lost and topped up each year, % of the charge.
    sources : str
        Where GWP, price, loss rate and status come from (reference keys or "assumption").
    aliases : tuple of str
        Other accepted names (the CoolProp name the scenario files used before the table).
    """

    key: str
    label: str
    phase: str
    coolprop: str
    status: str
    gwp100: float
    price_cny_per_kg: float
    loss_pct_per_year: float
    sources: str
    aliases: tuple[str, ...] = ()


_TABLE = (
    Dielectric(
        "novec649",
        "3M Novec 649 (FK-5-1-12, a fluoroketone)",
        "two_phase",
        "Novec649",
        "discontinued",
        1.0,
        450.0,
        2.0,
        "GWP: 3M product data, 1 (Gorbounov2015 compiles it: very low); status: CEN2022; price and loss: assumption",
        ("Novec649",),
    ),
    Dielectric(
        "fc72",
        "3M Fluorinert FC-72 (perfluorohexane, C6F14)",
        "two_phase",
        "n-Perfluorohexane",
        "discontinued",
        9300.0,
        700.0,
        2.0,
        "GWP: EPAPart98 Table A-1 (C6F14 9,300, AR4); status: CEN2022; price and loss: assumption",
        ("n-Perfluorohexane",),
    ),
    Dielectric(
        "hfo1336mzz_z",
        "HFO-1336mzz(Z) (Chemours Opteon MZ), boils at 33.5 °C at 1 atm",
        "two_phase",
        "R1336mzz(Z)",
        "current",
        2.0,
        300.0,
        2.0,
        "GWP: IPCCAR5 Table 8.A.1, (Z)-HFO-1336mzz GWP100 2 (unverified); price and loss: assumption",
        ("R1336mzz(Z)",),
    ),
    Dielectric(
        "mineral_oil",
        "hydrotreated mineral oil (Paratherm NF, CoolProp INCOMP::PNF2)",
        "single_phase",
        "INCOMP::PNF2",
        "current",
        0.0,
        20.0,
        1.0,
        "GWP: non-volatile hydrocarbon, not a listed greenhouse gas (0); price and drag-out loss: assumption",
        ("INCOMP::PNF2",),
    ),
    Dielectric(
        "pao",
        "polyalphaolefin synthetic hydrocarbon (properties of INCOMP::PNF2: CoolProp has no PAO)",
        "single_phase",
        "INCOMP::PNF2",
        "current",
        0.0,
        45.0,
        1.0,
        "GWP: non-volatile hydrocarbon (0); properties: nearest CoolProp oil; price and drag-out loss: assumption",
    ),
    Dielectric(
        "silicone_oil",
        "polydimethylsiloxane silicone oil (CoolProp INCOMP::PMS1)",
        "single_phase",
        "INCOMP::PMS1",
        "current",
        0.0,
        60.0,
        1.0,
        "GWP: non-volatile siloxane polymer (0, assumption); price and drag-out loss: assumption",
    ),
)

DIELECTRICS: Mapping[str, Dielectric] = MappingProxyType({d.key: d for d in _TABLE})
"""Every immersion fluid by key."""


def _allowed(phase: str) -> str:
    return ", ".join(f"{d.key} ({d.status})" for d in DIELECTRICS.values() if d.phase == phase)


def _find(name: str, phase: str) -> Dielectric | None:
    for d in DIELECTRICS.values():
        if d.phase == phase and (name.lower() == d.key or name in d.aliases):
            return d
    return None


def dielectric(name: str, phase: str) -> Dielectric:
    """The fluid a scenario names (its key, case-insensitive, or an alias) for a ``phase``.

    Raises
    ------
    ConfigError
        An unknown name or a fluid of the other phase; the message lists the allowed ones.
    """
    if phase not in PHASES:
        raise ValueError(f"phase {phase!r}: one of {', '.join(PHASES)}")
    d = _find(name, phase)
    if d is None:
        raise ConfigError(
            f"fluid {name!r} is not a {phase.replace('_', '-')} immersion fluid; allowed: {_allowed(phase)}"
        )
    return d


def fluid_choice_error(phase: str) -> Callable[[str], str | None]:
    """A parameter ``check``: why a name is not a ``phase`` immersion fluid, or ``None``."""

    def check(name: str) -> str | None:
        if _find(name, phase) is not None:
            return None
        return f"not a {phase.replace('_', '-')} immersion fluid; allowed: {_allowed(phase)}"

    return check
