"""`run(manifest, out) -> RunResult`: the quarterly count, end to end.

OUT appears complete or not at all: everything is written into a hidden staging folder
beside OUT and moved into place only when every stage succeeded. The identifying database
is held in memory (spilling only into the run's private, owner-only work folder) and is
gone when the run ends; `keep_identifying` copies it into OUT for an analyst's review. A run
killed half-way leaves its hidden folder behind; the next run beside the same OUT removes it.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from mpg.pipeline import config, sql
from mpg.pipeline.context import RunContext
from mpg.pipeline.folders import check_folder, private_files, write_marker
from mpg.pipeline.keys import fingerprint, resolve_key
from mpg.pipeline.runner import StageReport, run_stage, run_stages

from mpg import __version__ as TOOL_VERSION
IDENTIFYING_DB = "identifying.duckdb"


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    summary: dict[str, Any]
    stages: tuple[StageReport, ...]
    seconds: float
    warnings: tuple[str, ...] = ()  # what the bureau must see: a degraded linkage model, ...


@dataclass(frozen=True)
class Engine:
    """DuckDB resources; defaults fit the bureau's 2-core, 24 GiB machine."""

    memory_limit: str = "6GB"
    threads: int | None = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _hidden_prefix(out: Path) -> str:
    return f".{out.name}.mpg-"


def _clean_stale(out: Path) -> None:
    """Remove what a killed run left beside OUT; put back an OUT it had moved aside. Names
    are compared as text (a folder named with glob characters is cleaned too)."""
    if not out.parent.is_dir():
        return
    prefix = _hidden_prefix(out)
    for stale in out.parent.iterdir():
        if not stale.name.startswith(prefix) or not stale.is_dir():
            continue
        try:
            pid = int(stale.name[len(prefix):].split("-")[0])
        except ValueError:
            continue
        if _pid_alive(pid) and pid != os.getpid():
            continue
        previous = stale / "previous"
        if previous.is_dir() and not out.exists():
            previous.rename(out)
        shutil.rmtree(stale, ignore_errors=True)


# A small process that outlives a run killed by force (SIGKILL, the OOM killer) and deletes
# its hidden folder, spill files with names included, the moment the run is gone.
_REAPER = """
import os, shutil, sys, time
pid, folder, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    fd = os.pidfd_open(pid)
except (AttributeError, OSError):
    fd = None
if fd is not None:
    import select
    select.select([fd], [], [])
else:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
previous = os.path.join(folder, "previous")
if os.path.isdir(previous) and not os.path.exists(out):
    os.rename(previous, out)  # killed between the two renames: the earlier OUT goes back
shutil.rmtree(folder, ignore_errors=True)
"""


def _start_reaper(hidden: Path, out: Path) -> subprocess.Popen | None:
    try:
        return subprocess.Popen([sys.executable, "-c", _REAPER, str(os.getpid()), str(hidden),
                                 str(out)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:  # no process can be started: the next run here cleans up instead
        return None


@contextmanager
def staging(out: Path, inputs: tuple[Path, ...] = ()) -> Iterator[tuple[Path, Path]]:
    """Yield (staging OUT, private work folder); on success the staging OUT becomes OUT.

    OUT may replace only an earlier result of this tool (`pipeline.folders`), never the
    delivery or anything around it; everything is created owner-only."""
    out = check_folder(out, "out", inputs=inputs)
    with private_files():
        out.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(out)
        hidden = out.parent / f"{_hidden_prefix(out)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        stage, work = hidden / "out", hidden / "work"
        stage.mkdir(parents=True)
        work.mkdir()
        reaper = _start_reaper(hidden, out)
        try:
            yield stage, work
            write_marker(stage, "out")
            # One atomic step where the OS has it: a run killed at any moment leaves either
            # the previous OUT or the new one, never no OUT. Elsewhere two renames, and a
            # run killed between them leaves the previous OUT in its hidden folder for the
            # next run to put back (`_clean_stale`).
            if not (out.exists() and _exchange(stage, out)):
                if out.exists():
                    out.rename(hidden / "previous")
                stage.rename(out)
        finally:
            shutil.rmtree(hidden, ignore_errors=True)
            if reaper is not None:
                reaper.kill()
                reaper.wait()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False where the
    OS or file system cannot, and nothing has changed."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc older than 2.28, musl
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def connect(database: Path, work: Path, engine: Engine) -> duckdb.DuckDBPyConnection:
    """The run's connection: `main` is OUT/run.duckdb, `ident` an in-memory database.

    Identifying data is held in memory and spills only into the private work folder, so it
    never lands in OUT and is gone when the run ends (an on-disk database would also sync
    to disk after each of the thousands of statements linkage runs).
    """
    spill = work / "spill"
    spill.mkdir(exist_ok=True)
    settings = {"memory_limit": engine.memory_limit, "temp_directory": str(spill),
                "preserve_insertion_order": True}
    if engine.threads:
        settings["threads"] = engine.threads
    con = duckdb.connect(str(database), config=settings)
    con.execute("ATTACH ':memory:' AS ident")
    return con


def keep_identifying_database(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the identifying tables to `path`, for an analyst's review of the links."""
    sql.attach(con, path, "kept")
    try:
        con.execute("COPY FROM DATABASE ident TO kept")
    finally:
        sql.detach(con, "kept")
    os.chmod(path, 0o600)  # created under private_files already; stated here for the reader


def run(manifest_path: str | Path, out_dir: str | Path, *, rules_path: str | Path | None = None,
        linkage_path: str | Path | None = None, pseudonym_key: bytes | None = None,
        key_file: Path | None = None, demo: bool = False, keep_identifying: bool = False,
        progress: bool = False, engine: Engine = Engine(),
        review_db: Path | None = None) -> RunResult:
    """Count the multi-problem families of one delivery into OUT."""
    started = time.perf_counter()
    manifest_path = config.manifest_file(manifest_path)
    manifest = config.load_manifest(manifest_path)
    rules = config.load_rules(rules_path)
    linkage = config.load_linkage(linkage_path)
    key = pseudonym_key or resolve_key(key_file, demo)
    reviews = None
    if review_db is not None:
        from mpg.linkage.review import check_store
        reviews = check_store(review_db)  # a missing store stops the run before it starts
    out = Path(out_dir).resolve()
    console = Console(stderr=True) if progress else None
    from mpg.linkage.probabilistic import stored_model
    from mpg.pipeline.stages import STAGES

    with staging(out, inputs=(manifest.folder,)) as (stage, work):
        con = connect(stage / "run.duckdb", work, engine)
        try:
            ctx = RunContext(manifest=manifest, rules=rules, linkage=linkage, work_dir=work,
                             stage_out=stage, pseudonym_key=key, review_db=review_db)
            reports = run_stages(con, ctx, STAGES, console)
            warnings = tuple(w for r in reports for w in r.metrics.get("warnings", ()))
            seconds = round(time.perf_counter() - started, 3)
            model = stored_model(con)
            if model is not None:
                (stage / "linkage_model.json").write_text(json.dumps(model, indent=2),
                                                          encoding="utf-8")
            _write_run_json(con, ctx, manifest_path, rules_path, linkage_path, reports, seconds,
                            warnings, reviews)
            if keep_identifying:
                keep_identifying_database(con, stage / IDENTIFYING_DB)
            con.execute("DETACH ident")
        finally:
            con.close()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return RunResult(out, summary, tuple(reports), seconds, warnings)


def _write_run_json(con, ctx: RunContext, manifest_path, rules_path, linkage_path,
                    reports: list[StageReport], seconds: float, warnings: tuple[str, ...],
                    reviews: dict | None) -> None:
    """OUT/run.json: the audit record of the run. Counts and hashes, no personal data."""
    from mpg.sources.readers import file_sha256

    files = con.execute("SELECT * FROM source_files ORDER BY file").df()
    outcomes = dict(con.execute("SELECT outcome, count(*) FROM record_outcomes GROUP BY ALL "
                                "ORDER BY ALL").fetchall())
    record = {
        "tool_version": TOOL_VERSION,
        "run": ctx.manifest.run.name,
        "reference_date": ctx.manifest.run.reference_date.isoformat(),
        "window": [ctx.manifest.run.window_start.isoformat(),
                   ctx.manifest.run.window_end.isoformat()],
        "started_by": {"user": getpass.getuser(), "host": socket.gethostname()},
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "duckdb": duckdb.__version__},
        "manifest": {"path": str(Path(manifest_path).resolve()),
                     "sha256": file_sha256(Path(manifest_path))},
        "files": json.loads(files.to_json(orient="records", date_format="iso")),
        "rules": {"path": str(rules_path or config.DEFAULT_RULES),
                  "resolved": ctx.rules.model_dump(mode="json")},
        "linkage": {"path": str(linkage_path or config.DEFAULT_LINKAGE),
                    "resolved": ctx.linkage.model_dump(mode="json")},
        "record_outcomes": outcomes,
        # which key made the pseudonyms (never the key): comparisons need one key
        "key_fingerprint": fingerprint(ctx.pseudonym_key),
        # clerical decisions obeyed (--reviews), or null: a run has no hidden inputs
        "reviews": reviews,
        "stages": {r.name: {"seconds": r.seconds, "rows": r.rows} for r in reports},
        "total_seconds": seconds,
        "metrics": {k: v for r in reports for k, v in r.metrics.items() if k != "warnings"},
        "load_notes": [dict(zip(("note", "file", "n"), row)) for row in con.execute(
            "SELECT note, file, n FROM load_notes ORDER BY file, note").fetchall()],
        "warnings": list(warnings),
    }
    (ctx.stage_out / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n",
                                            encoding="utf-8")


def validate_delivery(manifest_path: str | Path, rules_path: str | Path | None = None
                      ) -> list[dict[str, Any]]:
    """Read and check every file of a delivery, write nothing; per file what was found."""
    from mpg.sources.load import STAGE as LOAD

    manifest = config.load_manifest(manifest_path)
    con = duckdb.connect()
    try:
        con.execute("ATTACH ':memory:' AS ident")
        # Loading needs no key: nothing is linked or written.
        ctx = RunContext.create(manifest, Path("."), rules=config.load_rules(rules_path))
        run_stage(con, ctx, LOAD)
        return con.execute("SELECT * FROM source_files ORDER BY rowid").df().to_dict("records")
    finally:
        con.close()


def recount(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    """The summary the counting stages give for the links now in `ident.links`.

    For analysts' what-ifs (the threshold curve of `mpg tune`): replace `ident.links`, call
    this, read the count. Runs the stages after `link` on the same connection, writes no file.
    """
    from mpg.pipeline.stages import COUNTING
    from mpg.reports.outputs import summary

    for stage in COUNTING:
        run_stage(con, ctx, stage)
    return summary(con, ctx)
