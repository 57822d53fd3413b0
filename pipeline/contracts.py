"""The tables stages hand each other, defined once: load creates them from here, and the
tests and the bench build them from here too, so no copy of a column list can drift.

Tables in `ident` hold identifying data (names, BSNs, birth dates, addresses) and live in
the run's in-memory identifying database; the others are pseudonymised or hold counts only.
The columns of the tables later stages write are documented in the stage that writes them
and listed in its declaration (`pipeline.stage.Stage`).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mpg.pipeline import sql


@dataclass(frozen=True)
class Table:
    name: str  # "ident.records": database.table, or a table of the run's main database
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def create(self, con: duckdb.DuckDBPyConnection) -> None:
        spec = ", ".join(f"{sql.identifier(c)} {t}" for c, t in self.columns)
        con.execute(f"CREATE OR REPLACE TABLE {sql.table_name(self.name)} ({spec})")

    def insert(self, con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
        """Rows as dicts by column name (missing = NULL): for tests and the bench."""
        if not rows:
            return
        marks = ", ".join("?" for _ in self.columns)
        con.executemany(f"INSERT INTO {sql.table_name(self.name)} VALUES ({marks})",
                        [[row.get(c) for c in self.column_names] for row in rows])


def _text(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, "VARCHAR") for n in names)


# Written by `load`: the delivery as it was written, text as text, dates parsed in each
# file's declared format (nothing else is normalised there: that is standardise's work).
REGISTER_PERSONS = Table("ident.register_persons", (
    *_text("person_id", "bsn", "surname", "prefix", "given_names"), ("birth_date", "DATE"),
    *_text("sex", "origin", "mother_id", "father_id")))
REGISTER_RESIDENCES = Table("ident.register_residences", (
    *_text("person_id", "address_id", "postcode", "house_number", "house_number_addition",
           "street", "city", "neighbourhood_code"),
    ("start_date", "DATE"), ("end_date", "DATE")))
REGISTER_NEIGHBOURHOODS = Table("register_neighbourhoods", _text("neighbourhood_code",
                                                                 "neighbourhood_name"))
RECORDS = Table("ident.records", (
    ("record_key", "BIGINT"), *_text("agency", "file"), ("row_number", "INTEGER"),
    *_text("record_id", "client_id", "bsn", "surname", "prefix", "given_names"),
    ("birth_date", "DATE"),
    # The row had something in its birth-date column, readable or not: a care-network
    # report with a birth date nobody can read is still not anonymous.
    ("birth_date_written", "BOOLEAN"),
    *_text("sex", "postcode", "house_number", "house_number_addition"),
    ("contact_date", "DATE"), ("end_date", "DATE"), ("neighbourhood_code", "VARCHAR"),
    ("in_window", "BOOLEAN")))
REJECTS = Table("rejects", (("file", "VARCHAR"), ("row", "BIGINT"), ("reason", "VARCHAR")))
SOURCE_FILES = Table("source_files", (
    *_text("file", "agency", "sha256", "duplicate_of"), ("rows_in", "BIGINT"),
    ("rows_loaded", "BIGINT"), ("rows_rejected", "BIGINT"), ("first_date", "DATE"),
    ("last_date", "DATE"), ("unreadable_birth_dates", "BIGINT")))
# Counted facts of the load that are neither rows nor rejects (run.json shows them).
LOAD_NOTES = Table("load_notes", (("note", "VARCHAR"), ("file", "VARCHAR"), ("n", "BIGINT")))

LOADED = (REGISTER_PERSONS, REGISTER_RESIDENCES, REGISTER_NEIGHBOURHOODS, RECORDS, REJECTS,
          SOURCE_FILES, LOAD_NOTES)
