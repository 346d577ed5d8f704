"""Sweeps: a grid or a list of parameter values, run in blocks to one labelled NetCDF.

A *grid* is the Scenario ``[sweep]`` mechanism (every combination of the values of each
dotted key, ``cooling.free_air.evap_effectiveness`` …); its result has one dimension per
site, design and swept key, the swept values as coordinates. A *list* (a CSV file, one case
per row, a column per dotted key) has a ``row`` dimension instead, the values as coordinates
along it. Cases are cut into blocks of :data:`BLOCK` cases, each one
:func:`twin.engine.simulate.annual_kpis` call (:mod:`twin.studies.study` runs them, checkpoints them and can
send them to Dask).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from twin.core.fmt import TypedInt, number, read_float, read_typed
from twin.core.io import OutputError, write_netcdf
from twin.core.params import ConfigError, repeated
from twin.core.runtime import MAX_CASES, ResourceError
from twin.core.variables import attrs
from twin.engine.config import Case, CaseColumns, Scenario, param_class
from twin.engine.kernels import COMPILED_DESIGNS, kernel_for, kernel_mark
from twin.engine.simulate import annual_kpis, green_flows, idle_storage_warnings, prepare_weather
from twin.studies.study import Checkpoint, Progress, run_blocks
from weather.files import input_file
from weather.readers import csv_problem, semicolon_problem

__all__ = [
    "BLOCK",
    "CaseList",
    "Layout",
    "check_list_size",
    "kernel_summary",
    "kpi_block",
    "layout",
    "parse_grid",
    "read_case_list",
    "run_sweep",
    "sweep_scenario",
]

BLOCK = 256
"""Cases per block (one engine call, one checkpoint file, one Dask task): two of the engine's
128-case blocks, so a serial run keeps both threads busy; results do not depend on it."""


def _value(text: str) -> Any:
    """A value as written on the command line or in a CSV cell: bool, int, float or text."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        n = int(t)
    except ValueError:
        pass
    else:
        return n if t == str(n) else TypedInt(t, n)  # 1_000, +5: a message repeats it as typed
    try:
        return read_typed(t)  # 1e9 in a message, not 1000000000
    except ValueError:
        return t


def parse_grid(spec: str) -> tuple[str, tuple[Any, ...]]:
    """``KEY=v1,v2,…`` or ``KEY=start:stop:step`` (stop included) → ``(key, values)``.

    Raises
    ------
    ConfigError
        A malformed specification, an empty or non-finite range, repeated values.
    """
    key, eq, rhs = spec.partition("=")
    key = key.strip()
    if not eq or not key or not rhs.strip():
        raise ConfigError(f"--grid {spec!r}: write KEY=v1,v2,... or KEY=start:stop:step")
    if ":" in rhs:
        parts = rhs.split(":")
        nums = [_value(p) for p in parts]
        if len(parts) != 3 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in nums):
            raise ConfigError(f"--grid {spec!r}: a range is start:stop:step with three numbers")
        start, stop, step = (float(x) for x in nums)
        bad = next((t.strip() for t, x in zip(parts, (start, stop, step), strict=True) if not math.isfinite(x)), None)
        if bad is not None:
            raise ConfigError(f"--grid {spec!r}: {read_float(bad)!r} is not a finite number; give start:stop:step")
        if step <= 0 or stop < start:
            raise ConfigError(f"--grid {spec!r}: need start ≤ stop and step > 0")
        n = math.floor((stop - start) / step + 1e-9) + 1
        if n > 100_000:
            raise ConfigError(f"--grid {spec!r}: {number(n)} values; at most 100,000 per key")
        values: tuple[Any, ...] = tuple(round(start + i * step, 12) for i in range(n))
    else:
        values = tuple(_value(v) for v in rhs.split(","))
    if repeated(values) is not None:
        raise ConfigError(f"--grid {spec!r}: a value is repeated")
    return key, values


class CaseList(tuple):
    """A case list, ``(keys, rows)`` as :func:`run_sweep` takes it, that knows where its rows were
    read: ``where`` (``--list cases.csv``) and ``lines``, each row's line in that file (blank lines
    counted), so that a row's refusal names ``cases.csv:LINE``. Only ``(keys, rows)`` is the
    study's (its checkpoint's fingerprint); a plain ``(keys, rows)`` tuple names a row by its number."""

    where: str
    lines: tuple[int, ...]

    def __new__(cls, keys: tuple[str, ...], rows: list[tuple[Any, ...]], where: str, lines: Sequence[int]) -> CaseList:
        self = super().__new__(cls, (keys, rows))
        self.where, self.lines = where, tuple(lines)
        return self


def _nonblank_records(fh: Any) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of each CSV record with a non-blank cell, ``line`` the file's line it
    starts on (1-based; a quoted cell may run over several lines)."""
    reader = csv.reader(fh)
    end = 0
    for cells in reader:
        start, end = end + 1, reader.line_num
        if any(c.strip() for c in cells):
            yield start, cells


def read_case_list(path: str | Path, cases_per_row: int = 1) -> CaseList:
    """A CSV file of cases: a header of dotted keys, one case per row → ``(keys, rows)`` (a
    :class:`CaseList`: a row's refusal says ``FILE:LINE``). Blank lines are skipped.

    ``cases_per_row``: cases each row makes (sites × designs); a file of more rows than
    :data:`~twin.core.runtime.MAX_CASES` cases allow is refused while it is read, before a row
    becomes a case (:class:`~twin.core.runtime.ResourceError`)."""
    p = input_file(path, "CSV file of cases (--list)", ConfigError)
    most = MAX_CASES // max(cases_per_row, 1) + 1  # the header and the most rows allowed
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:  # a spreadsheet's "CSV UTF-8" starts with a BOM
            nonblank = _nonblank_records(fh)
            records = list(itertools.islice(nonblank, most + 1))
            more = sum(1 for _ in nonblank) if len(records) > most else 0  # counted, not kept
    except (OSError, ValueError, csv.Error) as exc:  # ValueError: not UTF-8
        raise ConfigError(f"--list {p}: {csv_problem(exc)}") from None
    check_list_size(len(records) - 1 + more, cases_per_row, f"--list {p}")
    if len(records) < 2:
        raise ConfigError(f"--list {p}: needs a header of parameter keys and at least one row")
    numbers, lines = zip(*records, strict=True)
    problem = semicolon_problem(lines[0], lines[1])
    if problem:
        raise ConfigError(f"--list {p}: {problem}")
    keys = tuple(k.strip() for k in lines[0])
    header = f"--list {p}:{numbers[0]} (the header)"
    if len(set(keys)) != len(keys) or not all(keys):
        bad = next((f"column {i + 1} is empty" for i, k in enumerate(keys) if not k), None)
        bad = bad or next(f"key {k!r} is repeated" for i, k in enumerate(keys) if k in keys[:i])
        raise ConfigError(f"{header}: {bad}; give each key once")
    for key in keys:  # a key's error is the header's, not the first row's
        try:
            param_class(key, sweep=True)
        except ConfigError as exc:
            raise exc.within(header) from None
    for n, r in zip(numbers[1:], lines[1:], strict=True):
        if len(r) != len(keys):
            said = "1 value" if len(r) == 1 else f"{len(r)} values"
            raise ConfigError(f"--list {p}:{n}: {said}, the header (line {numbers[0]}) {len(keys)}")
    rows = [tuple(_value(c) for c in r) for r in lines[1:]]
    return CaseList(keys, rows, f"--list {p}", numbers[1:])


def check_list_size(n_rows: int, cases_per_row: int, where: str) -> None:
    """Refuse a case list whose rows × sites × designs exceed :data:`~twin.core.runtime.MAX_CASES`
    (the bound of a grid) before a row becomes a case."""
    if n_rows * cases_per_row > MAX_CASES:
        raise ResourceError(
            f"{where}: {n_rows:,} rows make {n_rows * cases_per_row:,} cases ({cases_per_row:,} per row: one per "
            f"site and design); at most {MAX_CASES:,} per study, as for a grid: split the list into several files"
        )


def sweep_scenario(base: Scenario, grid: Sequence[tuple[str, Sequence[Any]]]) -> Scenario:
    """The base scenario with ``grid`` added to its own sweep (a key given twice is an error)."""
    keys = [k for k, _ in base.sweep]
    for k, _ in grid:
        if k in keys:
            raise ConfigError(f"sweep key {k!r} is given twice (scenario file and --grid, or two --grid)")
        keys.append(k)
    return dataclasses.replace(base, sweep=(*base.sweep, *((k, tuple(v)) for k, v in grid)))


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where the cases of a study go in the result: its dimensions and coordinates."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    coords: dict[str, Any]


def _param_attrs(key: str, scenario: Scenario) -> dict[str, str]:
    """``units`` and ``long_name`` of a swept dotted key, from the parameter's declaration."""
    parts = key.split(".")
    if parts[0] == "cooling" and parts[1] not in scenario.designs:
        raise ConfigError(
            f"sweep key {key!r} varies a design this study does not run; designs: {', '.join(scenario.designs)}"
        )
    obj = scenario.cooling[parts[1]] if parts[0] == "cooling" else getattr(scenario, parts[-2])
    f = next(f for f in dataclasses.fields(obj) if f.name == parts[-1])
    return {"units": str(f.metadata.get("units", "-")), "long_name": f"{key} ({f.metadata.get('source', '')})"[:200]}


def layout(scenario: Scenario) -> Layout:
    """Dimensions ``site, design, *swept keys`` of a scenario's cases, in the order of ``cases()``."""
    dims = ("site", "design", *(k for k, _ in scenario.sweep))
    coords: dict[str, Any] = {
        "site": ("site", list(scenario.sites), {"long_name": "site"}),
        "design": ("design", list(scenario.designs), {"long_name": "cooling design"}),
    }
    for k, v in scenario.sweep:
        coords[k] = (k, list(v), _param_attrs(k, scenario))
    return Layout(dims, tuple(len(coords[d][1]) for d in dims), coords)


def kernel_summary(kernel: str, designs: Sequence[str]) -> str:
    """Which implementation a study's designs run on, e.g. ``numba (free_air), reference (spray)``.

    ``kernel`` is the study's choice (:func:`~twin.engine.kernels.kernel_for`): with ``"numba"``
    the designs of :data:`~twin.engine.kernels.COMPILED_DESIGNS` run compiled and the others on
    the numpy reference; a block a kernel hands back (trim shortfall, a value out of the kernel's
    bounds) runs on the reference too, with the same results to 1e-12.
    """
    on = [d for d in designs if kernel == "numba" and d in COMPILED_DESIGNS]
    off = [d for d in designs if d not in on]
    parts = [f"{name} ({', '.join(ds)})" for name, ds in (("numba", on), ("reference", off)) if ds]
    return ", ".join(parts)


def kpi_block(
    scenario: Scenario, weather: dict, cases: list[Case] | slice, kernel: str = "auto"
) -> dict[str, np.ndarray]:
    """Annual KPIs of one block of cases: ``{name: (cases,) array}`` (a Dask task).

    ``cases``: a list of cases, or a slice of the scenario's grid (read from its columns,
    :meth:`~twin.engine.config.Scenario.case_columns`: no case objects made or shipped).
    ``kernel`` as :func:`~twin.engine.simulate.annual_kpis`'s; a study passes the one it chose
    for all its blocks (:func:`~twin.engine.kernels.kernel_for`)."""
    if isinstance(cases, slice):
        used = set(scenario.case_columns(cases).values("site"))
    else:
        used = {c.site for c in cases}
    wx = {k: v for k, v in weather.items() if k in used or v[2].name in used}
    ds = annual_kpis(scenario, wx or weather, cases, kernel=kernel)
    return {str(k): np.atleast_1d(ds.variables[k].to_numpy()) for k in ds.data_vars}  # no DataArray per KPI


def _block_of(cases: Sequence[Case] | range, start: int, stop: int) -> list[Case] | slice:
    """The block ``start:stop`` of a study's cases: a list of them, or of a grid's a slice."""
    return slice(start, min(stop, len(cases))) if isinstance(cases, range) else list(cases[start:stop])


def assemble(results: list[dict[str, np.ndarray]], lay: Layout) -> xr.Dataset:
    """One labelled Dataset from the blocks' results (in case order)."""
    data = {}
    for name in results[0]:
        flat = np.concatenate([r[name] for r in results])
        data[name] = (lay.dims, flat.reshape(lay.shape), attrs(name, kpi=True))
    return xr.Dataset(data, coords=lay.coords)


def _row_place(case_list: tuple[Sequence[str], Sequence[tuple]], r: int) -> str:
    """Where row ``r`` of a case list was read: ``--list cases.csv:7`` (:class:`CaseList`), or
    ``the case list, row 3`` for a list given as a plain ``(keys, rows)``."""
    if isinstance(case_list, CaseList):
        return f"{case_list.where}:{case_list.lines[r]}"
    return f"the case list, row {r + 1}"


def _list_cases(base: Scenario, case_list: tuple[Sequence[str], Sequence[tuple]]) -> tuple[list[Case], Layout]:
    """Cases of a list study in (site, design, row) order, and its layout."""
    keys, rows = case_list
    check_list_size(len(rows), len(base.sites) * len(base.designs), "the case list")
    per_row = []
    for r, row in enumerate(rows):
        try:
            sc = dataclasses.replace(base, sweep=tuple((k, (v,)) for k, v in zip(keys, row, strict=True)))
        except ConfigError as exc:
            raise exc.within(_row_place(case_list, r)) from None
        per_row.append(sc.cases())
    n_sd = len(per_row[0])
    cases = [per_row[r][j] for j in range(n_sd) for r in range(len(rows))]
    coords: dict[str, Any] = {
        "site": ("site", list(base.sites), {"long_name": "site"}),
        "design": ("design", list(base.designs), {"long_name": "cooling design"}),
        "row": ("row", np.arange(len(rows)), {"long_name": "row of the case list (0 = first data line)"}),
    }
    for j, k in enumerate(keys):
        coords[k] = ("row", [r[j] for r in rows], _param_attrs(k, base))
    dims = ("site", "design", "row")
    return cases, Layout(dims, (len(base.sites), len(base.designs), len(rows)), coords)


def run_sweep(
    base: Scenario,
    grid: Sequence[tuple[str, Sequence[Any]]] = (),
    case_list: tuple[Sequence[str], Sequence[tuple]] | None = None,
    *,
    output: str | Path | None = None,
    force: bool = False,
    block: int = BLOCK,
    client: Any = None,
    progress: bool = True,
    on_block: Callable[[int], None] | None = None,
    kernel: str = "auto",
) -> xr.Dataset:
    """Run a grid or a list of cases and return (and write) the annual KPIs.

    Parameters
    ----------
    base : Scenario
        Sites, designs, parameters; its own ``sweep`` (if any) is part of the grid.
    grid : sequence of (key, values)
        Dotted keys and their values (see :func:`parse_grid`); every combination runs.
    case_list : (keys, rows), optional
        Explicit cases instead (see :func:`read_case_list`); not with ``grid``.
    output : path, optional
        NetCDF file; the checkpoint is the directory ``OUTPUT.checkpoint`` beside it, removed
        once the file is written. An existing file needs ``force``.
    block : int
        Cases per block.
    client : dask.distributed.Client, optional
        Run the blocks on this cluster (:func:`twin.studies.study.cluster`).
    progress : bool
        A progress bar on stderr (only if it is a terminal).
    on_block : callable, optional
        Called with each finished block's index.
    kernel : {"auto", "numba", "reference"}
        Which implementation every block runs (:func:`twin.engine.simulate.annual_kpis`);
        ``"auto"`` decides once by the study's size (:func:`~twin.engine.kernels.kernel_for`).
        The choice is part of the checkpoint's fingerprint.

    Returns
    -------
    xarray.Dataset
        Every KPI of :func:`twin.kpis` with dimensions ``site, design`` and one per swept key
        (grid) or ``row`` (list); coordinates the swept values, with units and long names.
    """
    if block < 1:
        raise ConfigError(f"--block = {block} must be ≥ 1")
    if case_list is not None and (grid or base.sweep):
        raise ConfigError("give a grid (--grid, or a scenario's [sweep]) or a case list (--list), not both")
    out = Path(output) if output is not None else None
    if out is not None and out.exists() and not force:
        raise OutputError(f"{out} exists; choose another name or pass --force to replace it")
    cases: Any
    if case_list is not None:
        scenario = base
        cases, lay = _list_cases(base, case_list)
        spec_cases: Any = [list(case_list[0]), [list(r) for r in case_list[1]]]
    else:  # a grid: each block a slice of its cases, read from the grid's columns
        scenario = sweep_scenario(base, grid)
        cases, lay = range(len(scenario.case_columns())), layout(scenario)
        spec_cases = None
    kernel = kernel_for(len(cases), kernel)  # one choice for the study, whichever process runs a block
    blocks = [(_block_of(cases, s, s + block), kernel) for s in range(0, len(cases), block)]
    weather = prepare_weather(scenario)  # a refused weather file leaves no checkpoint (nor output folder)
    ckpt = None
    if out is not None:
        spec = {
            "kind": "sweep",
            "scenario": scenario.to_dict(),
            "list": spec_cases,
            "block": block,
            **kernel_mark(len(cases), kernel),
        }
        ckpt = Checkpoint(out.with_name(out.name + ".checkpoint"), spec, force=force)
    try:
        bar = Progress(len(blocks), f"sweep {len(cases)} cases") if progress else None
        results = run_blocks(
            kpi_block,
            blocks,
            shared=(scenario, weather),
            checkpoint=ckpt,
            client=client,
            progress=bar,
            on_block=on_block,
            sizes=[min(block, len(cases) - s) for s in range(0, len(cases), block)],
        )
        ds = assemble(results, lay)
        table = CaseColumns.of_cases(cases) if case_list is not None else scenario.case_columns()
        for text in idle_storage_warnings(table, green_flows(ds)):
            warnings.warn(text, stacklevel=2)
        ds.attrs.update(
            scenario=scenario.name,
            **scenario.weather.attrs(),
            cases=len(cases),
            block_cases=block,
            kernel=kernel_summary(kernel, scenario.designs),
            comment="annual KPIs per case (twin.kpis); swept parameters are coordinates",
        )
        if out is not None and ckpt is not None:
            write_netcdf(ds, out, force=force)
            ckpt.remove()
    finally:
        if ckpt is not None:
            ckpt.close()
    return ds
