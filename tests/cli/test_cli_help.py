"""The command line as a newcomer meets it: every example of every --help runs, the
README's commands do not write over each other, every file `run` writes is listed,
near misses get a "did you mean", and --overwrite replaces an experiment of ours."""

import glob
import re
import shlex
from pathlib import Path

import pytest

from sim.cli import COMMANDS, RUN_FILES, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXPERIMENTS = {"batch", "sweep", "ablate", "sensitivity", "table", "compare-protocols"}


def _helps() -> dict[str, str]:
    p = build_parser()
    out = {"": p.format_help()}
    sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sp in sub.choices.items():
        out[name] = sp.format_help()
    return out


def _examples() -> list[str]:
    lines = []
    for text in _helps().values():
        lines += [m.strip() for m in re.findall(r"^\s*python run_sim\.py (.+)$", text, flags=re.M)]
    return lines


def _small(argv: list[str], tmp: Path) -> list[str]:
    """The example at a small size: few replications and days, one worker, outputs in tmp."""
    out, cmd = [], argv[0]
    it = iter(argv)
    for a in it:
        if a in ("--reps",):
            out += [a, "2"]
            next(it)
        elif a == "--n":
            out += [a, "2"]
            next(it)
        elif a == "--out":
            out += [a, str(tmp / next(it))]
        elif "*" in a:
            out += sorted(glob.glob(str(ROOT / a)))
        elif a.startswith(("data/", "tests/")):
            out.append(str(ROOT / a))
        elif a.startswith("out/") or a == "out":
            out.append(str(tmp / a))
        else:
            out.append(a)
    if cmd in EXPERIMENTS:
        out += ["--days", "8", "--workers", "1", "--quiet"]
    if cmd == "calibrate":
        out += ["--population", "8", "--max-generations", "2", "--predictive", "4", "--workers", "1", "--quiet"]
    if cmd in ("score",):
        out += ["--workers", "1", "--quiet"]
    if cmd == "run":
        out += ["--days", "8", "--quiet"] + ([] if "--out" in out else ["--out", str(tmp / "out" / "run")])
    return out


def test_the_help_has_examples_of_every_experiment():
    cmds = {shlex.split(e)[0] for e in _examples()}
    assert {"run", "batch", "sweep", "ablate", "sensitivity", "table", "calibrate", "score",
            "compare-protocols", "report"} <= cmds


def test_every_help_example_runs(tmp_path, monkeypatch, capsys):
    # an example of --help named a field that no longer existed (crisis.inflow_rate)
    monkeypatch.chdir(tmp_path)
    examples = _examples()
    ran = []
    for ex in sorted(examples, key=lambda e: e.startswith("report")):      # report reads a batch's folder
        argv = _small(shlex.split(ex), tmp_path)
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, f"{ex}\n -> {' '.join(argv)}\n{err}"
        ran.append(argv[0])
    assert len(ran) == len(examples) >= 12
    # the field paths given as examples in the help texts exist
    from sim.experiments.jobs import Vary, check_vary, scenario_data
    from sim.scenario import load_scenario

    data = scenario_data(load_scenario("baseline"))
    for text in _helps().values():
        for path in re.findall(r"e\.g\. ((?:actors|commitments|environment|blame)\.[\w.]+)", " ".join(text.split())):
            check_vary(data, Vary(path.rstrip("."), 0.1, 0.2))


def test_run_writes_what_its_help_and_the_readme_list(tmp_path):
    assert main(["run", "baseline", "--days", "10", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    written = sorted(p.name for p in (tmp_path / "r").iterdir() if not p.name.startswith("."))
    assert written == sorted(RUN_FILES)
    help_text = " ".join(_helps()["run"].split())
    section = README[README.index("- `run` — one replication"):README.index("- `validate`")]
    for f in RUN_FILES:
        assert f in help_text and f"`{f}`" in section, f


def test_the_readme_synopsis_lists_every_command():
    block = README[README.index("## Command line"):README.index("## Limits")]
    synopsis = block[block.index("```"):block.index("```", block.index("```") + 3)]
    for cmd in COMMANDS:
        assert f"run_sim.py {cmd} " in synopsis, cmd


def _readme_commands() -> list[list[str]]:
    text = README.replace("\\\n", " ")
    text = re.sub(r"<!-- generated: .*? -->", "", text)       # a block's marker names its command, not a second run
    return [shlex.split(m.split("#")[0]) for m in re.findall(r"python run_sim\.py ([^\n`]+)", text)]


def test_readme_examples_do_not_write_to_the_same_folder():
    # two README batches wrote to out/batch: the second was refused, and so was its hint
    by_out: dict[str, set] = {}
    for argv in _readme_commands():
        if "--out" in argv and argv[0] in EXPERIMENTS | {"calibrate"}:
            out = argv[argv.index("--out") + 1]
            if out.isupper() or out.endswith(("DIR", "calib")):        # a placeholder: out/calib, DIR
                continue
            by_out.setdefault(out, set()).add(" ".join(argv))
    same = {o: c for o, c in by_out.items() if len(c) > 1}
    assert not same, same


@pytest.mark.parametrize("argv, line", [
    (["run", "baselin"], "did you mean 'baseline'?"),
    (["sweep", "baseline", "--vary", "actors.polnd.tactic.e=0:1:2", "--reps", "1", "--out", "OUT"],
     "did you mean 'actors.poland.tactic.e'?"),
    (["sweep", "baseline", "--vary", "commitments.prize=0:1:2", "--reps", "1", "--out", "OUT"],
     "did you mean 'commitments.price'?"),
])
def test_a_near_miss_gets_a_did_you_mean(argv, line, tmp_path, capsys):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert line in err and "Traceback" not in err


def test_a_misspelt_actor_id_in_yaml_is_one_line(tmp_path, capsys):
    # before: three "required field is missing" lines for the new, incomplete actor 'polnad'
    f = tmp_path / "typo.yaml"
    f.write_text("extends: baseline\nname: typo\nactors:\n  polnad:\n    capability: 0.3\n", encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].strip().endswith("actors.polnad: unknown actor 'polnad' (did you mean 'poland'?)")


def test_a_bad_name_is_explained_in_words(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("extends: baseline\nname: 'bad name!'\n", encoding="utf-8")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "letters, digits" in err and "out/NAME" in err and "^[" not in err and "pattern" not in err


def test_overwrite_replaces_an_experiment_and_nothing_else(tmp_path, capsys):
    out = tmp_path / "b"
    small = ["--reps", "1", "--days", "5", "--workers", "1", "--quiet", "--no-report", "--out", str(out)]
    assert main(["batch", "baseline", *small]) == 0
    assert main(["batch", "baseline", "russia_engages", *small]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "another experiment" in err and "--resume to" not in err
    assert main(["batch", "baseline", "russia_engages", *small, "--overwrite"]) == 0
    import pandas as pd

    assert set(pd.read_parquet(out / "runs.parquet")["scenario"]) == {"baseline", "russia_engages"}
    assert main(["batch", "baseline", *small, "--overwrite", "--resume"]) == 2
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["batch", "baseline", *small[:-1], str(other), "--overwrite"]) == 2
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert "holds no results of this program" in capsys.readouterr().err


def test_score_shows_an_issue_on_its_own_scale_and_whole_words(tmp_path, capsys):
    # before: "(Rouhan" cut mid-word and the forecast on 0-1 where the scenario's scale is 1-10
    rec = tmp_path / "rec.yaml"
    rec.write_text("- outcome: final:candidate_position\n  observed: 0.7777777777777778\n"
                   "  label: final position of the candidates (Rouhani, the winner, at 8 on the ports' scale)\n"
                   "  source: the election result, 14 June 2013\n", encoding="utf-8")
    assert main(["score", "iran_2013_election", "--record", str(rec), "--reps", "4", "--workers", "1",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("final position"))
    label = line.strip().split("  ")[0]
    words = "final position of the candidates (Rouhani, the winner, at 8 on the ports' scale)".split()
    shown = label.rstrip("\u2026").split()
    assert shown == words[:len(shown)]                  # whole words only
    observed, median = re.findall(r"\s(\d+(?:\.\d+)?)\s", line)[:2]
    assert float(observed) == pytest.approx(8.0)        # 0.78 on the model's 0-1 scale is 8 on 1-10
    assert 1.0 <= float(median) <= 10.0 and float(median) > 1.0
    assert "candidate_position on 1-10" in out
