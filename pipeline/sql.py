"""SQL helpers: the only way a name, a path or a value from a user reaches DuckDB.

Values go in as parameters (`?` / `$name`) wherever DuckDB takes one. Where it does not
(a table or column name, the path of ATTACH), the text is quoted here, by one function for
identifiers and one for string literals. Files are written through DuckDB's relation API,
so a path is an argument, never part of the SQL text.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier: "my ""odd"" column"."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as a SQL string literal: 'O''Brien'. For the few places DuckDB takes no
    parameter (ATTACH, a macro body, the pattern of a regular expression built once)."""
    return "'" + str(text).replace("'", "''") + "'"


def qualified(*parts: str) -> str:
    """ident.register_persons -> "ident"."register_persons"."""
    return ".".join(identifier(p) for p in parts)


def table_name(name: str) -> str:
    """A table named as the stages name them ("ident.links", "households"), quoted."""
    return qualified(*name.split(".", 1))


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None
           ) -> Any:
    # fetchall, never fetchone: DuckDB 2 refuses a new query while a result is unfinished.
    return con.execute(sql, params or []).fetchall()[0][0]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    database, _, table = name.rpartition(".")
    return bool(scalar(con, """
        SELECT count(*) FROM duckdb_tables()
        WHERE table_name = ? AND database_name = coalesce(nullif(?, ''), current_database())
          AND NOT temporary""", [table, database]))


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return int(scalar(con, f"SELECT count(*) FROM {table_name(name)}"))


def write_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path,
                  params: Sequence[Any] | dict | None = None) -> None:
    con.sql(query, params=params).write_parquet(str(path))


def write_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path,
              params: Sequence[Any] | dict | None = None) -> None:
    con.sql(query, params=params).write_csv(str(path), header=True, sep=",")


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, *,
           read_only: bool = False) -> None:
    """ATTACH takes no parameter: the path is quoted as a literal."""
    options = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH {literal(Path(path).as_posix())} AS {identifier(alias)}{options}")


def detach(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    con.execute(f"DETACH {identifier(alias)}")


def values_table(con: duckdb.DuckDBPyConnection, name: str, columns: Sequence[tuple[str, str]],
                 rows: Iterable[Sequence[Any]]) -> None:
    """A temporary table `name` (columns: (name, type)) holding `rows`, inserted as
    parameters: how lists from the rules file (agencies and their sources) reach SQL."""
    spec = ", ".join(f"{identifier(c)} {t}" for c, t in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {identifier(name)} ({spec})")
    rows = [tuple(r) for r in rows]
    if rows:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {identifier(name)} VALUES ({marks})", rows)
