"""Fuzzing scenario files (issue 26): hypothesis writes scenario files from a rich valid
one with hostile values put anywhere in it (huge or non-finite numbers, yes/no for a
number, reserved ids, control characters, escapes, TeX, lone surrogates, huge lists,
deep nesting, paths to devices, FIFOs, folders and files outside the scenario's folder)
and runs ``validate`` and ``run`` on each. Every file must end in exit 0 (and a result)
or exit 2 with one line per fault naming the file - never a traceback, a hang, or a
run beyond the time and memory budget. A few cases in ``make test``, 500 in
``make test-slow``."""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import json
import os
import resource
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli import main
from tests.conftest import mirror_trade

SECONDS = 90                    # a case's time budget (validate and run), wall clock
MAX_RSS_BYTES = 3_000_000_000   # the test process's peak memory after any case

DIR = Path(tempfile.mkdtemp(prefix="fuzz-scenarios-"))
atexit.register(shutil.rmtree, DIR, True)
FIFO = DIR / "fifo.yaml"
if not FIFO.exists():
    os.mkfifo(FIFO)
(DIR / "folder.yaml").mkdir(exist_ok=True)


def base() -> dict:
    """A valid scenario that uses most of the schema: three actors, stocks, stances,
    events, history, priors and observables."""
    d = mirror_trade(name="fuzz", horizon_days=20)
    d["actors"]["c"] = {"name": "C", "capability": 0.3, "position": {"i1": 0.5, "i2": 0.5},
                        "salience": {"i1": 0.5, "i2": 0.5}, "exposure": {"pressure": 0.1}}
    d["channels"] = {"a-b": "technical", "b-c": "political"}
    d["environment"] = {"stocks": {"pressure": {"label": "people", "initial": 0.3,
                                                "inflows": [{"rate": 0.02, "driven_by": {"i1": -1}}],
                                                "outflows": [{"rate": 0.01}], "noise": 0.1}}}
    d["stances"] = {"c_blames_a": {"actor": "c", "type": "blames", "target": "a", "quote": "they did it"},
                    "a_calls": {"actor": "a", "type": "calls_for", "issue": "i2", "value": 1.0}}
    d["events"] = [{"day": 3, "type": "set_issue", "issue": "i1", "delta": 0.1, "label": "a move"},
                   {"day": 5, "type": "set_channel", "between": ["a", "c"], "level": "technical"}]
    d["history"] = [{"date": "2020-12-01", "actor": "a", "issue": "i1", "value": 0.1, "label": "before"}]
    d["uncertain"] = {"blame.decay": [0.01, 0.1]}
    d["observables"] = {"people": {"series": "stock:pressure", "aggregate": "mean", "period": "week"}}
    d["title"] = "A fuzzed case"
    return d


def _paths(d, prefix=()):
    """Every path of ``d`` (containers and leaves), where a hostile value may go."""
    yield prefix
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(base()) if p]


def _leaf(path):
    v = base()
    for k in path:
        v = v[k]
    return v


TEXT_PATHS = [p for p in PATHS if isinstance(_leaf(p), str) and p[-1] in (
    "name", "title", "description", "label", "quote", "low", "high", "source", "note")]
NUMBER_PATHS = [p for p in PATHS if isinstance(_leaf(p), (int, float)) and not isinstance(_leaf(p), bool)]
# text a valid scenario may hold, which the terminal, matplotlib and the files must take as text
TEXTS = ["A $\\frac{1}{$", "$x$ and $$", "\\sqrt{" * 400, "\x1b[2J\x1b]0;pwned\x07 title", "\u202eevil",
         "tab\there", "new\nline", "\u0000nul", "caf\u00e9 \u4e2d\u6587 \U0001f600", "x" * 5000, "%s %d {0}",
         "<b>&amp;</b>",
         "'; DROP TABLE", "..", "-", " "]
NUMBERS = [0, 1, 0.5, 1e-12, 0.999999, 2, 7, 30, 365, 3650, 10.0, 100.0, -0.5, -1]

HOSTILE = [
    None, True, False, "yes", "nan", "null", "none", "", " ", "-", "a-b-c", "*",
    "A $\\frac{1}{$", "\\sqrt{" * 400, "\x1b[2J\x1b]0;pwned\x07", "\ud800", "\u202e\u2066", "\x00\x01\x7f",
    10 ** 40, -(10 ** 40), 2 ** 63, -1, 0, 1, 3650, 3651, 1e308, -1e308, 5e-324, float("inf"), float("nan"),
    "2021-13-45", "9999-12-31", "0001-01-01", [], {}, [[[[[]]]]], {"type": "nope"},
    "../../etc/passwd", "/dev/zero", "/proc/self/environ", str(FIFO), str(DIR / "folder.yaml"), "x" * 100_000,
]


def _big(kind: str, n: int):
    if kind == "actors":
        return {f"a{k}": {"name": f"A{k}", "capability": 0.5, "position": {"i1": 0.5, "i2": 0.5},
                          "salience": {"i1": 1.0, "i2": 1.0}} for k in range(n)}
    if kind == "events":
        return [{"day": 1, "type": "set_issue", "issue": "i1", "delta": 0.0}] * n
    if kind == "uncertain":
        return {"blame.decay": [0, 1], **{f"blame.x{k}": [0, 1] for k in range(n)}}
    if kind == "channels":
        return {"*": "political", **{f"a-x{k}": "technical" for k in range(n)}}
    return {f"k{k}": k for k in range(n)}


values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.sampled_from([0, "a", None, 1.5]), max_size=5),
    st.dictionaries(st.text(max_size=8), st.sampled_from([0, "a", None]), max_size=4),
)

TOP = ["extends", "stances_from", "replace", "actors", "events", "uncertain", "channels", "issues", "history"]

RAW_TAILS = ["", "", "", "zz_digits: " + "9" * 5000 + "\n", "zz_ctrl: a\x01b\n", "zz_deep: " + "[" * 200 + "\n",
             "zz_loop: &a [*a]\n", "horizon_days: 30\n", "zz_alias: &x [1]\nzz_b: *x\n"]


@st.composite
def cases(draw):
    d = base()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "text", "number", "number", "hostile"]))
        if kind == "text":      # valid but hostile text: the run goes on to print and draw it
            path, value = draw(st.sampled_from(TEXT_PATHS)), draw(st.one_of(st.sampled_from(TEXTS), st.text()))
        elif kind == "number":
            path, value = draw(st.sampled_from(NUMBER_PATHS)), draw(st.sampled_from(NUMBERS))
        else:
            path, value = draw(st.sampled_from(PATHS)), copy.deepcopy(draw(values))
        target = d
        try:
            for k in path[:-1]:
                target = target[k]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            pass
    if draw(st.sampled_from([True, False, False])):
        key = draw(st.sampled_from(TOP))
        if key in ("actors", "events", "uncertain", "channels", "history") and draw(st.booleans()):
            d[key] = _big(key, draw(st.sampled_from([0, 1, 150, 600, 3000, 15000])))
        else:
            d[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
    tail = draw(st.sampled_from(RAW_TAILS)) if draw(st.sampled_from([True, False, False])) else ""
    plots = draw(st.sampled_from([False, False, False, True]))
    return d, tail, plots


class _Budget(Exception):
    pass


def _alarm(signum, frame):
    raise _Budget(f"a case took more than {SECONDS} s")


def _call(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _one_line_per_fault(err: str, f: Path):
    lines = err.rstrip("\n").splitlines()
    assert lines, "exit 2 without a message"
    assert lines[0].startswith(("error:", "FAIL")), err[:500]
    for line in lines[1:]:                  # each fault: a file (this one, a parent, a table) and its fault
        assert line.strip().startswith(("/", str(f), "stance table", "<")), err[:500]


def _check(case, tmp: Path):
    d, tail, plots = case
    f = tmp / "case.yaml"
    try:
        text = yaml.safe_dump(d, sort_keys=False, allow_unicode=False, width=10 ** 6) + tail
    except (ValueError, yaml.YAMLError) as exc:     # e.g. Python cannot write an int of > 4300 digits
        event(f"not written: {type(exc).__name__}")
        return
    f.write_text(text, encoding="utf-8")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    try:
        rc, out, err = _call(["validate", str(f)])
        event(f"validate exit {rc}")
        assert rc in (0, 2), (rc, err[-2000:])
        assert "Traceback" not in err
        if rc == 2:
            _one_line_per_fault(err, f)
        run_out = tmp / "out"
        argv = ["run", str(f), "--out", str(run_out), "--no-report", "--quiet"] + ([] if plots else ["--no-plots"])
        rc2, out2, err2 = _call(argv)
        event(f"run exit {rc2}" + (" with figures" if plots and rc2 == 0 else ""))
        assert rc2 == rc, (rc, rc2, err2[-2000:])           # validate and run agree
        if rc2 == 2:
            _one_line_per_fault(err2, f)
        else:
            assert json.loads((run_out / "summary.json").read_text(encoding="utf-8"))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < MAX_RSS_BYTES


def _fuzz(case):
    with tempfile.TemporaryDirectory(dir=DIR) as tmp:
        _check(case, Path(tmp))


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_hostile_scenario_files_end_in_exit_0_or_2(case):
    _fuzz(case)


@pytest.mark.slow
@settings(max_examples=500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_500_hostile_scenario_files_end_in_exit_0_or_2(case):
    _fuzz(case)
