"""The seed: the source article and the stance table grounded in it.

``seeds/stances.yaml`` lists every stance of the baseline with the verbatim quote of
the article that grounds it and the quote's character offsets ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SEED_DIR = Path(__file__).resolve().parents[2] / "seeds"
DEFAULT_TABLE = SEED_DIR / "stances.yaml"


class StanceTableError(ValueError):
    pass


@dataclass
class StanceTable:
    path: Path
    article_path: Path
    article: str
    source: str
    stances: dict[str, dict]
    situation: dict[str, dict] = field(default_factory=dict)

    def quote_problems(self) -> list[str]:
        """Entries whose quote is not the article's text at its offsets."""
        out = []
        for section, entries in (("stances", self.stances), ("situation", self.situation)):
            for sid, e in entries.items():
                q, s, t = e.get("quote"), e.get("start"), e.get("end")
                if not q or s is None or t is None:
                    out.append(f"{section}.{sid}: needs quote, start and end")
                elif not isinstance(s, int) or not isinstance(t, int) or isinstance(s, bool) or isinstance(t, bool):
                    out.append(f"{section}.{sid}: start and end must be whole-number character offsets")
                elif self.article[s:t] != q:     # the article's text is not echoed (another file)
                    out.append(f"{section}.{sid}: the article's text at [{s}:{t}] is not the quote")
        return out

    def scenario_stances(self) -> dict[str, dict]:
        """The stances as a scenario's ``stances:`` mapping (quotes kept for reports;
        the table's documentation field ``inert_in_baseline`` left out)."""
        return {sid: {k: v for k, v in e.items() if k != "inert_in_baseline"} for sid, e in self.stances.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per stance: id, actor, type, parameters, quote, start, end."""
        import pandas as pd

        from sim.model.stances import STANCE_TYPES

        rows = []
        for sid, e in self.scenario_stances().items():
            cls = STANCE_TYPES.get(e.get("type"))
            desc = cls.model_validate(e).describe() if cls else e.get("type")
            rows.append({"id": sid, "actor": e.get("actor"), "stance": desc,
                         "quote": e.get("quote"), "start": e.get("start"), "end": e.get("end")})
        return pd.DataFrame(rows)


MAX_ARTICLE_BYTES = 1_000_000


def load_stance_table(path: str | Path = DEFAULT_TABLE, roots: tuple = ()) -> StanceTable:
    """The stance table at ``path`` (named on the command line, or by a scenario, which
    checks where it lies). Its ``article:`` must lie in the table's folder tree, ``roots``
    or the project's data folders, and be a regular UTF-8 file of at most
    :data:`MAX_ARTICLE_BYTES` bytes."""
    from sim.inputs import InputFileError, check_named, read_text
    from sim.scenario.reading import ScenarioError, parse_yaml

    path = Path(path)
    try:       # the same limits as a scenario file (size, depth, aliases, duplicate keys, UTF-8)
        data, _ = parse_yaml(path)
    except ScenarioError as exc:
        raise StanceTableError(f"stance table: {exc.format()}") from None
    if not isinstance(data, dict) or not isinstance(data.get("stances"), dict):
        raise StanceTableError(f"stance table {path} needs a 'stances' mapping")
    name = data.get("article")
    if not isinstance(name, str) or not name.strip():
        raise StanceTableError(f"stance table {path}: 'article' must name the article's text file")
    article_path = path.parent / name
    try:
        check_named(article_path, (path.parent, *roots), "article")
        article = read_text(article_path, MAX_ARTICLE_BYTES, "article")
    except InputFileError as exc:
        raise StanceTableError(f"stance table {path}: article: {exc}") from None
    if not all(isinstance(e, dict) for e in data["stances"].values()) or not isinstance(
            data.get("situation") or {}, dict):
        raise StanceTableError(f"stance table {path}: each stance (and situation entry) must be a mapping")
    table = StanceTable(path, article_path, article, str(data.get("source", "")),
                        data["stances"], data.get("situation") or {})
    bad = table.quote_problems()
    if bad:
        raise StanceTableError(f"stance table {path}: " + "; ".join(bad))
    return table
