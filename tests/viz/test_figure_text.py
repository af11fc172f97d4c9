"""Every figure of every command, on every shipped scenario, at small sizes: no text on
top of other text, no legend over a label, nothing cut by the figure's edge
(:func:`sim.viz.figcheck.text_problems`, matplotlib's own text boxes); and no colour
shown for two actors in one figure.

The shipped scenarios the issue reports named (and the two-actor minimum) run in
`make test`; the rest of the scenarios in `make test-slow`."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from sim.cli import main  # noqa: E402
from sim.viz import plots  # noqa: E402
from sim.viz.figcheck import text_problems  # noqa: E402
from sim.viz.report import draw_figures  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
# run in `make test`: the scenarios of the figures issue 24 reported, and the largest
FAST = {"baseline", "black_sea_grain", "ec_emissions"}
FAST_EXPERIMENTS = {"baseline"}


def _params(fast):
    return [pytest.param(n, marks=() if n in fast else pytest.mark.slow) for n in SCENARIOS]


def _cli(*args):
    code = main([str(a) for a in args])
    assert code in (0, 3), args


def _assert_fits(folder: Path) -> list[str]:
    figs = draw_figures(folder)
    assert figs, folder
    bad = {}
    for name, (fig, _) in figs.items():
        problems = text_problems(fig)
        if problems:
            bad[name] = problems
        plt.close(fig)
    assert not bad, "\n".join(f"{folder.name}/{k}.png: {p}" for k, v in bad.items() for p in v)
    return list(figs)


def test_the_checker_catches_overlap_clipping_and_a_legend_over_text():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "one label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "another label", transform=ax.transAxes)
    ax.text(0.98, 0.1, "off the right edge of the figure", transform=ax.transAxes)
    ax.plot([0, 1], [0, 1], label="a legend entry")
    ax.text(0.02, 0.9, "under the legend", transform=ax.transAxes)
    ax.legend(loc="upper left")
    problems = text_problems(fig)
    plt.close(fig)
    assert any("text on text: 'one label' and 'another label'" in p for p in problems)
    assert any("clipped" in p and "off the right edge" in p for p in problems)
    assert any("legend over text: 'under the legend'" in p for p in problems)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("fine")
    ax.set_xlabel("x")
    fig.tight_layout()
    assert text_problems(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("name", _params(FAST))
def test_every_figure_of_a_run_fits(name, tmp_path):
    _cli("run", name, "--seed", 1, "--out", tmp_path / name, "--no-plots", "--quiet")
    drawn = _assert_fits(tmp_path / name)
    assert {"positions", "crisis", "blame", "channels"} <= set(drawn)


TWO = {"name": "two", "description": "the schema's smallest scenario: two actors", "start_date": "2021-01-01",
       "horizon_days": 40,
       "issues": {"x": {"kind": "political", "low": "no", "high": "yes", "status_quo": 0.5, "control": ["a", "b"]}},
       "actors": {"a": {"name": "Alpha", "capability": 0.5, "position": {"x": 0.0}, "salience": {"x": 1}},
                  "b": {"name": "Beta", "capability": 0.5, "position": {"x": 1.0}, "salience": {"x": 1}}},
       "channels": {"*": "political"}}


def test_a_scenario_of_two_actors_draws_its_channels(tmp_path):
    # two nodes on a line: the axes' autoscaled height was ~1e-16 and the names fell
    # outside the raster (FT_Render_Glyph ... raster overflow; issue 26, item 4)
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(TWO), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert (tmp_path / "out" / "channels.png").stat().st_size > 0
    assert (tmp_path / "out" / "report.html").exists()
    _assert_fits(tmp_path / "out")


def test_no_figure_shows_one_colour_for_two_actors(tmp_path):
    # ec_emissions has ten actors, argentina seventeen: a palette of eight repeated
    for n in (1, 8, 10, 17, 40):
        colors = [c.lower() for c in plots.distinct_colors(n)]
        assert len(colors) == n == len(set(colors))
    assert plots.distinct_colors(8) == plots.PALETTE
    _cli("run", "ec_emissions", "--seed", 1, "--out", tmp_path / "ec", "--no-plots", "--quiet")
    for name, (fig, _) in draw_figures(tmp_path / "ec").items():
        for ax in fig.axes:
            lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")
                     and ln.get_label() not in ("implemented", "weighted median (forecast)", "weighted mean")]
            colors = [matplotlib.colors.to_hex(ln.get_color()) for ln in lines]
            assert len(colors) == len(set(colors)), (name, colors)
        plt.close(fig)


@pytest.mark.parametrize("name", _params(FAST_EXPERIMENTS))
def test_every_figure_of_the_experiments_fits(name, tmp_path):
    from sim.experiments.sensitivity import default_varies
    from sim.scenario import load_scenario

    sc = load_scenario(name)
    common = ["--workers", 1, "--quiet", "--no-report", "--days", 30]
    _cli("batch", name, "--reps", 3, "--series", "--out", tmp_path / "batch", *common)
    _assert_fits(tmp_path / "batch")
    fields = default_varies(sc)[:2] if sc.uncertain else []
    if fields:
        grid = [f"{v.path}={v.lo}:{v.hi}:3" for v in fields]
        _cli("sweep", name, *[x for g in grid for x in ("--vary", g)], "--reps", 1, "--out", tmp_path / "sweep",
             *common)
        _assert_fits(tmp_path / "sweep")
        _cli("sensitivity", name, "--method", "morris", "--n", 2, "--out", tmp_path / "sens", *common)
        _assert_fits(tmp_path / "sens")
    if sc.stances:
        _cli("ablate", name, "--reps", 2, "--out", tmp_path / "abl", *common)
        _assert_fits(tmp_path / "abl")
    _cli("compare-protocols", name, "--reps", 2, "--out", tmp_path / "cmp", *common[:-2], "--days", 15)
    _assert_fits(tmp_path / "cmp")


def test_a_calibration_folder_gets_its_figure_and_report_from_plot_and_report(tmp_path, capsys):
    # before: "holds no results"; the report unstyled with counts as 1.73e+04
    out = tmp_path / "cal"
    assert main(["calibrate", "history_2021", "--data", str(ROOT / "data" / "attempted_crossings_pl_2021.csv"),
                 "--out", str(out), "--population", "12", "--max-generations", "2", "--predictive", "6",
                 "--workers", "1", "--quiet"]) == 0
    (out / "report.html").unlink()
    (out / "posterior_predictive.png").unlink()
    assert main(["plot", str(out)]) == 0 and (out / "posterior_predictive.png").exists()
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert '<section class="headline">' in text and "width ratio" in text and "overflow-x:auto" in text
    import re

    words = re.sub(r'src="data:[^"]*"', "", text)
    assert not re.search(r"\de\+\d", words)         # 17,300, not 1.73e+04
    assert "17,300" in words                         # October's observed count
    assert _assert_fits(out) == ["posterior_predictive"]


def test_the_calibration_progress_bar_has_a_total(tmp_path):
    from sim.experiments.calibration import Settings, calibrate
    from sim.scenario import load_scenario

    seen = []
    calibrate(load_scenario("history_2021"), ROOT / "data" / "attempted_crossings_pl_2021.csv", tmp_path / "c",
              Settings(population=8, alpha=0.5, max_generations=2, seed=0, predictive=4),
              progress=lambda done, total: seen.append((done, total)))
    assert seen and all(total is not None and done <= total for done, total in seen)
    assert seen[-1][1] == 8 + 4 + 4                  # generation 0, one later generation, the predictive runs
