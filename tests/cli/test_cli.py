"""The command line end to end: exit codes, files written, no traceback on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_run_writes_every_output_and_prints_a_summary(tmp_path):
    out = tmp_path / "res"
    r = cli("run", "baseline", "--seed", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    for f in ("summary.json", "agreements.csv", "offers.csv", "timeseries.csv", "positions.png", "crisis.png"):
        assert (out / f).stat().st_size > 0, f
    assert not list(out.glob(".*tmp*")), "temporary files left behind"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "baseline" and summary["seed"] == 1
    ags = pd.read_csv(out / "agreements.csv")
    assert len(ags) == summary["outcomes"]["n_agreements"]
    ts = pd.read_csv(out / "timeseries.csv")
    assert {"day", "date", "variable", "actor", "issue", "value"} <= set(ts.columns)
    assert {"stock:pressure", "inflow:pressure", "position", "value", "blame"} <= set(ts["variable"])
    assert "Record (" in r.stdout and "Pressure: start 0.95" in r.stdout and "unilateral" in r.stdout
    record = pd.read_csv(out / "record.csv")
    assert (record["type"] == "unilateral").sum() == summary["outcomes"]["n_unilateral"]
    for issue in ("migrant_flow", "sanctions", "russia_role"):
        assert issue in r.stdout


def test_run_is_reproducible_from_the_cli(tmp_path):
    cli("run", "baseline", "--seed", 4, "--out", tmp_path / "a", "--no-plots", "--quiet")
    cli("run", "baseline", "--seed", 4, "--out", tmp_path / "b", "--no-plots", "--quiet")
    for f in ("agreements.csv", "timeseries.csv", "offers.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert a.pop("command")[-3:] != b.pop("command")[-3:]     # only the --out folder differs
    assert a == b


def test_days_and_scenario_path(tmp_path):
    r = cli("run", ROOT / "scenarios" / "russia_engages.yaml", "--days", 12, "--out", tmp_path, "--no-plots")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["horizon_days"] == 12


def _assert_clean_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    for n in needles:
        assert n in r.stderr, (n, r.stderr)


def test_bad_scenario_file_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text("extends: baseline\nactors:\n  poland:\n    capabilty: 0.3\n", encoding="utf-8")
    out = tmp_path / "out"
    r = cli("run", bad, "--out", out)
    _assert_clean_error(r, "typo.yaml:4", "actors.poland.capabilty", "unknown field")
    assert not out.exists()


def test_unknown_scenario_name():
    _assert_clean_error(cli("run", "no_such_scenario"), "no such scenario", "baseline")


@pytest.mark.parametrize("args,needle", [
    (["run", "--days", "0"], "must be at least 1"),
    (["run", "--seed", "-3"], "must be 0 or more"),
    (["run", "--seed", "abc"], "expected a whole number"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2(args, needle):
    _assert_clean_error(cli(*args), needle)


def test_out_that_is_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    _assert_clean_error(cli("run", "--out", f, "--days", 3), "is not a folder")


def test_validate_reports_each_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline\nhorizon_days: 10\nevents:\n"
                   "  - {day: 20, type: set_issue, issue: sanctions, value: 0.2}\n")
    r = cli("validate", ROOT / "scenarios" / "baseline.yaml", bad)
    assert r.returncode == 2
    assert "ok    " in r.stdout and "FAIL  " in r.stderr and "events.0.day" in r.stderr
    assert "Traceback" not in r.stderr
    ok = cli("validate", *sorted((ROOT / "scenarios").glob("*.yaml")))
    assert ok.returncode == 0, ok.stderr


def test_scenarios_lists_all_with_descriptions():
    r = cli("scenarios")
    assert r.returncode == 0
    for name in ("baseline", "russia_engages", "eu_direct_channel", "poland_political_talks",
                 "sanctions_escalation", "opposition_at_table"):
        assert name in r.stdout
    assert "?" in r.stdout


@pytest.mark.parametrize("sub", [[], ["run"], ["scenarios"], ["validate"], ["seeds"]])
def test_help_everywhere(sub):
    r = cli(*sub, "--help")
    assert r.returncode == 0 and "usage:" in r.stdout



@pytest.mark.slow       # 20 s: every command run once; make test-slow
def test_every_command_that_reads_or_runs_a_scenario_takes_protocol(tmp_path):
    """--protocol on the commands beyond the running ones: validate checks a file under
    it (mediation needs a mediator), scenarios lists those that can run under it, and
    report/plot check a folder holds runs of it (a comparison keeps that protocol and the
    yardstick); a wrong one is bad input (exit 2)."""
    r = cli("validate", "ec_emissions", "baseline", "--protocol", "mediation")
    assert r.returncode == 2 and "ok    baseline" in r.stdout and "protocol.mediator" in r.stderr
    r = cli("scenarios", "--short", "--protocol", "mediation")
    assert r.returncode == 0 and "black_sea_grain" in r.stdout and "ec_emissions" not in r.stdout
    assert "[written for alternating_offers]" in r.stdout
    run = tmp_path / "run"
    assert cli("run", "baseline", "--protocol", "mediation", "--no-plots", "--out", run).returncode == 0
    assert cli("plot", run, "--protocol", "mediation").returncode == 0
    r = cli("report", run, "--protocol", "expected_utility")
    assert r.returncode == 2 and "holds runs of mediation, not of expected_utility" in r.stderr
    cmp_ = tmp_path / "cmp"
    assert cli("compare-protocols", "ec_emissions", "--reps", "2", "--workers", "1", "--quiet", "--no-report",
               "--out", cmp_).returncode == 0
    r = cli("report", cmp_, "--protocol", "expected_utility")
    assert r.returncode == 0, r.stderr
    text = (cmp_ / "report.html").read_text()
    assert "expected utility" in text and "alternating offers" not in text
    for bad in (("scenarios", "--protocol", "nope"), ("validate", "baseline", "--protocol", "nope")):
        r = cli(*bad)
        assert r.returncode == 2 and "unknown protocol" in r.stderr and "Traceback" not in r.stderr
