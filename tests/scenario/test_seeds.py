"""The seed: every stance quote is the article's text at its offsets."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.seeds import DEFAULT_TABLE, StanceTableError, load_stance_table

ROOT = Path(__file__).resolve().parents[2]


def test_every_quote_matches_the_article_at_its_offsets():
    table = load_stance_table()
    assert table.stances, "the stance table is empty"
    for sid, e in {**table.stances, **table.situation}.items():
        assert table.article[e["start"]:e["end"]] == e["quote"], sid


ARTICLE_SHA256 = "28e78e76c0a8c3cf7660e0fced1b3e2c0b97cc1ee70f96b39d9d82c61a158ae0"


def test_the_article_is_the_seed_verbatim():
    """The copy in seeds/ is byte for byte the article the project was created from
    (../shared/seeds/000_b34942d1a9e3beda.txt): offsets depend on it."""
    import hashlib

    data = load_stance_table().article_path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == ARTICLE_SHA256


def test_the_table_covers_the_articles_stances():
    """DESIGN.md's minimum: each of these actor/stance pairs is in the table."""
    table = load_stance_table()
    have = {(e["actor"], e["type"], e.get("with") or e.get("target") or e.get("issue"))
            for e in table.stances.values()}
    for need in [("poland", "open_to_talks", "russia"), ("poland", "technical_only", "belarus"),
                 ("poland", "political_counterpart", "opposition"), ("poland", "blames", "russia"),
                 ("poland", "blames", "belarus"), ("russia", "denies_responsibility", "russia_role"),
                 ("belarus", "blames", "eu"), ("eu", "blames", "belarus"),
                 ("eu", "calls_for", "sanctions"), ("opposition", "political_counterpart", "poland")]:
        assert need in have, need


def test_a_shifted_offset_is_caught(tmp_path):
    text = DEFAULT_TABLE.read_text(encoding="utf-8").replace("start: 544", "start: 545", 1)
    (tmp_path / "stances.yaml").write_text(text, encoding="utf-8")
    article = load_stance_table().article_path
    (tmp_path / article.name).write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(StanceTableError, match="poland_open_to_russia"):
        load_stance_table(tmp_path / "stances.yaml")


def test_baseline_stances_are_the_tables_with_their_quotes():
    from sim import load_scenario

    table = load_stance_table()
    sc = load_scenario("baseline")
    assert set(table.stances) <= set(sc.stances)
    for sid, st in sc.stances.items():
        if sid in table.stances:
            assert st.quote == table.stances[sid]["quote"]
        else:       # a stance of the record, not of the article: its note says which fact
            assert not st.quote and "Record" in st.note, sid


def test_seeds_command_prints_actor_stance_and_quote():
    out = subprocess.run([sys.executable, "run_sim.py", "seeds"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "technical_only(with=belarus)" in out.stdout
    assert "Russia has nothing to do with this issue" in out.stdout
    assert out.stdout.count("\u201c") == len(load_stance_table().stances)
