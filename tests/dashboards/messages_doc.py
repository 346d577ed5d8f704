"""docs/dashboard-messages.md from the source: every user error a page request can raise, and
which of them the Chinese page says in Chinese.

``python -m tests.dashboards.messages_doc`` writes the file (``--check``: exit status 1 when the file
differs from what it would write, line numbers aside). ``tests/dashboards/test_views.py`` checks
the file against the catalogue (every kind of :data:`dashboards.catalog.ERRORS_ZH`, every word of
its parts) and against the code (every kind a raise gives is listed).

The walk: every ``raise`` of a user error (:data:`ERRORS`) in the packages a page request runs,
files of :data:`LEFT_OUT` aside; an error made a line before and raised by name (``err =
ConfigError(…)`` … ``raise err.within(where)``) is found by its assignment, and its kind by the
``.explained(KIND, …)`` calls on it (a kind held in a variable: the strings assigned to it).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dashboard-messages.md"
PACKAGES = ("dashboards", "sites", "twin", "weather")
ERRORS = frozenset(
    {
        "ConfigError",
        "PhysicalBoundsError",
        "ConvergenceError",
        "InfeasibleError",
        "TimeLimitError",
        "SiteError",
        "WeatherError",
        "ResourceError",
        "error",  # weather/files.py and the CSV reader: the error class their caller names
    }
)
"""User errors (``ValueError`` subclasses the CLI prints in one line), by the name a raise calls."""

LEFT_OUT = {
    "dashboards/app.py": "the server's start",
    "twin/cli.py": "the command line: its options, `twin size`'s and `--set`'s messages",
    "twin/core/environment.py": "environment variables",
    "twin/core/jit.py": "environment variables: the compiled kernels' threads",
    "twin/core/io.py": "output files",
    "twin/studies/ensemble.py": "ensembles",
    "twin/studies/sweep.py": "sweeps and their checkpoints",
    "weather/fmt.py": "none: a docstring's example",
}
"""Files with user errors that no page request reaches, and what they are about."""

WHY = {
    "sites/library.py": "a site file's schema (site files on the server, site_dirs): the file's line-level detail",
    "twin/building/cooling/chilled_water.py": "a cross-field rule of a design: the rule's own sentence",
    "twin/building/cooling/free_air.py": "a cross-field rule of a design or its convergence: the rule's own sentence",
    "twin/building/cooling/indirect_evap.py": "a cross-field rule of a design: the rule's own sentence",
    "twin/building/dielectrics.py": "a fluid name: rare",
    "twin/building/facility.py": "a rule across facility fields, or the engine's physical bounds (a diagnostic naming internals)",
    "twin/building/it_load.py": "a rule across facility fields: the rule's own sentence",
    "twin/core/params.py": "a parameter's own check (`check`): its sentence is the check's, not parts",
    "twin/core/runtime.py": "a study too big for memory: rare (the app refuses more than 1,000 cases first, in Chinese)",
    "twin/engine/config.py": "the scenario file's structure (a table where a value is, a preset name): rare in the editor, "
    "whose text the page writes",
    "twin/engine/presets.py": "a preset name: rare in the editor",
    "twin/engine/simulate.py": "across sites or cases (same site twice, year lengths, a design's failure with its cases): "
    "rare, several parts",
    "twin/engine/weather_source.py": "a saved editor label run by `twin run` (the CLI's, not a page's)",
    "twin/money/economics.py": "a rule across economics fields or the site's tariff: the rule's own sentence",
    "twin/studies/sizing.py": "the Green page's frontier (the optimiser's infeasibility or time limit, with its figures): "
    "the solver's account; the frontier shows one message only where no base is cheapest at any target (a paid "
    "export dearer than the plant: the price, the plant's cost per kWh, the fixes), else its points without a base",
    "twin/supply/pv.py": "a pvlib library name: rare",
    "twin/supply/storage.py": "a rule across storage fields, or the LP solver's own words",
    "twin/supply/wind.py": "a rule across wind fields or windpowerlib's library: the rule's own sentence",
    "weather/dataset.py": "a weather record's detail (gaps, duplicate or non-hourly stamps, a value out of range, "
    "flagged records)",
    "weather/files.py": "a path that is a folder, a device or unreadable: rare",
    "weather/generator.py": "a site file's [variability] or [normals] (site files on the server, site_dirs)",
    "weather/readers.py": "a weather file's reader detail (line, column, format): files named on the server or uploaded; "
    "the common upload ones have parts",
}
"""Why the English raises of a file stay English (a file whose raises are all said in Chinese has none)."""

WHEN = {
    "out_of_range": "a parameter's value outside its range (the editor, a number box)",
    "beyond_year": "the Green page's start day beyond the days of the year it plots (366 in 2021)",
    "not_number": "a parameter's value that is not a number",
    "not_whole": "a parameter's value that is not a whole number",
    "not_finite": "a parameter's value that is not finite (`nan`, `inf`)",
    "beyond_largest": "a number typed beyond the largest float (`1e400`), repeated as typed",
    "choice": "a value that is not one of a parameter's choices",
    "not_bool": "a value that is not true or false",
    "no_value": "a parameter without a value",
    "unknown_field": "an unknown field of a section or of the scenario",
    "unknown_field_close": "an unknown field close to a known one (a typo), naming the known one",
    "unknown_site": "an unknown site",
    "unknown_design": "an unknown cooling design",
    "not_text": "a parameter's text that is empty or not text",
    "not_parameter": "a `[sweep]` key that is no parameter",
    "toml_syntax": "the editor's TOML syntax, at a line and column (the TOML reader's own detail kept, marked)",
    "toml_syntax_end": "the editor's TOML syntax, at the end of the text",
    "sweep_empty": "a `[sweep]` key without values",
    "sweep_repeated": "a `[sweep]` key with a value given twice",
    "one_file_many_sites": "an upload, or one weather file, for a scenario of several sites",
    "too_many_cases": "more cases than the app takes (1,000)",
    "upload_not_here": "an upload label (or a typed stored path) of another browser tab's upload",
    "upload_gone": "an upload label of this tab whose file the server no longer holds: dropped by the quota, or "
    "a former server's stored file after a restart (`upload:45f5346e4ca284ee-1.epw`); said by Apply, the "
    "downloads and every page",
    "no_session": "a request whose session id is missing or forged (not text, not an id the server makes)",
    "swept_rating": "a Green-page rating the scenario sweeps: its slider and box are held, the note names the sweep",
    "off_step": "a Green-page box's value that is not a step of its slider (`155` for steps of 10 MW)",
    "not_epw": "an upload whose first line is not an EPW's",
    "epw_fields": "an EPW line with another number of fields than the first data line",
    "epw_fields_short": "an EPW whose first data line is short itself",
    "year_rows": "a weather file whose rows are not one year, with the hint which way it is off (the `off` part)",
    "no_such_file": "a file that does not exist, with its kind (the `what` part)",
    "too_large": "an upload above 5 MB",
    "not_a_year": "a weather file that is not one whole year (`twin run --weather`'s check)",
    "station_far": "an upload whose station is more than 300 km or 1,000 m from the site",
}
"""When each kind of :data:`dashboards.catalog.ERRORS_ZH` is met on a page (the doc's table of kinds)."""


KEPT = "kept"
"""The kind of an error that takes the kind of the error it rewrites (an upload's message without its path)."""


@dataclass(frozen=True)
class Raise:
    """One ``raise`` of a user error: where, its class, its kinds (empty: English only), its message's source."""

    path: str
    line: int
    cls: str
    kinds: tuple[str, ...]
    text: str


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _strings(node: ast.AST | None, func: ast.AST) -> list[str]:
    """The string constants ``node`` can be; a name: those of its assignments in ``func``."""
    if isinstance(node, ast.Name):
        return [s for a in _assignments(func, node.id) for s in _strings(a, func)]
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)] if node else []


def _assignments(func: ast.AST, name: str) -> list[ast.expr]:
    return [
        n.value
        for n in ast.walk(func)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]


def _explained(call: ast.Call, func: ast.AST) -> list[str]:
    """The kinds an ``.explained(KIND, …)`` call gives; :data:`KEPT` for one it takes from another error."""
    kinds = _strings(call.args[0], func) if call.args else []
    return kinds or [KEPT]


def _made(exc: ast.expr, func: ast.AST) -> tuple[ast.Call | None, list[str]]:
    """The user error's call a raise's expression makes or names, and the kinds given to it."""
    if isinstance(exc, ast.IfExp):  # raise err.explained(…) if … else err
        exc = exc.body
    kinds: list[str] = []
    while (
        isinstance(exc, ast.Call) and isinstance(exc.func, ast.Attribute) and exc.func.attr in ("explained", "within")
    ):
        if exc.func.attr == "explained":
            kinds += _explained(exc, func)
        exc = exc.func.value
    if isinstance(exc, ast.Name):  # made a line before: err = ConfigError(…); err.explained(…) as a statement
        made = [a for a in _assignments(func, exc.id) if isinstance(a, ast.Call) and _name(a.func) in ERRORS]
        if not kinds:
            for n in ast.walk(func):
                call = n.value if isinstance(n, ast.Expr) else None
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "explained"
                ):
                    kinds += _explained(call, func) if _name(call.func.value) == exc.id else []
        return (made[-1] if made else None), kinds
    return (exc if isinstance(exc, ast.Call) and _name(exc.func) in ERRORS else None), kinds


def walk(root: Path = ROOT) -> list[Raise]:
    """Every raise of a user error in the code a page request runs, and every one made and said
    without a raise (``views.message(ConfigError(…))``) or returned for a caller to raise or show
    (``data.epw_too_large``), in file and line order."""
    out = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in LEFT_OUT or "/tests/" in rel:
                continue
            src = path.read_text(encoding="utf-8")
            tree = ast.parse(src)
            funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node.func) == "message" and node.args:
                    made = node.args[0]  # an error made and said on the page, not raised (views.message)
                elif isinstance(node, ast.Raise) and node.exc is not None:
                    made = node.exc
                elif isinstance(node, ast.Return) and node.value is not None:
                    made = node.value  # an error a function makes for its callers (data.epw_too_large)
                else:
                    continue
                func = min(
                    (f for f in funcs if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)),
                    key=lambda f: (f.end_lineno or f.lineno) - f.lineno,
                    default=tree,
                )
                call, kinds = _made(made, func)
                if call is None:
                    continue
                text = ast.get_source_segment(src, call.args[0]) if call.args else ""
                text = re.sub(r"\s+", " ", text or "")
                out.append(Raise(rel, node.lineno, _name(call.func), tuple(dict.fromkeys(kinds)), text))
    return sorted(out, key=lambda r: (r.path, r.line))


def _code(text: str, width: int = 100) -> str:
    text = text if len(text) <= width else text[:width] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def render(raises: list[Raise]) -> str:
    """The doc's text."""
    from dashboards.catalog import _PARTS_ZH, ERRORS_ZH

    zh = [r for r in raises if r.kinds]
    files = list(dict.fromkeys(r.path for r in raises))
    lines = [
        "# The dashboard's user errors: which the Chinese page says in Chinese",
        "",
        "Written by `python -m tests.dashboards.messages_doc` from the source (do not edit by hand:",
        "`tests/dashboards/test_views.py` checks it against the code and `dashboards/catalog.py`).",
        "",
        "Every `raise` of a user error (a `ValueError` subclass: `ConfigError` and its `PhysicalBoundsError`,",
        "`ConvergenceError`, `InfeasibleError` and `TimeLimitError`; `SiteError`, `WeatherError`, `ResourceError`)",
        "in the code a page request runs: the scenario editor (`views.apply_toml`: the TOML reader, every",
        "parameter class, the scenario, site and weather loading, the engine's run of every case), an upload",
        "(`views.use_uploaded_epw`: the EPW reader and `twin run --weather`'s checks), the pages and downloads",
        "(`views.load_case`: an upload the server no longer holds) and the sliders and boxes",
        "(`views.with_capacities`, `views.checked`, the Green page's frontier). Left out, as no page reaches",
        *textwrap.wrap("them: " + "; ".join(f"`{p}` ({why})" for p, why in LEFT_OUT.items()) + ".", 104),
        "",
        "Found by walking the source's syntax trees: a `raise X(...)` with `X` one of those classes, or of an",
        "error made a line before (`err = X(...)` … `raise err`), and whether it is given its parts with",
        "`.explained(kind, …)` (`weather.fmt.Explained`, said in Chinese by `dashboards.catalog.ERRORS_ZH`).",
        "",
        f"Said in Chinese: {len(zh)} of {len(raises)} raises, the ones a user of the page meets most (the table",
        "of kinds below says when each is met). Field names, values, file names, site keys and the TOML",
        "reader's own detail stay as written (the reader's detail marked as its text).",
        "",
        "Left in English, marked on the Chinese page as English (the per-file table says why): a rule across",
        "fields or a parameter's own check (each says its rule in a sentence of its own, with no parts a",
        "translation could reuse); the weather readers' and records' line-level detail for files named on",
        "the server; a site file's schema and its `[variability]`/`[normals]` (site files are edited on the",
        "server, not in the page); the engine's physical bounds and convergence (diagnostics naming its",
        "internals); the frontier's infeasibility or time limit (the solver's account, with its figures);",
        "memory. Giving the cross-field rules parts is the next step if Chinese users meet them; each needs",
        "its own sentence in `ERRORS_ZH`.",
        "",
        "## Said in Chinese, by kind",
        "",
        "| kind | when | raised at | Chinese |",
        "|---|---|---|---|",
    ]
    where = {k: [f"`{r.path}:{r.line}`" for r in raises if k in r.kinds] for k in ERRORS_ZH}
    for kind, sentence in ERRORS_ZH.items():
        at = ", ".join(where[kind]) or "–"
        cell = sentence.replace("|", "\\|")
        lines.append(f"| `{kind}` | {WHEN.get(kind, '')} | {at} | {cell} |")
    lines += [
        "",
        "Parts that are words, not values, said in Chinese (`dashboards.catalog._PARTS_ZH`):",
        "",
        "| part | English | Chinese |",
        "|---|---|---|",
    ]
    lines += [f"| `{part}` | {en} | {zh_} |" for part, words in _PARTS_ZH.items() for en, zh_ in words.items()]
    lines += [
        "",
        "## Per file",
        "",
        "| file | raises | in Chinese | why the others stay English |",
        "|---|---|---|---|",
    ]
    for f in files:
        n, c = sum(r.path == f for r in raises), sum(r.path == f and bool(r.kinds) for r in raises)
        lines.append(f"| `{f}` | {n} | {c} | {WHY.get(f, '') if c < n else ''} |")
    lines += [
        "",
        "## Every raise",
        "",
        "| where | class | Chinese page | English message (source) |",
        "|---|---|---|---|",
    ]
    for r in raises:
        said = (
            "English"
            if not r.kinds
            else "its cause's kind, kept"
            if r.kinds == (KEPT,)
            else f"Chinese ({', '.join(r.kinds)})"
        )
        lines.append(f"| `{r.path}:{r.line}` | {r.cls} | {said} | {_code(r.text)} |")
    return "\n".join(lines) + "\n"


def _unnumbered(text: str) -> str:
    return re.sub(r"(\.py):\d+", r"\1", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="messages_doc.py", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc differs (line numbers aside)")
    args = parser.parse_args(argv)
    text = render(walk())
    if args.check:
        same = _unnumbered(text) == _unnumbered(DOC.read_text(encoding="utf-8"))
        print(
            f"{DOC.relative_to(ROOT)} is {'up to date' if same else 'out of date: run python -m tests.dashboards.messages_doc'}"
        )
        return 0 if same else 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
