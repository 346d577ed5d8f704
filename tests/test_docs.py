"""The README's and docs/'s relative links lead to a file and, where they name one, to a heading in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation but '-' dropped, spaces as '-'."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#+ (.*)$", line)
        if m:
            found.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return found


def links(page: Path) -> list[str]:
    return [m.group(1) for m in re.finditer(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    broken = []
    for link in links(page):
        if re.match(r"^[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading with that anchor")
    assert not broken, broken


def test_the_check_sees_a_broken_anchor(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("# Title\n\n[ok](#title) [bad](#nonesuch)\n", encoding="utf-8")
    assert "title" in anchors(page)
    assert [a for a in (link.partition("#")[2] for link in links(page)) if a not in anchors(page)] == ["nonesuch"]


README_REFUSED = {
    "twin run --site karamay guian --cooling spray": "run takes one site",
}
"""Commands the README gives as refused, with what the refusal says."""

PLACEHOLDER = re.compile(r"…|\[|\]|\$|\||\b(?:FILE|F|S|D|X|Y|N|T|DESIGN|DIR|NAME|SCENARIO)\b|KEY=|SECTION\.")


def readme_commands(text: str, root: Path = ROOT) -> list[str]:
    """The whole ``twin run`` / ``twin compare`` commands of a README text that can be checked
    where they stand: inline code and code-block lines (a ``\\`` continues a line; a ``#``
    comment dropped), without placeholders (``FILE``, ``…``, ``[-o F]``), giving a site and a
    design or a scenario file, and naming only files there are (``../shared`` may be absent)."""
    spans = [" ".join(s.split()) for s in re.findall(r"`(twin (?:run|compare)\b[^`]*)`", text)]
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        spans += [line.split(" #")[0].strip() for line in joined.splitlines() if line.startswith("twin ")]
    found = []
    for cmd in dict.fromkeys(spans):
        words = cmd.split()[2:]
        if PLACEHOLDER.search(cmd) or len(words) < 1 or not cmd.startswith(("twin run", "twin compare")):
            continue
        files = [w for w in words if w.endswith((".toml", ".epw", ".csv")) and not w.startswith("-")]
        named = [w for i, w in enumerate(words) if i == 0 or words[i - 1] not in ("-o", "--csv", "--save")]
        sited = "--site" in words or "--sites" in words
        if not ((sited and ("--cooling" in words or cmd.startswith("twin compare"))) or words[0].endswith(".toml")):
            continue
        if all((root / w).exists() for w in files if w in named):
            found.append(cmd)
    return found


def readme_refusals(text: str) -> dict[str, str]:
    """The commands a README text gives with their refusal, ``` `twin …` → `twin: error: …` ```:
    the command and the message's text before any ``…`` (whitespace made single spaces)."""
    found = re.findall(r"`(twin [^`]*)`\s*→\s*`twin: error: ([^`]*)`", text)
    return {" ".join(c.split()): " ".join(m.split("…")[0].split()) for c, m in found}


def test_the_readme_commands_are_not_refused(monkeypatch, capsys):
    """Every whole ``twin run`` / ``twin compare`` command of the README passes the command
    line's checks and builds its cases (the run itself is left out: a stub stands for it), and
    each command the README gives as refused is refused as it says (its message quoted after
    ``→``, or :data:`README_REFUSED`)."""
    import os
    import shlex

    from twin import cli

    monkeypatch.setattr(cli, "_run_and_report", lambda sc, args, outputs: (sc.cases(), 0)[1])
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme_commands(text)
    expected = {**readme_refusals(text), **README_REFUSED}
    assert len(commands) >= 15 and "twin run examples/karamay_free_air.toml" in commands
    refused = []
    for cmd in commands:
        try:
            code = cli.main(shlex.split(cmd)[1:])
        except SystemExit as exc:
            code = exc.code
        said = " ".join(capsys.readouterr().err.split())
        if cmd in expected:
            assert code == 2 and expected[cmd] in said, (cmd, said)
        elif code != 0:
            refused.append(f"{cmd}: {said or code}")
    assert not refused, "\n".join(refused)
    assert os.getcwd() == str(ROOT)


def test_the_readme_sizing_without_a_scenario_is_what_twin_size_prints(capsys):
    """The README's figures of ``twin size --site qingyang --cooling free_air --target hourly:0.8``
    are the command's (they had drifted: the README said 37.7 MW PV + 12.3 MW wind + 18.0 MW /
    107.5 MWh for 31.24 M CNY/yr, and the command printed 38.1 + 12.0 + 18.3 / 109.2 for 31.30).
    One sizing of the 10 MW example, a few seconds of CPU."""
    from twin import cli

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    said = re.search(
        r"Without a scenario \(`twin size --site qingyang --cooling free_air --target hourly:0\.8`:[^)]*\) the base is "
        r"([\d.]+) MW PV \+ ([\d.]+) MW wind \+ ([\d.]+) MW / ([\d.]+) MWh storage for ([\d.]+) M CNY/yr "
        r"\((\d+) CNY/MWh IT\)",
        text,
    )
    assert said, "the README's sentence of the sizing without a scenario is not where the test looks"
    assert (
        cli.main(["size", "--site", "qingyang", "--cooling", "free_air", "--target", "hourly:0.8", "--markdown"]) == 0
    )
    header, _, row = (
        [c.strip() for c in line.strip("|").split("|")] for line in capsys.readouterr().out.splitlines()[:3]
    )
    printed = dict(zip(header, row, strict=True))
    columns = ("PV MW", "wind MW", "storage MW", "storage MWh", "M CNY/yr", "CNY/MWh IT")
    assert said.groups() == tuple(printed[c] for c in columns), printed
