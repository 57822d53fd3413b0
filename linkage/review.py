"""Clerical review: an analyst's decisions on record-person pairs, obeyed by later runs.

`linkage.tune.tune` writes `identifying_clerical_review.csv` with the pairs nearest the
threshold and an empty `decision` column. The analyst fills in `match` or `non_match`
(`ja`/`nee`, `yes`/`no` also do) and imports the file:

    import_reviews("identifying_clerical_review.csv", "reviews.duckdb")

The store is a DuckDB file with one table `reviews`; it holds register numbers and agency
record ids, so it is identifying and stays inside the bureau. A decision is keyed by
(agency, file, record_id, person_id) — not by record_key, which changes between runs — and
the latest import wins. `link` obeys the store given as `ctx.review_db`:
  match      the record links to that person (match_key "review"), before any other pass
  non_match  the record never links to that person; it may still link to another one
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

from mpg.linkage.link import DECIDED_COLUMNS
from mpg.pipeline import sql
from mpg.pipeline.folders import private_files
from mpg.pipeline.errors import DeliveryError, UsageError

REQUIRED = ("agency", "file", "record_id", "person_id", "decision")
DECISIONS = {"match": "match", "non_match": "non_match", "nonmatch": "non_match",
             "non-match": "non_match", "ja": "match", "nee": "non_match", "yes": "match",
             "no": "non_match", "y": "match", "n": "non_match", "j": "match"}

_SCHEMA = """CREATE TABLE IF NOT EXISTS {db}reviews (agency VARCHAR, file VARCHAR,
    record_id VARCHAR, person_id VARCHAR, decision VARCHAR, imported_at TIMESTAMP,
    source VARCHAR, line INTEGER)"""


def import_reviews(csv_path: str | Path, store_path: str | Path) -> dict[str, int]:
    """Add the decided rows of a review CSV to the store; rows with an empty decision are
    skipped. Returns counts {"match": n, "non_match": n, "skipped": n}. A decision that is
    not understood stops the import (naming the line) before anything is stored."""
    csv_path, store_path = Path(csv_path), Path(store_path)
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(4096)
            fh.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            reader = csv.DictReader(fh, dialect=dialect)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise DeliveryError(f"The review file {csv_path} lacks the column(s) "
                                    f"{', '.join(missing)}; it needs {', '.join(REQUIRED)}")
            rows, skipped = [], 0
            for line, row in enumerate(reader, start=1):
                raw = (row.get("decision") or "").strip().lower()
                if not raw:
                    skipped += 1
                    continue
                if raw not in DECISIONS:
                    raise UsageError(f"The review file {csv_path}, row {line}: the decision "
                                     "must be match or non_match")
                if not all((row.get(c) or "").strip() for c in REQUIRED[:4]):
                    raise UsageError(f"The review file {csv_path}, row {line}: agency, file, "
                                     "record_id and person_id must all be filled in")
                rows.append(tuple((row[c] or "").strip() for c in REQUIRED[:4])
                            + (DECISIONS[raw], line))
    except FileNotFoundError:
        raise UsageError(f"The review file {csv_path} does not exist") from None
    except UnicodeDecodeError:
        raise DeliveryError(f"The review file {csv_path} is not utf-8 text") from None
    now = dt.datetime.now().replace(microsecond=0)
    with private_files():  # register numbers and record ids: the analyst's eyes only
        store_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(store_path))
        try:
            con.execute(_SCHEMA.format(db=""))
            if rows:
                con.executemany("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [r[:5] + (now, csv_path.name, r[5]) for r in rows])
        finally:
            con.close()
    counts = {"match": 0, "non_match": 0, "skipped": skipped}
    for r in rows:
        counts[r[4]] += 1
    return counts


def latest_decisions_sql(db: str) -> str:
    """The latest decision per pair in store `db` (an attached database name)."""
    return f"""
        SELECT agency, file, record_id, person_id, decision FROM (
            SELECT *, row_number() OVER (PARTITION BY agency, file, record_id, person_id
                                         ORDER BY imported_at DESC, line DESC) AS nr
            FROM {db}.reviews) WHERE nr = 1"""


def check_store(path: str | Path) -> dict:
    """What run.json records of a review store given with --reviews: its path, sha256 and
    the number of decisions a run obeys. A store that is missing or no store stops the run
    before anything is read (UsageError)."""
    from mpg.sources.readers import file_sha256

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"The review store {path} does not exist; `mpg review import FILE "
                         f"--store {path}` makes it")
    con = duckdb.connect()
    try:
        try:
            sql.attach(con, path, "mpg_reviews", read_only=True)
            counts = dict(con.execute(f"""SELECT decision, count(*) FROM
                ({latest_decisions_sql('mpg_reviews')}) GROUP BY ALL""").fetchall())
        except duckdb.Error:
            raise UsageError(f"{path} is not a review store written by `mpg review import`"
                             ) from None
    finally:
        con.close()
    return {"path": str(path.resolve()), "sha256": file_sha256(path),
            "decisions": sum(counts.values()), "match": counts.get("match", 0),
            "non_match": counts.get("non_match", 0)}


def apply_reviews(con: duckdb.DuckDBPyConnection, review_db: str | Path, decided: str,
                  vetoes: str) -> None:
    """Put reviewed matches into `decided` and reviewed non-matches into `vetoes`."""
    path = Path(review_db)
    if not path.exists():
        raise UsageError(f"The review store {path} does not exist; import decisions first")
    sql.attach(con, path, "mpg_reviews", read_only=True)
    try:
        con.execute(f"""
            CREATE OR REPLACE TABLE ident._reviews AS
            SELECT r.record_key, d.person_id, d.decision
            FROM ({latest_decisions_sql('mpg_reviews')}) d
            JOIN ident.records_std r ON r.agency = d.agency AND r.file = d.file
                 AND r.record_id = d.record_id
            WHERE d.person_id IN (SELECT person_id FROM ident.persons_std)
        """)
    finally:
        sql.detach(con, "mpg_reviews")
    con.execute(f"""INSERT INTO {vetoes} SELECT record_key, person_id FROM ident._reviews
                    WHERE decision = 'non_match'""")
    # Two "match" decisions for one record with different persons contradict each other:
    # neither is obeyed and the record goes through the other passes.
    con.execute(f"""
        INSERT INTO {decided} ({DECIDED_COLUMNS})
        SELECT record_key, min(person_id), 1.0, 'review' FROM ident._reviews
        WHERE decision = 'match' GROUP BY record_key HAVING count(DISTINCT person_id) = 1
    """)
    con.execute("DROP TABLE ident._reviews")
