"""The bad-input and fault corpus (tests/reliability/cases.py), judged by the rule of the harness."""

from __future__ import annotations

import pytest

from tests.reliability import cases as corpus
from tests.reliability.harness import digest, judge, run_case
from tests.reliability.known import KNOWN

CASES = corpus.all_cases()


def test_the_corpus_is_large_and_known_cases_exist():
    assert len(CASES) >= 300
    ids = {c.id for c in CASES}
    listed = {k for k in KNOWN if not k.startswith("invariants/")}
    assert listed <= ids, sorted(listed - ids)


@pytest.fixture(scope="session")
def shared(tmp_path_factory):
    return corpus.shared_inputs(tmp_path_factory.mktemp("shared"))


def _param(c):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[c.id])] if c.id in KNOWN else []
    return pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case, shared, tmp_path, monkeypatch):
    if any(a.startswith(str(corpus.SHARED_WEATHER)) for a in case.argv) and not corpus.SHARED_WEATHER.is_dir():
        pytest.skip(f"real weather files not present ({corpus.SHARED_WEATHER})")
    if case.setup is not None:
        case.setup(tmp_path, shared)
    before = {rel: digest(tmp_path / rel) for rel in case.preserve}
    result = run_case(case, tmp_path, monkeypatch)
    problems = judge(case, result, tmp_path, before)
    assert not problems, "\n".join(problems)
