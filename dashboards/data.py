"""The app's only door to the engine: scenarios in, cached Datasets out.

Uses the engine's public API only (:class:`twin.Scenario`, :func:`twin.simulate`,
:func:`twin.kpis`, :func:`twin.annual_kpis`, :func:`twin.load_scenario`, :mod:`sites`).
A browser sends its scenario (as the mapping of :meth:`twin.Scenario.to_dict`) with every
request; results are memoised in bounded LRU caches keyed by that mapping, so many users share
the work and memory stays bounded. The one thing kept per browser session is which uploads it
made (their editor labels, :func:`upload_label`), so that one user's label is not another's.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import re
import secrets
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import sites
import weather
from dashboards.catalog import design_name, swept_value
from twin import Scenario, annual_kpis, kpis, load_scenario, simulate
from twin.building.cooling import DESIGNS
from twin.building.cooling.components import ENVELOPES
from twin.core.fmt import given, number
from twin.core.io import atomic_write
from twin.core.memo import LRU
from twin.core.params import ConfigError
from twin.engine.config import WeatherSource
from twin.engine.simulate import prepare_weather
from twin.engine.weather_source import UPLOAD_LABEL, StationWarning, check_for_run
from twin.studies.sizing import Stopped

__all__ = [
    "APPLY_MAX_CASES",
    "EPW_MAX_BYTES",
    "LRU",
    "FrontierRun",
    "Stopped",
    "case_labels",
    "case_scenario",
    "check_runs",
    "check_size",
    "comparison",
    "default_scenario",
    "designs",
    "designs_at_site",
    "epw_too_large",
    "facility_cases",
    "from_dict",
    "frontier",
    "frontier_run",
    "frontier_running",
    "key_of",
    "labelled_upload",
    "new_session",
    "public_text",
    "run_case",
    "site_names",
    "storage_co2_avoided",
    "study",
    "upload_epw",
    "upload_label",
    "upload_name",
]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "yinchuan_minning_green.toml"
EPW_MAX_BYTES = 5 * 1024 * 1024
"""Largest accepted EPW upload (a year of EPW is about 1.6 MB)."""


_WEATHER = LRU(12)
_CASES = LRU(16)
_STUDIES = LRU(4)
_FRONTIERS = LRU(4)

FRONTIER_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.9)
"""Physical hourly green-share targets of the Green page's Pareto frontier (``twin size --pareto``)."""


def _canonical(x: Any) -> Any:
    """``x`` with every whole-number float as an int, in dicts and lists: a browser's JSON writes
    ``12.0`` as ``12``, so a scenario that went through a store keys as the server's copy does."""
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_canonical(v) for v in x]
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def key_of(d: dict[str, Any]) -> str:
    """A stable text key of a scenario mapping (what the caches, drafts and Undo are keyed by),
    the same for the server's copy and the copy a browser store sent back (``12.0`` there is ``12``)."""
    return json.dumps(_canonical(d), sort_keys=True, default=str)


APPLY_MAX_CASES = 1000
"""Most cases of a scenario the app takes (Apply, ``twin dash FILE``, ``twin report FILE``, a
browser's stored scenario). Every case is an entry of the case chooser, and Apply runs the
facility physics of every case (:func:`check_runs`: 0.65 s of CPU for the Minning example swept
to 1,000 cases, on one thread as under waitress). A larger study is ``twin sweep``'s (blocks, a
checkpoint, Dask workers, a NetCDF file of every case)."""


def check_size(sc: Scenario) -> Scenario:
    """``sc``, refused (:class:`ConfigError`) when it has more than :data:`APPLY_MAX_CASES` cases."""
    n = sc.case_count
    if n > APPLY_MAX_CASES:
        raise ConfigError(
            f"the scenario has {number(n, quantity=True)} cases; the dashboard and its report take at most "
            f"{number(APPLY_MAX_CASES, quantity=True)} (each is a case to choose and is run at Apply): run it with "
            "twin sweep SCENARIO.toml, or sweep fewer values"
        ).explained("too_many_cases", count=number(n, quantity=True), most=number(APPLY_MAX_CASES, quantity=True))
    return sc


def from_dict(d: dict[str, Any]) -> Scenario:
    """A scenario from the mapping a browser holds (raises ConfigError as the CLI would, and
    :func:`check_size`'s refusal of more cases than the app takes)."""
    return check_size(Scenario.from_dict(d))


def default_scenario(path: str | os.PathLike[str] | None = None) -> Scenario:
    """The scenario the app opens with: a file, or the Minning green-power example."""
    return load_scenario(path or EXAMPLE)


def designs() -> list[str]:
    """Names of the cooling designs."""
    return list(DESIGNS)


def design_modes(name: str) -> tuple[str, ...]:
    """Names of a design's operating modes (the hourly ``mode`` indexes them)."""
    return DESIGNS[name].modes


def envelope(name: str) -> tuple[float, float, float, float, float, float] | None:
    """ASHRAE envelope limits (dry bulb min, max °C, dew point min, max °C, RH min, max %)."""
    return ENVELOPES.get(name)


def site_key(name: str) -> str:
    """The key of a site given by key, name or alias."""
    return sites.load(name).key


def site_names(key: str) -> tuple[str, str]:
    """English and Chinese name of a site."""
    s = sites.load(key)
    return s.name, s.name_zh


def case_labels(sc: Scenario, lang: str = "en") -> list[str]:
    """One label per case: site · design (· swept values), each swept parameter by its field
    name (``energy_mwh=200``; the whole key where two swept keys end alike), numbers to 12
    significant digits. In Chinese (``lang="zh"``) the site's, the design's and the swept
    parameters' Chinese names (``银川 · 新风自然冷却 · 储能容量 200 MWh``:
    :func:`dashboards.catalog.swept_value`; a parameter without one by its field name)."""
    ends = [k.split(".")[-1] for k, _ in sc.sweep]
    short = {k: end if ends.count(end) == 1 else k for (k, _), end in zip(sc.sweep, ends, strict=True)}

    def shown(v: Any) -> str:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return f"{v:.12g}"  # own number format: a swept value in a case label to 12 digits (README)
        return str(v)

    out = []
    for c in sc.cases():
        extra = ("，" if lang == "zh" else ", ").join(
            swept_value(k, short.get(k, k), shown(v), lang) for k, v in c.swept
        )
        site = sites.load(c.site)
        where = f"{site.name_zh} · {design_name(c.design, lang)}" if lang == "zh" else f"{site.key} · {c.design}"
        out.append(where + (f" · {extra}" if extra else ""))
    return out


def case_scenario(sc: Scenario, i: int) -> Scenario:
    """Case ``i`` of a scenario as a one-case scenario (same weather and dispatch)."""
    cases = sc.cases()
    if not 0 <= i < len(cases):
        i = 0
    return sc.one_case(cases[i])


def _weather_key(sc: Scenario, site_key: str) -> tuple:
    w = sc.weather
    return (site_key, w.source, w.seed, w.year, sc.site_dirs)


def _weather_of(sc: Scenario) -> dict:
    """Prepared weather of a one-site scenario, shared between runs (read-only)."""

    def make() -> dict:
        return prepare_weather(sc)

    return _WEATHER.get(_weather_key(sc, sites.load(sc.sites[0], sc.site_dirs).key), make)


def run_case(sc: Scenario, i: int = 0) -> tuple[xr.Dataset, xr.Dataset]:
    """Hourly Dataset and KPIs of case ``i`` (memoised by the case's parameters)."""
    one = case_scenario(sc, i)
    key = key_of(one.to_dict())

    def make() -> tuple[xr.Dataset, xr.Dataset]:
        with np.errstate(all="ignore"):
            ds = simulate(one, weather=_weather_of(one))
            return ds, kpis(ds)

    return _CASES.get(key, make)


def storage_co2_avoided(sc: Scenario, i: int = 0) -> float:
    """CO2 the battery store of case ``i`` avoids, t/yr; NaN when the case has no store.

    The case's annual grid CO2 (the ``co2`` KPI: grid import × the province's factor) with the
    store removed (``green.storage`` at 0 MW and 0 MWh, everything else the same) minus with
    it: the imports the stored wind and PV replace. Both runs are memoised (:func:`run_case`).

    Notes
    -----
    The counterpart of a reported "CO2 avoided by the storage station" (Minning: about 30,000
    t/yr, Karamay2025, which gives no method); an assumption that the report means the same
    difference. It omits the station's own embodied CO2 and any grid service it gives beyond
    this facility.
    """
    one = case_scenario(sc, i)
    if one.storage.energy_mwh <= 0:
        return float("nan")
    bare = dataclasses.replace(one, storage=dataclasses.replace(one.storage, power_mw=0.0, energy_mwh=0.0))
    with_store = float(run_case(one, 0)[1]["co2"])
    return float(run_case(bare, 0)[1]["co2"]) - with_store


def _frontier_case(sc: Scenario, i: int) -> tuple[Scenario, str]:
    """Case ``i`` as the frontier sizes it, and its key: the scenario of
    :func:`twin.studies.sizing.unit_scenario`, so that the case's green ratings (a slider move, the
    default example's two storage cases) neither recompute nor stop a frontier they do not change."""
    from twin.studies import sizing

    one = sizing.unit_scenario(case_scenario(sc, i), sizing.SizingParams())
    return one, key_of(one.to_dict())


def frontier(
    sc: Scenario,
    i: int = 0,
    compute: bool = True,
    should_stop: Callable[[], bool] | None = None,
    started: Callable[[], object] | None = None,
) -> xr.Dataset | None:
    """Cost of the cheapest green-power base against the physical hourly green share, for case ``i``.

    What ``twin size --pareto 0.5:0.9:0.1`` computes (:func:`twin.studies.sizing.pareto`: one LP on
    representative days per target, each answer checked and corrected by the engine on the
    full year). It takes seconds to tens of seconds, so the page asks for it; ``compute=False``
    returns the memoised frontier or None at once: it never starts a run, never waits for one
    (:func:`frontier_running` tells whether one goes on: the Green page drawn again asks again
    until it ends), and does not keep one going that its page no longer wants. Requests that
    compute the same frontier at once share one computation (:class:`twin.core.memo.LRU`).
    ``started`` is called when this call computes it (not when it is memoised, nor when another
    call computing it is waited for). ``should_stop`` (:meth:`FrontierRun.superseded`) is asked
    between points: when it answers True and no other request waits for the same frontier, the
    computation raises :class:`Stopped` and nothing is memoised (a later request computes it
    again); while another waits it goes on for that one.
    """
    one, key = _frontier_case(sc, i)
    if not compute:
        return _FRONTIERS.peek(key)

    def stop() -> bool:
        with _ASKING_LOCK:
            alone = _ASKING.get(key, 0) <= 1
        return alone and should_stop is not None and should_stop()

    def make() -> xr.Dataset:
        from twin.studies import sizing

        if started is not None:
            started()
        sp = sizing.SizingParams()
        with np.errstate(all="ignore"):
            inp = sizing.sizing_inputs(one, sp, weather=_weather_of(one))
            return sizing.pareto(inp, "hourly", np.asarray(FRONTIER_TARGETS), sp, stop)

    with _ASKING_LOCK:
        _ASKING[key] = _ASKING.get(key, 0) + 1
    try:
        return _FRONTIERS.get(key, make)
    finally:
        with _ASKING_LOCK:
            _ASKING[key] -= 1
            if not _ASKING[key]:
                del _ASKING[key]


def frontier_running(sc: Scenario, i: int = 0) -> bool:
    """Whether a request computes case ``i``'s frontier now (or waits for its computation). Asked
    before :func:`frontier` with ``compute=False``: a run that ends between the two has memoised it."""
    _, key = _frontier_case(sc, i)
    with _ASKING_LOCK:
        return key in _ASKING


_ASKING: dict[str, int] = {}
"""A frontier's key → how many requests compute it or wait for it now: a run stops for its page
only while no other request waits for it (another page load or user pressed for the same frontier).
A page drawn again that asks whether it is running (:func:`frontier_running`) is not counted."""
_ASKING_LOCK = threading.Lock()


_WANTED: OrderedDict[str, tuple[str, int]] = OrderedDict()
"""A page load's id (``dcc.Store`` "page-load") → (the key of the frontier its Green page shows now,
how many frontiers it computed to the end)."""
_WANTED_LOCK = threading.Lock()
WANTED_PAGES = 256
"""Page loads whose wanted frontier is kept (the least recent forgotten first; a forgotten page's
run is never stopped: an assumption, as :data:`LABEL_SESSIONS`)."""


@dataclasses.dataclass(frozen=True)
class FrontierRun:
    """One request of a page load's Green page for case ``i``'s frontier (:func:`frontier_run`)."""

    page: str
    """The page load's id; "" for a request without one (never stopped, never counted)."""
    key: str

    def superseded(self) -> bool:
        """Whether the page has asked for another frontier since (another case or scenario): this
        run's answer is no longer wanted, so its computation may stop."""
        with _WANTED_LOCK:
            wanted = _WANTED.get(self.page) if self.page else None
        return wanted is not None and wanted[0] != self.key

    def finished(self) -> int:
        """Count a computation of this request's frontier that finished: its number among the page's
        finished runs (1, 2, …). A run stopped (:class:`Stopped`) is not counted."""
        with _WANTED_LOCK:
            wanted = _WANTED.get(self.page)
            if wanted is None:
                return 1
            _WANTED[self.page] = (wanted[0], wanted[1] + 1)
            return wanted[1] + 1


def frontier_run(sc: Scenario, i: int, page: object) -> FrontierRun:
    """The Green page of the page load ``page`` (an id made when the browser loaded the app, so
    not shared by a duplicated tab, :func:`new_session`) shows case ``i``'s frontier now: a run of
    the page for another case or scenario is :meth:`FrontierRun.superseded` from here on, and stops
    at its next point. A run of the same frontier goes on (a second press waits for it)."""
    _, key = _frontier_case(sc, i)
    tab = page if isinstance(page, str) and _SESSION.fullmatch(page) else ""  # an id new_session() made
    if tab:
        with _WANTED_LOCK:
            _WANTED[tab] = (key, _WANTED.pop(tab, ("", 0))[1])
            while len(_WANTED) > WANTED_PAGES:
                _WANTED.popitem(last=False)
    return FrontierRun(tab, key)


def study(seed: int = 0) -> xr.Dataset:
    """Annual KPIs of every built-in site × every cooling design (default parameters)."""

    def make() -> xr.Dataset:
        sc = Scenario(sites=tuple(sites.available()), designs=tuple(DESIGNS), name="study", weather=_seed(seed))
        with np.errstate(all="ignore"):
            return annual_kpis(sc)

    return _STUDIES.get(("study", seed), make)


def _seed(seed: int) -> WeatherSource:
    return WeatherSource(seed=seed)


def comparison(sc: Scenario, i: int = 0) -> xr.Dataset:
    """Annual KPIs of case ``i``'s facility and green base placed at every built-in site.

    Generated typical weather (the case's seed) at every site, so the sites compare like for like.
    """
    one = case_scenario(sc, i)
    all_sites = tuple(sites.available())
    d = one.to_dict()
    d.pop("sites", None)
    d["sites"] = list(all_sites)
    d["weather"] = {**d["weather"], "source": "typical"}
    key = "cmp" + key_of(d)

    def make() -> xr.Dataset:
        s = Scenario.from_dict(d)
        with np.errstate(all="ignore"):
            return annual_kpis(s)

    return _STUDIES.get(key, make)


def designs_at_site(sc: Scenario, i: int = 0) -> xr.Dataset:
    """Annual KPIs of case ``i`` with every cooling design (the scenario's own design tables)."""
    one = case_scenario(sc, i)
    d = one.to_dict()
    d["designs"] = list(DESIGNS)
    d["cooling"] = {name: p.to_dict() for name, p in sc.cooling.items()}
    key = "designs" + key_of(d)

    def make() -> xr.Dataset:
        s = Scenario.from_dict(d)
        with np.errstate(all="ignore"):
            return annual_kpis(s, weather=_weather_of(one))

    return _STUDIES.get(key, make)


_UPLOAD_DIR: tempfile.TemporaryDirectory | None = None
_UPLOADS: OrderedDict[tuple[str, str], Path] = OrderedDict()
"""(content hash, name uploaded as) → the stored file: one file per upload of its own name, shared
by every session that uploads those bytes under that name (so are the caches of runs on it)."""
_UPLOAD_NAMES: dict[str, str] = {}
"""Kept stored file → the name it was uploaded as (how messages and downloads name it)."""
_LABELS: OrderedDict[str, dict[str, str]] = OrderedDict()
"""Browser session (:func:`new_session`) → {stored file: the name its editor label shows} for every
upload the session made, kept or dropped (within :data:`LABELS_KEPT` and :data:`LABEL_SESSIONS`): a label resolves only in the
session that uploaded the file, and one session's label never names two files (a newer upload
of a name already shown is ``NAME (2).epw``, so an editor text naming a dropped upload is refused,
never run on a newer file)."""
LABELS_KEPT = 64
"""Labels kept per browser session (its held uploads' always); past it the labels of its oldest
dropped uploads are forgotten, so that a name may again label a newer upload (an assumption)."""
LABEL_SESSIONS = 256
"""Browser sessions whose labels the server keeps; past it those that uploaded least recently
and hold no upload are forgotten (an assumption: at most :data:`UPLOADS_TOTAL` sessions hold one)."""
_HELD: dict[str, list[tuple[str, str]]] = {}
"""Browser session → the keys of :data:`_UPLOADS` it uploaded that are kept, oldest first: a file
is removed when no session holds it (:func:`_keep_within_quota`)."""
_UPLOAD_COUNT = itertools.count(1)
_UPLOAD_LOCK = threading.Lock()
UPLOADS_KEPT = 8
"""Uploads kept per browser session: a session's newer uploads drop its own oldest, never
another session's (an assumption: a few years or sites to compare)."""
UPLOADS_TOTAL = 32
"""Upload files kept by the server in all (≤ 160 MiB of ``/dev/shm`` at :data:`EPW_MAX_BYTES`,
≈ 50 MB of real EPW years; an assumption). Past it, the session holding the most files loses its
oldest (the uploading session first among equals), so a session's upload is dropped by another's
only when every session holding files holds as few as it does, with 32 sessions or more."""
_SESSION = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_session() -> str:
    """A browser session's id (22 random URL-safe characters, 128 bits): what the page keeps in its
    ``session`` store (``sessionStorage``: one per tab, kept over reloads) and sends with every
    upload and editor request, so that an upload's label is that tab's own."""
    return secrets.token_urlsafe(16)


def _session(session: object) -> str:
    """``session``, or :class:`ConfigError` when it is no id :func:`new_session` makes."""
    if not isinstance(session, str) or not _SESSION.fullmatch(session):
        raise ConfigError(f"the page sent no session id (got {given(session)}); reload the page").explained(
            "no_session", value=given(session)
        )
    return session


def epw_too_large(name: str, mb: str) -> weather.WeatherError:
    """The refusal of an upload named ``name`` of ``mb`` megabytes (10^6 bytes, as the page
    formats them), over :data:`EPW_MAX_BYTES`: what the server says of it, and the template the
    Scenario page's browser fills in for a file it does not send (``{name}``, ``{mb}``)."""
    limit = number(EPW_MAX_BYTES / 1e6, places=0)
    return weather.WeatherError(
        f"{name}: {mb} MB is too large; an EPW year is about 1.6 MB (limit {limit} MB)"
    ).explained("too_large", file=name, mb=mb, limit=limit)


def upload_epw(
    content: bytes, filename: str = "upload.epw", site: sites.Site | None = None, *, session: str
) -> tuple[str, xr.Dataset, dict[str, Any]]:
    """Check an uploaded EPW file; return the path a scenario can use, its Dataset and metadata.

    The reader takes a path, so the bytes go to a private temporary directory (memory-backed
    ``/dev/shm`` where there is one), one file per upload's content and name (the same bytes
    uploaded under two names are two files, each named as it was uploaded: :func:`upload_name`);
    a session keeps its :data:`UPLOADS_KEPT` newest uploads, whatever other sessions upload (within
    the server's :data:`UPLOADS_TOTAL`: :func:`_keep_within_quota`). The file gets a label
    in ``session`` (:func:`upload_label`), which no other session resolves. Raises
    :class:`weather.WeatherError` (too large, not an EPW, a malformed line: the reader's own
    message), and with ``site`` the checks of a run on the file
    (:func:`twin.engine.weather_source.check_for_run`: one whole year, a station near the site;
    the CLI's messages); :class:`ConfigError` for a ``session`` that is no id. Every message
    names the file by ``filename``, never by the private path; a warning of a station some way
    off is in ``metadata["warnings"]`` (the flagged records are in the reader's ``notes``).
    """
    global _UPLOAD_DIR
    session = _session(session)
    name = Path(filename).name or "upload.epw"
    if len(content) > EPW_MAX_BYTES:
        raise epw_too_large(name, number(len(content) / 1e6, places=1))
    key = (hashlib.sha256(content).hexdigest()[:16], name)
    with _UPLOAD_LOCK:
        if _UPLOAD_DIR is None:
            base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
            _UPLOAD_DIR = tempfile.TemporaryDirectory(prefix="twin-dash-", dir=base)
        kept = _UPLOADS.get(key)
        path = kept or Path(_UPLOAD_DIR.name) / f"{key[0]}-{next(_UPLOAD_COUNT)}.epw"
        if kept is None or not kept.is_file():  # a kept file is not rewritten: other tabs may be reading it
            atomic_write(path, lambda part: part.write_bytes(content), force=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds, meta = weather.read_epw(path)
            if site is not None:
                check_for_run(ds, meta, site, name)
    except weather.WeatherError as exc:
        if kept is None:  # a kept upload stays: a scenario may use it (refused here for another site)
            path.unlink(missing_ok=True)
        err = weather.WeatherError(str(exc).replace(str(path), name))
        if exc.kind is not None:
            err.explained(exc.kind, **{k: v.replace(str(path), name) for k, v in exc.parts.items()})
        raise err from None
    far = [str(w.message).replace(str(path), name) for w in caught if issubclass(w.category, StationWarning)]
    meta = {**meta, "warnings": far}
    with _UPLOAD_LOCK:
        _UPLOAD_NAMES.setdefault(str(path), name)
        mine = _LABELS.setdefault(session, {})
        _LABELS.move_to_end(session)
        if str(path) not in mine:
            mine[str(path)] = _own_name(name, set(mine.values()))
        _UPLOADS[key] = path
        held = _HELD.setdefault(session, [])
        if key in held:
            held.remove(key)
        held.append(key)
        _keep_within_quota(session)
        _keep_labels(session)
    return str(path), ds, meta


def _keep_within_quota(session: str) -> None:
    """Drop uploads until ``session`` holds at most :data:`UPLOADS_KEPT` and the server at most
    :data:`UPLOADS_TOTAL` files (the caller holds the lock): ``session``'s own oldest first, then
    the oldest of the session holding the most (``session`` first among equals)."""
    while len(_HELD[session]) > UPLOADS_KEPT:
        _release(session, _HELD[session][0])
    while len(_UPLOADS) > UPLOADS_TOTAL:
        most = max(_HELD, key=lambda s: (len(_HELD[s]), s == session))
        _release(most, _HELD[most][0])


def _keep_labels(session: str) -> None:
    """Forget labels until ``session`` has at most :data:`LABELS_KEPT` and the server labels of at
    most :data:`LABEL_SESSIONS` sessions (the caller holds the lock): the labels of uploads no
    longer held, ``session``'s oldest first, then the sessions that uploaded least recently and
    hold no upload."""
    mine, held = _LABELS[session], {str(_UPLOADS[k]) for k in _HELD.get(session, [])}
    for path in [p for p in mine if p not in held][: max(0, len(mine) - LABELS_KEPT)]:
        del mine[path]
    for old in [s for s in _LABELS if s not in _HELD][: max(0, len(_LABELS) - LABEL_SESSIONS)]:
        del _LABELS[old]


def _release(session: str, key: tuple[str, str]) -> None:
    """``session`` no longer holds the upload ``key``; its file is removed when no session does."""
    held = _HELD[session]
    held.remove(key)
    if not held:
        del _HELD[session]
    if any(key in other for other in _HELD.values()):
        return
    old = _UPLOADS.pop(key)
    old.unlink(missing_ok=True)
    _UPLOAD_NAMES.pop(str(old), None)


def _own_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem (2).epw``, ``stem (3).epw`` … where another upload of the session, kept
    or dropped, was shown as it."""
    stem, suffix = os.path.splitext(name)
    names = itertools.chain([name], (f"{stem} ({k}){suffix}" for k in itertools.count(2)))
    return next(n for n in names if n not in taken)


def upload_name(source: str) -> str | None:
    """The name an uploaded file kept at ``source`` was uploaded as; None for any other source."""
    with _UPLOAD_LOCK:
        return _UPLOAD_NAMES.get(source)


_STORED = re.compile(r"(?:.*/)?twin-dash-[A-Za-z0-9_]+/([0-9a-f]{16}-[0-9]+\.epw)")
"""Where :func:`upload_epw` stores a file, in this server's folder or a former server's."""


def _own_labels(session: object) -> dict[str, str]:
    """``session``'s labels (the caller holds the lock); none for a value that is no session id."""
    return _LABELS.get(session, {}) if isinstance(session, str) else {}


def upload_label(source: object, session: object) -> str | None:
    """The editor's label (``upload:mine.epw``) of an uploaded file stored at ``source``: the name
    ``session`` uploaded it as, else (another session's upload, or a former server's) the stored
    file's base name, a label no session resolves; None for any other source."""
    stored = _STORED.fullmatch(source) if isinstance(source, str) else None
    if stored is None:
        return None
    with _UPLOAD_LOCK:
        name = _own_labels(session).get(stored[0])
    return UPLOAD_LABEL + (name or stored[1])


def labelled_upload(source: str, session: object) -> str | None:
    """The stored file an editor label (:func:`upload_label`), or its stored path, names in
    ``session``; None for any other source (a path, read as a path).

    Raises :class:`ConfigError` for a label or path of no upload of this session (a label is the
    page's own: another browser's upload is not this one's to use), and for one whose upload the
    server no longer keeps (:func:`upload_epw`; a former server's stored file): the file has to be
    uploaded (again) on this page. The message names the label, never the stored path.
    """
    stored = _STORED.fullmatch(source)
    if stored is None and not source.startswith(UPLOAD_LABEL):
        return None
    with _UPLOAD_LOCK:
        mine = _own_labels(session)
        if stored is not None:
            ours = _UPLOAD_DIR is not None and os.path.dirname(source) == _UPLOAD_DIR.name
            name = mine.get(source, stored[1])
            path = source if source in mine or not ours else None
        else:
            name = source[len(UPLOAD_LABEL) :]
            path = next((p for p, shown in mine.items() if shown == name), None)
            if path is None and _STORED.fullmatch(f"twin-dash-x/{name}"):  # a former server's upload
                path = name
        kept = path in _UPLOAD_NAMES
    label = given(UPLOAD_LABEL + name)
    if path is None:
        raise ConfigError(
            f"weather.source = {label} names no file uploaded on this page (a label is the upload's "
            f"of this browser tab only); upload {given(name)} here"
        ).explained("upload_not_here", value=label, name=given(name))
    if not kept:
        raise ConfigError(
            f"weather.source = {label} names an upload the server no longer holds (it keeps a page's "
            f"{UPLOADS_KEPT} newest uploads, {UPLOADS_TOTAL} in all); upload {given(name)} again"
        ).explained("upload_gone", value=label, name=given(name), kept=str(UPLOADS_KEPT))
    return path


def public_text(text: str) -> str:
    """A message with every uploaded file's private path replaced by the name it was uploaded as
    (a path of an upload no longer kept, or a former server's: by the words "an uploaded file")."""
    if "twin-dash-" not in text:
        return text
    with _UPLOAD_LOCK:
        names = dict(_UPLOAD_NAMES)
    for path, name in names.items():
        text = text.replace(path, name)
    return re.sub(r"(?:/[^/\s'\"]+)*/twin-dash-[A-Za-z0-9_]+/[0-9a-f]+(-[0-9]+)?\.epw", "an uploaded file", text)


def scenario_kpis(sc: Scenario) -> xr.Dataset:
    """Annual KPIs of every case of a scenario (memoised).

    Raises what ``twin run`` raises for the scenario: the engine's own checks before the first
    hour (:func:`twin.engine.simulate.prepare_years`: every site resolved, once; a weather file
    read and checked against every site; one year length) and those of the run (a design that
    does not converge names its cases).
    """

    def make() -> xr.Dataset:
        with np.errstate(all="ignore"):
            return annual_kpis(sc)

    return _STUDIES.get("kpis" + key_of(sc.to_dict()), make)


def check_runs(sc: Scenario) -> None:
    """Refuse a scenario ``twin run`` refuses, with its message, at a cost that grows with what
    differs in kind and not with every case's whole year.

    In ``twin run``'s order: more cases than the app takes (:func:`check_size`, before anything
    runs); the weather of every site, prepared once per site (:func:`twin.engine.simulate.prepare_weather`:
    every site resolved, once; a weather file read and checked against every site; one year
    length), kept for the pages; the facility physics of every case
    (:func:`facility_cases`: every refusal of the hourly physics, a design that does not converge,
    a result out of its physical bounds, an air path that cannot carry the racks); one whole case
    per site × design (:func:`run_case`: the green supply and the KPIs; memoised, so the pages
    start from them). Every parameter of every case was checked when ``sc`` was made
    (:class:`twin.Scenario` builds and validates each distinct parameter set).

    Not checked here: a refusal of the green supply step that only some swept green values meet
    (a wind ``target_capacity_factor`` out of reach at some of its values): its case shows the
    message when it is chosen.
    """
    check_size(sc)
    with np.errstate(all="ignore"):
        wx = prepare_weather(sc)
        for k, v in wx.items():
            _WEATHER.get(_weather_key(sc, k), functools.partial(dict, [(k, v)]))  # for the pages' runs
        annual_kpis(facility_cases(sc), weather=wx)
    combinations = sc.case_count // (len(sc.sites) * len(sc.designs))
    for i in range(0, sc.case_count, combinations):  # the first case of each site × design
        run_case(sc, i)


_GREEN_SECTIONS = ("green.pv", "green.wind", "green.storage")


def facility_cases(sc: Scenario) -> Scenario:
    """``sc`` without its green plant: PV, wind and storage at 0 MW (and 0 MWh), their swept keys
    left out. The facility physics of every case (the green plant does not enter it), each
    combination of the other swept values once; the cases' green supply is the grid's."""
    sweep = tuple((k, v) for k, v in sc.sweep if k.rpartition(".")[0] not in _GREEN_SECTIONS)
    return dataclasses.replace(
        sc,
        sweep=sweep,
        pv=dataclasses.replace(sc.pv, capacity_mw=0.0),
        wind=dataclasses.replace(sc.wind, capacity_mw=0.0),
        storage=dataclasses.replace(sc.storage, power_mw=0.0, energy_mwh=0.0),
    )
