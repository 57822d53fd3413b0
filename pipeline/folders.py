"""Folders this tool writes into (OUT, PUB, a tuning folder): it replaces only what it wrote.

Every folder the tool fills gets a marker file listing what it wrote. A folder may be
written into only when it does not exist, is empty, or carries the marker of the same kind;
and when it carries one, nothing may be in it that the tool did not write. Anything else is
refused (a UsageError, exit 2) before any work starts: `--out .` in a home folder, OUT set to
the delivery, OUT on an existing file, a file a user put inside an earlier OUT.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mpg.pipeline.errors import UsageError

MARKER = ".mpg-folder.json"
KINDS = {"out": "the output folder (--out)", "publication": "the publication folder (--publish)",
         "tuning": "the tuning folder (--out of mpg tune)"}


def _inside(a: Path, b: Path) -> bool:
    """a is b or lies inside b."""
    return a == b or b in a.parents


def check_folder(folder: Path, kind: str, *, inputs: Iterable[Path] = ()) -> Path:
    """The resolved folder, when this tool may write `kind` there; else a UsageError that
    says why. `inputs` (a delivery, a run's OUT) may neither contain nor be the folder, nor
    lie inside it."""
    what = KINDS[kind]
    folder = Path(folder).expanduser()
    resolved = folder.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if _inside(resolved, source) or _inside(source, resolved):
            raise UsageError(
                f"{what} {folder} would overlap {source}: choose a folder outside it (and not "
                "around it); results never go into or over the files they are made from")
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"{what} {folder} is a file; give the path of a folder (it is "
                         "created when it does not exist)")
    if not resolved.exists():
        return resolved
    entries = sorted(p.name for p in resolved.iterdir())
    if not entries:
        return resolved
    marker = read_marker(resolved) or _earlier_version(resolved, kind, entries)
    if marker is None or marker.get("kind") != kind:
        raise UsageError(
            f"{what} {folder} already holds files that this tool did not write "
            f"({_some(entries)}); it replaces only its own earlier results. Give a new or "
            "empty folder, or the folder of an earlier result")
    # ".mpg-..." is this tool's own hidden work (a tuning run's private folder)
    foreign = [e for e in entries if e != MARKER and not e.startswith(".mpg-")
               and e not in set(marker.get("files", []))]
    if foreign:
        raise UsageError(
            f"{what} {folder} holds files that an earlier result did not have "
            f"({_some(foreign)}); they would be lost when it is replaced. Move them out first")
    return resolved


# What an OUT of the versions before the marker held: recognised by its run.json.
_LEGACY_OUT = {"summary.json", "neighbourhoods.csv", "households.parquet", "rejects.csv",
               "links.parquet", "run.json", "run.duckdb", "linkage_model.json",
               "identifying.duckdb"}


def _earlier_version(folder: Path, kind: str, entries: list[str]) -> dict | None:
    """An OUT written before folders carried a marker: only the files such a run wrote, and
    a run.json that says which version of this tool wrote it."""
    if kind != "out" or not set(entries) <= _LEGACY_OUT:
        return None
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(run, dict) or "tool_version" not in run:
        return None
    return {"kind": "out", "files": entries}


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(folder: Path, kind: str, files: Iterable[str] | None = None) -> None:
    """Mark `folder` as this tool's: what it wrote there (by default everything in it)."""
    from mpg import __version__

    names = sorted(set(files if files is not None else
                       (p.name for p in folder.iterdir() if p.name != MARKER)))
    (folder / MARKER).write_text(json.dumps({"tool": "mpg", "version": __version__,
                                             "kind": kind, "files": names}, indent=2) + "\n",
                                 encoding="utf-8")


@contextmanager
def private_files() -> Iterator[None]:
    """Everything created inside is readable by its owner only, from the first byte (a
    umask, not a chmod afterwards): a run's OUT and work folder, a tuning folder, a review
    store, a key file all may hold identifiers."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def record_written(folder: Path, kind: str, written: Iterable[Path]) -> None:
    """Add what the tool just wrote into `folder` (a publication folder gathers several
    runs' files) to its marker."""
    folder = Path(folder)
    earlier = (read_marker(folder) or {}).get("files", [])
    names = {Path(p).relative_to(folder).parts[0] for p in written}
    write_marker(folder, kind, [*earlier, *names])
