"""Where finished chunks go: a folder (:class:`DirSink`: parts, manifest, resume) or
memory (:class:`MemorySink`). Both follow :class:`Sink`.

Folder layout: ``manifest.json`` (the job, the command, the package version; while
running, each finished part's sha256 and row count, appended as it is written),
``parts/`` (one Parquet file per chunk, written to a temporary name and renamed), then
``runs.parquet``, ``series.parquet`` (with series) and ``summary.csv``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from sim.errors import ExperimentError, JobStopped
from sim.experiments.job import Job
from sim.results import atomic_write, public_mode


class Sink(Protocol):
    """What the driver (:func:`sim.experiments.execution.execute`) writes finished chunks to."""

    def done_chunks(self) -> set[int]:
        """Chunks already finished (resume): not run again."""

    def write(self, chunk_id: int, rows: list[dict], series) -> None:
        """Keep one finished chunk: its rows, and its daily series (or None)."""

    def runs(self) -> pd.DataFrame:
        """Every run's row, in run order."""


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder/parts...``, refused unless it resolves inside ``folder``: every output
    path goes through here, so no name (a scenario's, a part's) can escape it."""
    root = Path(folder).resolve()
    target = Path(folder).joinpath(*parts)
    if not target.resolve().is_relative_to(root):
        raise ExperimentError(f"{'/'.join(parts)!r} would write outside {folder}")
    return target


def _series_schema():
    import pyarrow as pa

    return pa.schema([("run_id", pa.int64()), ("day", pa.int64()), ("variable", pa.string()),
                      ("actor", pa.string()), ("target", pa.string()), ("issue", pa.string()),
                      ("value", pa.float64())])


def _tidy_types(df: pd.DataFrame) -> pd.DataFrame:
    """Columns whose values are all booleans (with gaps from failed runs) become
    pandas' nullable boolean; everything else keeps its type."""
    for c in df.columns:
        if df[c].dtype == object:
            vals = df[c].dropna()
            if len(vals) and all(isinstance(v, (bool, np.bool_)) for v in vals):
                df[c] = df[c].astype("boolean")
    return df


_SLICE = 5000          # rows converted to Arrow at a time when writing a big table


def _atomic_parquet(df: pd.DataFrame, path: Path, schema=None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.results import naming

    with naming(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with naming(path):
            if len(df) <= _SLICE:
                pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), tmp)
            else:               # a slice at a time: no second whole copy of a big table in memory
                schema = schema or pa.Schema.from_pandas(df, preserve_index=False)
                with pq.ParquetWriter(tmp, schema) as w:
                    for a in range(0, len(df), _SLICE):
                        w.write_table(pa.Table.from_pandas(df.iloc[a:a + _SLICE], schema=schema,
                                                           preserve_index=False))
            public_mode(tmp)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


FINAL = ("runs.parquet", "series.parquet", "summary.csv")
_PARTS_END = "\n }\n}"          # closes the manifest's ``parts`` (its last entry) and the manifest


def _part_entry(name: str, rec: dict) -> str:
    """One part's line in the manifest's ``parts``."""
    return f"\n  {json.dumps(name)}: {json.dumps(rec)}"


class FolderLock:
    """An exclusive lock on an output folder (``DIR/.lock``, flock): a second process
    on the same folder is refused with the holder's pid. A refused folder keeps nothing
    the lock made (``release(refused=True)`` removes the lock file and the folder if it
    created them)."""

    def __init__(self, out: Path):
        import fcntl

        self.out = Path(out)
        self.made_dir = not self.out.exists()
        path = self.out / ".lock"
        self.made_file = not path.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+", encoding="utf-8")
        except OSError as exc:
            raise JobStopped(f"cannot create {self.out}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read(20).strip() or "?"
            fh.close()
            raise ExperimentError(f"{self.out} is in use by another process (pid {holder}); wait for it to "
                                  "finish, or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh

    def release(self, refused: bool = False) -> None:
        if self.fh is None:
            return
        if refused and self.made_file:
            (self.out / ".lock").unlink(missing_ok=True)      # still held: no one else has it open
        self.fh.close()          # closing the file releases the flock
        self.fh = None
        if refused and self.made_dir:
            try:
                self.out.rmdir()
            except OSError:
                pass


class DirSink:
    """Writes each finished chunk as ``parts/runs-NNNNNN.parquet`` (+ series), records
    its sha256 and row count in the manifest, then consolidates. The manifest pins
    the job, so ``resume`` can check it; a lock file keeps a second process out."""

    def __init__(self, out: Path, job: Job, command: list[str] | None, resume: bool):
        self.out = Path(out)
        self.parts = inside(self.out, "parts")
        self.job = job
        self.command = command
        self.redone: list[str] = []          # parts found damaged on resume and run again
        self.index: dict[str, dict] = {}     # part file name -> {"sha256", "rows"}
        self._lock = None
        manifest_path = self.out / "manifest.json"
        self.already_complete = False
        if self.out.exists() and not self.out.is_dir():
            raise ExperimentError(f"--out {self.out} exists and is not a folder")
        self._take_lock()
        try:
            self._open(manifest_path, resume)
        except ExperimentError:
            self.close(refused=True)
            raise
        except BaseException:
            self.close()
            raise

    def _take_lock(self) -> None:
        if self.out.exists() and not (self.out / "manifest.json").exists() and \
                any(p.name != ".lock" for p in self.out.iterdir()):      # refused before anything is made
            raise ExperimentError(f"--out {self.out} is not empty and holds no experiment; choose another folder")
        self._lock = FolderLock(self.out)

    def close(self, refused: bool = False) -> None:
        """Release the lock on the folder (the lock file stays, empty of meaning, unless
        the folder was refused: then what the lock made is removed)."""
        if self._lock is not None:
            self._lock.release(refused)
            self._lock = None

    def _open(self, manifest_path: Path, resume: bool) -> None:
        if manifest_path.exists():
            try:
                from sim.inputs import read_text

                old = json.loads(read_text(manifest_path, 200_000_000, "manifest"))
            except (OSError, ValueError):           # InputFileError is a ValueError
                raise ExperimentError(f"{manifest_path} is unreadable; choose another --out") from None
            if not resume:
                same = old.get("fingerprint") == self.job.fingerprint()
                if not same:
                    hint = "choose another --out, or add --overwrite to replace it"
                elif old.get("status") == "complete":
                    hint = "add --overwrite to run it again, or choose another --out"
                else:
                    hint = "add --resume to finish it, --overwrite to start again, or choose another --out"
                raise ExperimentError(f"{self.out} already holds {'this' if same else 'another'} experiment "
                                      f"({old.get('status', 'unknown')}); {hint}")
            if old.get("fingerprint") != self.job.fingerprint():
                raise ExperimentError(f"{self.out} was made by a different experiment (scenarios or their "
                                      "order, design, reps, seed or --series differ); --resume needs the "
                                      "same command. Choose another --out")
            if old.get("status") == "complete" and (self.out / "runs.parquet").exists():
                self._check_final(old.get("files") or {})
                self.already_complete = True
                return
            self.index = dict(old.get("parts") or {})
            for name in FINAL:          # a merge that was stopped: its tables are redone
                (self.out / name).unlink(missing_ok=True)
            for folder in (self.out, self.parts):      # temporary files of a killed write (we hold the lock)
                for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                    tmp.unlink(missing_ok=True)
        elif self.out.exists() and any(p.name != ".lock" for p in self.out.iterdir()):
            raise ExperimentError(f"--out {self.out} is not empty and holds no experiment; choose another folder")
        self.parts.mkdir(parents=True, exist_ok=True)
        self._write_manifest("running")

    def _check_final(self, files: dict) -> None:
        for name, rec in files.items():
            path = self.out / name
            if not path.exists() or _sha256(path) != rec.get("sha256"):
                raise ExperimentError(f"{path} is missing or damaged (its checksum differs from the manifest's); "
                                      "run the experiment again in another --out")

    def _write_manifest(self, status: str, extra: dict | None = None) -> None:
        """The whole manifest, written to a temporary file and renamed. While running,
        ``parts`` is its last entry, so each finished part is appended in place
        (:meth:`_append_parts`) instead of the manifest being rewritten."""
        import sim

        m = {"status": status, "fingerprint": self.job.fingerprint(), "package": "diplosim",
             "version": sim.__version__, "command": self.command, "root_seed": self.job.seed,
             "n_runs": self.job.n_runs, "job": self.job.definition()}
        if status == "merging":
            m["note"] = "the final tables are being written: they are complete only once status is complete"
        m.update(extra or {})
        text = json.dumps(m, indent=1, default=str)
        if status != "complete":
            entries = ",".join(_part_entry(name, rec) for name, rec in self.index.items())
            text = text[:-2] + ',\n "parts": {' + entries + _PARTS_END
            self._parts_end = len(text.encode()) - len(_PARTS_END)     # where the next entry goes
        self._guard(lambda: atomic_write(self.out / "manifest.json", text), self.out / "manifest.json")

    def _append_parts(self, entries: dict[str, dict]) -> None:
        """Record finished parts in the manifest: their entries written over the closing
        braces, in one ``pwrite`` (a killed process writes all of it or none). If the
        write fails (disk full), the manifest is put back as it was and the error raised."""
        path = self.out / "manifest.json"
        first = not self.index
        piece = "".join(("" if first and k == 0 else ",") + _part_entry(name, rec)
                        for k, (name, rec) in enumerate(entries.items()))
        data = (piece + _PARTS_END).encode()

        def write():
            fd = os.open(path, os.O_WRONLY)
            try:
                if os.pwrite(fd, data, self._parts_end) != len(data):
                    raise OSError(28, "short write (disk full?)")
            except OSError:
                os.ftruncate(fd, self._parts_end)
                os.pwrite(fd, _PARTS_END.encode(), self._parts_end)
                raise
            finally:
                os.close(fd)
        self._guard(write, path)
        self.index.update(entries)
        self._parts_end += len(piece.encode())

    def _guard(self, write, path: Path):
        """Run ``write``; an OSError (disk full, permission) becomes :class:`JobStopped`
        naming the file, with the resume hint."""
        try:
            return write()
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            raise JobStopped(f"cannot write {path}: {why}. Finished runs are kept in {self.out}; free the "
                             "space (or fix the permission), then run the same command with --resume") from None

    def _part_ok(self, name: str) -> str | None:
        """Why the part file ``name`` cannot be trusted, or None if it can."""
        rec = self.index.get(name)
        if rec is None:
            return "not recorded in the manifest (the job stopped while writing it)"
        path = self.parts / name
        if not path.exists():
            return "missing"
        if _sha256(path) != rec.get("sha256"):
            return "damaged (its checksum differs from the manifest's)"
        return None

    def done_chunks(self) -> set[int]:
        """Chunks whose parts are all present and intact; any other part file is
        deleted (its chunk runs again) and listed in :attr:`redone`."""
        done = set()
        for p in sorted(self.parts.glob("runs-*.parquet")):
            cid = int(p.stem.split("-")[1])
            names = [p.name] + ([f"series-{cid:06d}.parquet"] if self.job.series else [])
            faults = [(n, why) for n in names if (why := self._part_ok(n)) is not None]
            if faults:
                self.redone += [f"parts/{n}: {why}" for n, why in faults]
                for n in names:
                    (self.parts / n).unlink(missing_ok=True)
                    self.index.pop(n, None)
            else:
                done.add(cid)
        return done

    def write(self, chunk_id: int, rows: list[dict], series) -> None:
        written = []
        if series is not None:
            target = inside(self.parts, f"series-{chunk_id:06d}.parquet")
            self._guard(lambda: _atomic_parquet(series, target, _series_schema()), target)
            written.append((target, len(series)))
        df = _tidy_types(pd.DataFrame(rows))
        target = inside(self.parts, f"runs-{chunk_id:06d}.parquet")
        self._guard(lambda: _atomic_parquet(df, target), target)   # last: marks the chunk done
        written.append((target, len(df)))
        self._append_parts({path.name: {"sha256": _sha256(path), "rows": n} for path, n in written})

    def runs(self) -> pd.DataFrame:
        """The runs table, read once from the parts: Arrow tables joined (columns a
        scenario lacks filled with nulls), one conversion to pandas at the end; the parts
        are in run order, so no sort."""
        return read_parts(sorted(self.parts.glob("runs-*.parquet")))

    def finish(self, summary: pd.DataFrame, runs: pd.DataFrame) -> list[Path]:
        import pyarrow.parquet as pq

        self._write_manifest("merging")
        written = []
        self._guard(lambda: _atomic_parquet(runs, self.out / "runs.parquet"), self.out / "runs.parquet")
        written.append(self.out / "runs.parquet")
        if self.job.series:
            target = self.out / "series.parquet"

            def merge_series():
                fd, tmp = tempfile.mkstemp(dir=self.out, prefix=".series.parquet.", suffix=".tmp")
                os.close(fd)
                try:
                    with pq.ParquetWriter(tmp, _series_schema()) as w:
                        for f in sorted(self.parts.glob("series-*.parquet")):   # one part at a time
                            w.write_table(pq.read_table(f, schema=_series_schema()))
                    public_mode(tmp)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            self._guard(merge_series, target)
            written.append(target)
        self._guard(lambda: atomic_write(self.out / "summary.csv", summary.to_csv(index=False)),
                    self.out / "summary.csv")
        written.append(self.out / "summary.csv")
        n_failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
        files = {p.name: {"sha256": _sha256(p)} for p in written}
        self._write_manifest("complete", {"n_failed": n_failed, "files": files})
        shutil.rmtree(self.parts, ignore_errors=True)
        return written


class MemorySink:
    """Keeps results in memory (the Python API without ``out=``)."""

    def __init__(self, job: Job):
        self.job = job
        self.rows: list[dict] = []
        self.series: list[pd.DataFrame] = []

    def done_chunks(self) -> set[int]:
        return set()

    def write(self, chunk_id, rows, series) -> None:
        self.rows.extend(rows)
        if series is not None:
            self.series.append(series)

    def runs(self) -> pd.DataFrame:
        # rows in run order, so the columns (the union of the scenarios' outcomes) come in
        # the same order whatever order the chunks finished in
        return _order(_tidy_types(pd.DataFrame(sorted(self.rows, key=lambda r: r["run_id"]))))


_JOIN = 32             # parts joined at a time by :func:`read_parts`


def read_parts(files: list[Path]) -> pd.DataFrame:
    """Part files (in run order) as one runs table: each read once with pyarrow, the
    tables joined, converted to pandas once (no per-part DataFrame)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return pd.DataFrame()

    def join(tables):
        return pa.concat_tables(tables, promote_options="permissive").combine_chunks()

    # joined _JOIN parts at a time into contiguous columns: thousands of small tables
    # alive at once cost far more than their data (each column of each part is a
    # separate Arrow object: 20,000 runs were ~230 MiB for 24 MiB of data)
    pieces, batch = [], []
    for f in files:
        batch.append(pq.read_table(f, use_threads=False).replace_schema_metadata(None))
        if len(batch) == _JOIN:
            pieces.append(join(batch))
            batch = []
    if batch:
        pieces.append(join(batch))
    # the pieces are not joined into one contiguous copy: to_pandas builds each column
    # from them (a second whole copy of the data cost 25 MiB more at 20,000 runs)
    table = pa.concat_tables(pieces, promote_options="permissive")
    del pieces, batch
    table = table.select(_column_order(table.column_names))
    df = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()      # give the Arrow copy back to the system
    return _order(_tidy_types(df))


def _column_order(columns) -> list[str]:
    lead = ["run_id", "scenario", "protocol", "point", "replicate", "seed_entropy", "seed_spawn_key", "status",
            "error"]
    params = sorted(c for c in columns if c.startswith("param:"))
    rest = [c for c in columns if c not in lead and c not in params]
    return [c for c in lead if c in columns] + params + rest


def _order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in run order (sorted only if they are not already), the columns in
    :func:`_column_order`."""
    if not len(df):
        return df
    if not df["run_id"].is_monotonic_increasing:
        df = df.sort_values("run_id", kind="stable")
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        df = df.reset_index(drop=True)
    cols = _column_order(df.columns)
    if list(df.columns) == cols:
        return df
    return df[cols]


def clear_folder(out: str | Path, what: tuple[str, ...] = ("manifest.json",)) -> None:
    """``--overwrite``: empty ``out`` if it holds results of ours (one of ``what``),
    under its lock, so a running job's folder is never emptied; a folder of anything
    else is refused."""
    import fcntl
    import shutil

    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir() or not any((out / w).exists() for w in what):
        if out.is_dir() and not any(p.name != ".lock" for p in out.iterdir()):
            return
        raise ExperimentError(f"--overwrite: {out} holds no results of this program ({' or '.join(what)}); "
                              "it is left as it is: choose another --out")
    with open(out / ".lock", "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            raise ExperimentError(f"{out} is in use by another process (pid {fh.read().strip() or '?'}); wait for "
                                  "it to finish, or choose another --out") from None
        for p in out.iterdir():
            if p.name == ".lock":
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
