"""IT load: server power with utilisation, inlet-temperature-driven fans and chip leakage.

Units: power kW, temperature °C, utilisation 0–1. Arrays broadcast (``(case, time)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.core.fmt import number, span
from twin.core.params import ConfigError, Params, param

__all__ = ["ITParams", "it_power", "occupancy_profile", "overclock_power", "utilisation_profile"]

T_INLET_REF = 27.0
"""Server inlet temperature at which the fan share and leakage are referenced, °C (the top of
the ASHRAE recommended band; the Dell R410 test starts there)."""
DT_CHIP_AIR = 40.0
"""Chip temperature above the server inlet air, K (assumption: ~67 °C die at 27 °C inlet)."""


IT_CAPACITY_MAX_KW = 1e7
"""The largest ``facility.it_capacity_kw``, kW (a 10 GW campus: an input bound, not physics)."""

IT_CAPACITY_MIN_KW = 0.1
"""The smallest ``facility.it_capacity_kw``, kW (assumption: an input bound, not physics; the
smallest IT load ``racks × kw_per_rack`` gives, one rack of 0.1 kW; a value such as 1e-300 is a
slip, and ran to a table of zero energies)."""

CAPACITY_RANGE = f"{span(IT_CAPACITY_MIN_KW, IT_CAPACITY_MAX_KW, 'kW')}, or racks and kw_per_rack instead"
"""What ``facility.it_capacity_kw`` allows; 0 too when racks are given (then it is not read)."""

CAPACITY_ALLOWED = f"allowed {CAPACITY_RANGE}"
""":data:`CAPACITY_RANGE` as a message says it (every message of the field: one text)."""


@dataclass(frozen=True)
class ITParams(Params):
    """IT equipment of the facility."""

    section = "facility"

    it_capacity_kw: float = param(
        10_000.0,
        0.0,
        IT_CAPACITY_MAX_KW,
        units="kW",
        source="assumption: a 10 MW hall; set racks × kW/rack instead",
        check=lambda v: None if v == 0 or IT_CAPACITY_MIN_KW <= v <= IT_CAPACITY_MAX_KW else CAPACITY_ALLOWED,
        allowed=CAPACITY_RANGE,
    )
    racks: int | None = param(
        None, 1, 1e6, source="input: racks × kw_per_rack instead of it_capacity_kw", inherit="it_capacity_kw"
    )
    kw_per_rack: float = param(
        18.0, 0.1, 200.0, units="kW", source="Qingyang2025a: Qingyang's high-density hall, 18 kW/rack"
    )
    containment: str = param(
        "cold_aisle",
        choices=("none", "cold_aisle", "hot_aisle", "chimney"),
        source="assumption: closed cold aisles, the usual build of new Chinese halls; "
        "sets the supply and return approach (twin.building.cooling.air_management.CONTAINMENT)",
    )
    supply_approach: float | None = param(
        None,
        -2.0,
        20.0,
        units="K",
        source="EnergyPlusITE: supply approach, server inlet minus supply air; by containment: OpenStudioDC (none), assumption (others)",
        inherit="the containment's value",
    )
    return_approach: float | None = param(
        None,
        -20.0,
        5.0,
        units="K",
        source="EnergyPlusITE: return approach, return air minus server exhaust (negative: bypass); by containment as supply_approach",
        inherit="the containment's value",
    )
    rack_opening_m2: float = param(
        0.36,
        0.01,
        5.0,
        units="m2",
        source="assumption: one 600 × 600 mm floor tile (or return grille) per rack",
    )
    rack_open_fraction: float = param(
        0.56,
        0.05,
        0.95,
        source="assumption: high-flow grate, 56 % open (perforated tiles 25 %); loss coefficient from Idelchik1994",
    )
    utilisation: float = param(0.7, 0.0, 1.0, source="assumption (Guian2025: Gui'an supercomputer > 80 %)")
    occupancy: float = param(
        1.0,
        0.01,
        1.0,
        source="input: share of the hall's design IT capacity installed (the plant is sized for the whole hall); "
        "with occupancy_ramp, the first year's start",
    )
    occupancy_ramp: bool = param(False, source="input: true: occupancy rises linearly from occupancy to occupancy_end")
    occupancy_end: float = param(
        0.85, 0.01, 1.0, source="assumption: a western hub hall filling from 20 % to 85 % (issue 13)"
    )
    ramp_years: float = param(5.0, 0.1, 50.0, units="year", source="assumption: years the ramp takes")
    operating_year: int = param(1, 1, 50, source="input: year of operation simulated (1 = the first)")
    profile: str = param("flat", choices=("flat", "diurnal", "csv"))
    profile_csv: str = param(
        "", source="profile = 'csv': hourly utilisation 0–1 (column 'utilisation', one row per hour of the year)"
    )
    diurnal_amplitude: float = param(0.1, 0.0, 0.5, source="assumption: ± utilisation swing, peak at 14:00")
    idle_fraction: float = param(
        0.4, 0.0, 1.0, source="assumption: server idle power / full-load power (SPECpower class servers 0.3–0.5)"
    )
    fan_share: float = param(0.10, 0.0, 0.3, source="eWeek2009: server fans 10–15 % of server power, low end")
    fan_speed_per_k: float = param(
        0.0216,
        0.0,
        0.2,
        units="K-1",
        source="calibrated: with leakage_per_k, server power +12 % from 27 to 37 °C inlet (Dell R410, GRC2016)",
    )
    leakage_per_k: float = param(
        0.004, 0.0, 0.05, units="K-1", source="assumption: leakage + 0.4 %/K of chip temperature"
    )
    leakage_share: float = param(
        0.2,
        0.0,
        0.6,
        source="assumption: static (leakage) share of server core power at the 67 °C reference chip, "
        "10–30 % for current CPUs; the leakage saved by a cooler chip cannot exceed it",
    )
    performance_factor: float = param(
        1.0, 0.1, 10.0, source="compute per server relative to nominal (Guian2025: 5 servers → 3 is 5/3)"
    )
    overclock_law: str = param(
        "linear",
        choices=("linear", "fV2", "given"),
        source="server core power against performance_factor k: linear ∝ k (frequency at constant voltage), "
        "fV2 ∝ k³ (dynamic power f·V² with V ∝ f), given: overclock_power_factor as set",
    )
    overclock_power_factor: float = param(
        1.0, 0.5, 30.0, source="overclock_law = 'given' only: server power relative to nominal (input)"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.racks is None and self.it_capacity_kw <= 0:
            raise ConfigError(
                f"facility.it_capacity_kw = {number(self.it_capacity_kw)} is out of range; {CAPACITY_ALLOWED}"
            )
        if (self.profile == "csv") != bool(self.profile_csv):
            raise ConfigError(
                f"facility.profile = {self.profile!r} with profile_csv = {self.profile_csv!r}: "
                "an hourly utilisation file goes with profile = 'csv', and only with it"
            )
        if self.occupancy_ramp and self.profile == "csv":
            raise ConfigError("facility.occupancy_ramp with profile = 'csv': give the hourly series the ramp instead")
        if self.utilisation == 0 and self.idle_fraction == 0 and self.profile != "csv":
            raise ConfigError(
                "facility.utilisation = 0 with facility.idle_fraction = 0: the servers would draw no power "
                "and PUE is undefined; give a utilisation > 0 or an idle fraction > 0"
            )

    @property
    def design_kw(self) -> float:
        """Design IT power at full utilisation and reference inlet, kW."""
        return self.racks * self.kw_per_rack if self.racks is not None else self.it_capacity_kw


def utilisation_profile(
    hour: np.ndarray, utilisation: np.ndarray, profile: str, amplitude: np.ndarray, series: np.ndarray | None = None
) -> np.ndarray:
    """Hourly utilisation (0–1): flat, diurnal ``u (1 + a cos(2π (h − 14)/24))`` clipped to
    [0, 1], or a user's hourly ``series`` (profile ``"csv"``; ``utilisation`` is then unused).

    Broadcastable to (case, hour): a flat profile is returned as ``utilisation`` itself, so
    what follows from it is computed per case, not per case and hour.
    """
    if profile == "flat":
        return np.asarray(utilisation, dtype=float)
    if profile == "csv":
        if series is None:
            raise ValueError("profile 'csv' needs the hourly series")
        return np.asarray(series, dtype=float)[None, :]
    return np.clip(utilisation * (1.0 + amplitude * np.cos(2 * np.pi * (hour + 0.5 - 14.0) / 24.0)), 0.0, 1.0)


def overclock_power(performance_factor: np.ndarray, law: str, given: np.ndarray) -> np.ndarray:
    """Core power of a server relative to nominal when it runs ``performance_factor`` faster.

    ``linear``: ``k`` (frequency raised at constant voltage, P_dyn ∝ f); ``fV2``: ``k³``
    (dynamic power ∝ f V² with the voltage raised in proportion to the frequency, the usual
    overclocking regime); ``given``: ``given``. The law applies to the whole core power
    (static power is not separated): compute is never free.
    """
    if law == "linear":
        return np.asarray(performance_factor, dtype=float)
    if law == "fV2":
        return np.asarray(performance_factor, dtype=float) ** 3
    return np.asarray(given, dtype=float)


def occupancy_profile(
    n_hours: int, occupancy: np.ndarray, end: np.ndarray, years: np.ndarray, year: np.ndarray
) -> np.ndarray:
    """Installed share of the hall's design IT capacity each hour of a year of an occupancy ramp.

    A straight line from ``occupancy`` at the start of year 1 to ``end`` after ``years`` years,
    then flat; year ``year`` is the stretch of it that the weather year covers, hour by hour:
    ``o(t) = o_0 + (o_end − o_0) min((year − 1 + t/n)/years, 1)``.
    """
    t = np.arange(n_hours)[None, :] / n_hours
    return occupancy + (end - occupancy) * np.minimum((year - 1.0 + t) / years, 1.0)


def it_power(
    design_kw: np.ndarray,
    u: np.ndarray,
    t_inlet: np.ndarray,
    t_chip: np.ndarray,
    *,
    idle_fraction: np.ndarray,
    fan_share: np.ndarray,
    fan_speed_per_k: np.ndarray,
    leakage_per_k: np.ndarray,
    leakage_share: np.ndarray | float = 1.0,
    performance_factor: np.ndarray,
    overclock_power_factor: np.ndarray,
    has_server_fans: bool | np.ndarray,
) -> dict[str, np.ndarray]:
    """IT power and its parts, kW.

    Parameters
    ----------
    design_kw : array_like
        Design IT power (full load, reference inlet, fans included), kW.
    u : array_like
        Utilisation 0–1 (compute demand relative to design).
    t_inlet : array_like
        Server inlet air temperature, °C (air-cooled designs; ignored without server fans).
    t_chip : array_like
        Chip temperature, °C.
    leakage_share : array_like
        Static (leakage) share of core power at the reference chip temperature: the most a
        cooler chip can save (default 1: no floor below the core power itself).
    has_server_fans : bool or array_like
        False for spray and immersion designs: server fans are removed; a number 0–1 keeps
        that share of them (cold plates: the air-cooled rest of the server).

    Returns
    -------
    dict
        ``p_it`` (total), ``p_server_fans``, ``p_leakage`` (leakage change against the
        reference, may be negative), ``compute`` (kW of nominal compute delivered).

    Notes
    -----
    ``P_core = D (1 − s_f) (i + (1 − i) u) · k_oc / k_perf`` — servers needed fall with the
    performance factor; ``P_fan = D s_f (i + (1 − i) u)/k_perf · n³`` with fan speed ratio
    ``n = 1 + k_n max(T_in − 27, 0)`` (affinity law P ∝ N³); leakage
    ``ΔP = P_core max(k_l (T_chip − T_chip,ref), −s_l)`` with ``T_chip,ref = 27 + 40 °C``: a
    cooler chip saves at most the leakage share ``s_l`` of its core power (leakage cannot go
    below zero).
    """
    load = (idle_fraction + (1.0 - idle_fraction) * u) / performance_factor
    p_core = design_kw * (1.0 - fan_share) * load * overclock_power_factor
    p_leak = p_core * np.maximum(leakage_per_k * (t_chip - (T_INLET_REF + DT_CHIP_AIR)), -leakage_share)
    if np.any(has_server_fans):
        speed = 1.0 + fan_speed_per_k * np.maximum(t_inlet - T_INLET_REF, 0.0)
        p_fans = design_kw * fan_share * load * (speed * speed * speed)  # not **3: pow() per element
        if has_server_fans is not True:
            p_fans = p_fans * has_server_fans  # the share of the fans kept (cold plates)
    else:
        p_fans = np.zeros(np.broadcast_shapes(np.shape(p_core), np.shape(t_inlet)))
    p_it = p_core + p_leak + p_fans
    compute = np.broadcast_to(design_kw * u, np.shape(p_it))  # a view: it does not vary with temperature
    return {"p_it": p_it, "p_server_fans": p_fans, "p_leakage": p_leak, "compute": compute}
