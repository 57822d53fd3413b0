"""Stage-level tests without files: an in-memory run database filled with canonical rows.

    con = memory_db(persons=[...], residences=[...], records=[...])
    ctx = memory_context(tmp_path)
    run_stage(con, ctx, standardise.STAGE)

Rows are dicts by canonical column (pipeline.contracts); missing columns are NULL. Values
are what `load` would have written: text as text (trimmed), dates as dates.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import duckdb

from mpg.pipeline import contracts
from mpg.pipeline.config import LinkageSettings, Manifest, Rules
from mpg.pipeline.context import RunContext

REFERENCE_DATE = dt.date(2003, 9, 1)
WINDOW = (dt.date(2003, 1, 1), dt.date(2004, 6, 30))


def manifest(folder: Path, reference_date: dt.date = REFERENCE_DATE,
             window: tuple[dt.date, dt.date] = WINDOW) -> Manifest:
    return Manifest.model_validate({
        "run": {"name": "MEMORY", "reference_date": reference_date,
                "window_start": window[0], "window_end": window[1]},
        "register": {"persons": "persons.csv", "residences": "residences.csv"},
        "folder": str(folder)})


def memory_context(tmp_path: Path, *, rules: Rules | None = None,
                   linkage: LinkageSettings | None = None, review_db: Path | None = None,
                   reference_date: dt.date = REFERENCE_DATE,
                   window: tuple[dt.date, dt.date] = WINDOW,
                   pseudonym_key: bytes = b"test-key-not-secret-0001") -> RunContext:
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    return RunContext.create(manifest(tmp_path, reference_date, window), tmp_path,
                             rules=rules, linkage=linkage, stage_out=out,
                             pseudonym_key=pseudonym_key, review_db=review_db)


def memory_db(persons: Iterable[dict[str, Any]] = (), residences: Iterable[dict[str, Any]] = (),
              records: Iterable[dict[str, Any]] = (), *,
              window: tuple[dt.date, dt.date] = WINDOW) -> duckdb.DuckDBPyConnection:
    """The tables `load` writes, filled with these rows. A record gets record_key, agency
    MJD, file f.csv, record_id R<n>, contact date 2003-05-01 unless given; its in_window
    follows from its dates and the window."""
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    for table in contracts.LOADED:
        table.create(con)
    contracts.REGISTER_PERSONS.insert(con, list(persons))
    contracts.REGISTER_RESIDENCES.insert(
        con, [{"neighbourhood_code": "WK01"} | _text(r, "house_number") for r in residences])
    rows = []
    for i, r in enumerate(records, start=1):
        row = {"record_key": i, "agency": "MJD", "file": "f.csv", "row_number": i,
               "record_id": f"R{i}", "contact_date": dt.date(2003, 5, 1)} | _text(
                   r, "house_number")
        row.setdefault("birth_date_written", row.get("birth_date") is not None)
        start, end = row["contact_date"], row.get("end_date")
        row.setdefault("in_window", start <= window[1] and (start >= window[0] or end is None
                                                             or end >= window[0]))
        rows.append(row)
    contracts.RECORDS.insert(con, rows)
    return con


def _text(row: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: (str(v) if k in fields and v is not None else v) for k, v in row.items()}
