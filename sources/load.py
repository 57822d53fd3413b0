"""Stage `load`: every file of the delivery into canonical tables.

Reads the manifest's register files and agency sources, renames mapped columns to the
canonical fields of delivery.md, parses dates in each file's declared format, normalises
sex, postcodes, house numbers and BSNs, and splits usable rows from rejected ones.

Writes `ident.register_persons`, `ident.register_residences`, `ident.records` (identifying),
and `neighbourhoods`, `rejects`, `source_files` (no personal data). For every file,
rows in = rows loaded + rows rejected; a file whose content was already loaded is skipped
and reported, never loaded twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from mpg.pipeline.config import (NEIGHBOURHOOD_FIELDS, NEIGHBOURHOOD_REQUIRED, PERSON_FIELDS,
                             PERSON_REQUIRED, RECORD_FIELDS, RECORD_REQUIRED,
                             RESIDENCE_FIELDS, RESIDENCE_REQUIRED, Manifest, SourceSection)
from mpg.pipeline.context import RunContext
from mpg.pipeline.errors import ConfigError, DeliveryError
from mpg.sources.readers import ROW, RawTable, file_sha256, read_file

ISO = "%Y-%m-%d"
DATE_FIELDS = {"birth_date", "contact_date", "end_date", "start_date"}

# Canonical tables, created empty so that a delivery without some file still runs.
SCHEMA = """
CREATE OR REPLACE TABLE ident.register_persons (
    person_id VARCHAR, bsn VARCHAR, surname VARCHAR, prefix VARCHAR, given_names VARCHAR,
    birth_date DATE, sex VARCHAR, origin VARCHAR, mother_id VARCHAR, father_id VARCHAR);
CREATE OR REPLACE TABLE ident.register_residences (
    person_id VARCHAR, address_id VARCHAR, postcode VARCHAR, house_number INTEGER,
    house_number_addition VARCHAR, street VARCHAR, city VARCHAR, neighbourhood_code VARCHAR,
    start_date DATE, end_date DATE);
CREATE OR REPLACE TABLE ident.records (
    record_key BIGINT, agency VARCHAR, file VARCHAR, row_number INTEGER, record_id VARCHAR,
    client_id VARCHAR, bsn VARCHAR, surname VARCHAR, prefix VARCHAR, given_names VARCHAR,
    birth_date DATE, sex VARCHAR, postcode VARCHAR, house_number INTEGER,
    house_number_addition VARCHAR, contact_date DATE, end_date DATE,
    neighbourhood_code VARCHAR, is_anonymous BOOLEAN, in_window BOOLEAN);
CREATE OR REPLACE TABLE neighbourhoods (neighbourhood_code VARCHAR, neighbourhood_name VARCHAR);
CREATE OR REPLACE TABLE rejects (file VARCHAR, "row" BIGINT, reason VARCHAR);
CREATE OR REPLACE TABLE source_files (
    file VARCHAR, agency VARCHAR, sha256 VARCHAR, duplicate_of VARCHAR, rows_in BIGINT,
    rows_loaded BIGINT, rows_rejected BIGINT, first_date DATE, last_date DATE,
    unreadable_birth_dates BIGINT);
"""

# Sex as agencies write it (M/V/O/m/f/man/vrouw/...) onto the register's M, V, O.
SEX_SQL = """CASE
    WHEN upper(trim({v})) IN ('M', 'MAN', 'MALE', 'J', 'JONGEN', 'H', 'HEER') THEN 'M'
    WHEN upper(trim({v})) IN ('V', 'F', 'VROUW', 'FEMALE', 'W', 'MEISJE', 'MEVROUW') THEN 'V'
    WHEN upper(trim({v})) IN ('O', 'X', 'U', 'ONBEKEND', 'OVERIG', 'ANDERS') THEN 'O'
    END"""


@dataclass(frozen=True)
class _Table:
    """One delivery file about to be loaded into a canonical table."""

    display: str  # the manifest's path, used in messages and rejects.csv
    path: Path
    agency: str  # agency code, or REGISTER_* for register files
    fields: tuple[str, ...]
    required: tuple[str, ...]
    mapping: dict[str, str]
    date_format: str = ISO
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None

    def column(self, field: str) -> str:
        return self.mapping.get(field, field)


def _resolve(manifest: Manifest, relative: str) -> Path:
    try:
        return manifest.resolve(relative)
    except (ValueError, OSError):  # a NUL character, a path the OS cannot hold
        raise ConfigError(f"The delivery manifest names the file {relative!r}, which is not a "
                          "usable path") from None


def _register_tables(manifest: Manifest) -> list[tuple[str, _Table]]:
    reg = manifest.population_register
    tables = [
        ("persons", _Table(reg.persons, _resolve(manifest, reg.persons), "REGISTER_PERSONS",
                           PERSON_FIELDS, PERSON_REQUIRED + ("birth_date",),
                           reg.persons_columns)),
        ("residences", _Table(reg.residences, _resolve(manifest, reg.residences),
                              "REGISTER_RESIDENCES", RESIDENCE_FIELDS, RESIDENCE_REQUIRED,
                              reg.residences_columns)),
    ]
    if reg.neighbourhoods:
        tables.append(("neighbourhoods", _Table(
            reg.neighbourhoods, _resolve(manifest, reg.neighbourhoods),
            "REGISTER_NEIGHBOURHOODS", NEIGHBOURHOOD_FIELDS, NEIGHBOURHOOD_REQUIRED,
            reg.neighbourhoods_columns)))
    return tables


def _source_table(manifest: Manifest, source: SourceSection) -> _Table:
    return _Table(source.path, _resolve(manifest, source.path), source.agency.value,
                  RECORD_FIELDS, RECORD_REQUIRED, source.columns, source.date_format,
                  source.delimiter, source.encoding, source.sheet)


def _check_date_format(con: duckdb.DuckDBPyConnection, spec: _Table) -> None:
    """The manifest's date format must be one DuckDB can parse with (config.py only checks
    that it has a directive): a bad one is a manifest error, found before any file is read."""
    try:
        con.execute("SELECT try_strptime('2000-01-01', ?), strftime(DATE '2000-01-01', ?)",
                    [spec.date_format, spec.date_format]).fetchall()
    except (duckdb.Error, UnicodeError):  # DuckDB 2.0.1 can cut its own message inside a
        # character of a non-ASCII format, and Python then cannot decode the message
        raise ConfigError(
            f"{spec.display}: the date_format {spec.date_format!r} in the manifest is not a "
            "usable date format; write it with directives such as %d, %m, %Y, %b "
            '(for example "%d-%m-%Y")') from None


def load(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> list[str]:
    """Load the register and every agency source of `ctx.manifest`."""
    manifest = ctx.manifest
    con.execute(SCHEMA)
    sources = [_source_table(manifest, s) for s in manifest.source]
    for spec in sources:
        _check_date_format(con, spec)
    # The register is read before anything is loaded; a source file that cannot be read
    # stops the run when its turn comes (everything is still in the staging folder).
    register = [(kind, spec, _read(spec), file_sha256(spec.path))
                for kind, spec in _register_tables(manifest)]
    seen_hashes: dict[str, str] = {}
    for _, spec, _, digest in register:
        seen_hashes.setdefault(digest, spec.display)
    loaders = {"persons": _load_persons, "residences": _load_residences,
               "neighbourhoods": _load_neighbourhoods}
    for kind, spec, raw, digest in register:
        _load_file(con, spec, raw, loaders[kind], digest)
    run = manifest.run
    for spec in sources:
        raw = _read(spec)  # a file that is missing or unreadable stops the run here
        digest = file_sha256(spec.path)
        duplicate_of = seen_hashes.get(digest)
        if duplicate_of is not None:
            _record_file(con, spec, digest, duplicate_of,
                         rows_in=raw.table.num_rows + len(raw.ragged_rows))
            continue
        seen_hashes[digest] = spec.display
        _load_file(con, spec, raw,
                   lambda c, s, cols: _load_records(c, s, cols, run.window_start, run.window_end),
                   digest)
    return ["ident.register_persons", "ident.register_residences", "ident.records",
            "neighbourhoods", "rejects", "source_files"]


def _read(spec: _Table) -> RawTable:
    raw = read_file(spec.path, spec.display, delimiter=spec.delimiter, encoding=spec.encoding,
                    date_format=spec.date_format, sheet=spec.sheet)
    names = set(raw.table.column_names)
    for field in spec.fields:
        column = spec.column(field)
        if column in names:
            continue
        if field in spec.mapping:
            # The header is listed only when it is one: when no column the manifest names is
            # there, the first row is probably data (a file without its header row), and
            # its values must not appear in a message.
            known = {spec.column(f) for f in spec.fields} & names
            found = (f"the file has the columns {sorted(names - {ROW})}" if known else
                     f"none of the columns the manifest names is in the first row of its "
                     f"{len(names - {ROW})} columns: does the file lack its header row?")
            raise DeliveryError(
                f"{spec.display}: column {column!r} (mapped to {field} in the manifest) is not in "
                f"the file; {found}")
        if field in spec.required:
            raise DeliveryError(
                f"{spec.display}: there is no column for the required field {field}; add "
                f"{field} = \"<column name>\" to this file's column mapping in the manifest")
    return raw


def _text(alias: str) -> str:
    return f"NULLIF(trim(CAST({alias} AS VARCHAR)), '')"


def _literal(text: str) -> str:
    """`text` inside a single-quoted SQL string (column names and formats come from files)."""
    return text.replace("'", "''")


def _aliases(names: list[str]) -> dict[str, str]:
    """SQL names for a file's columns by position: DuckDB matches identifiers without regard
    to case (a file with "Naam" and "naam" would read the wrong one) and a header may hold
    any character, quotes included."""
    return {name: f"c{index}" for index, name in enumerate(names)}


def _select_list(spec: _Table, columns: dict[str, str]) -> str:
    """Canonical fields as text (`<field>_text`) and parsed (`<field>`), in SQL; `columns`
    maps the file's column names to their SQL aliases."""
    parts = [f"{columns[ROW]} AS row_number"]
    for field in spec.fields:
        column = spec.column(field)
        text = _text(columns[column]) if column in columns else "CAST(NULL AS VARCHAR)"
        if field in DATE_FIELDS:
            fmt = _literal(spec.date_format)
            parts.append(f"{text} AS {field}_text")
            # DuckDB's strptime takes "infinity", "-infinity" and "epoch" in any format;
            # a date in a declared format has digits.
            parsed = f"try_strptime({text}, '{fmt}')"
            parts.append(f"CAST(CASE WHEN regexp_matches({text}, '[0-9]') AND "
                         f"isfinite({parsed}) THEN {parsed} END AS DATE) AS {field}")
        else:
            parts.append(f"{text} AS {field}")
    return ",\n  ".join(parts)


def _reason_sql(spec: _Table, key: str | None) -> str:
    """SQL for why a row is unusable (NULL = usable). Names columns, never values."""
    checks = []
    fmt = _literal(spec.date_format)
    for field in spec.required:
        column = _literal(spec.column(field))
        if field in DATE_FIELDS:
            checks.append(f"CASE WHEN {field}_text IS NULL THEN '{field} (column {column}) is "
                          f"empty' WHEN {field} IS NULL THEN '{field} (column {column}) is not a "
                          f"date in the format {fmt}' END")
        else:
            checks.append(f"CASE WHEN {field} IS NULL THEN 'no {field} (column {column})' END")
    if "end_date" in spec.fields:
        column = _literal(spec.column("end_date"))
        checks.append(f"CASE WHEN end_date_text IS NOT NULL AND end_date IS NULL THEN 'end_date "
                      f"(column {column}) is not a date in the format {fmt}' END")
    if key is not None:
        checks.append(f"CASE WHEN {key} IS NOT NULL AND row_number <> first_row THEN '{key} "
                      f"already used in row ' || first_row END")
    return "NULLIF(concat_ws('; ', " + ", ".join(checks) + "), '')"


def _load_file(con, spec: _Table, raw: RawTable, loader, digest: str) -> None:
    columns = _aliases(raw.table.column_names)
    con.register("raw_file", raw.table.rename_columns(list(columns.values())))
    try:
        key = {"persons": "person_id", "records": "record_id",
               "neighbourhoods": "neighbourhood_code"}.get(_kind(spec))
        window = (f", min(row_number) OVER (PARTITION BY {key}) AS first_row" if key else "")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE parsed AS
            SELECT *, {_reason_sql(spec, key)} AS reason FROM (
                SELECT *{window} FROM (SELECT {_select_list(spec, columns)} FROM raw_file))""")
        con.execute("INSERT INTO rejects SELECT ?, row_number, reason FROM parsed "
                    "WHERE reason IS NOT NULL ORDER BY row_number", [spec.display])
        if raw.ragged_rows:
            con.executemany("INSERT INTO rejects VALUES (?, ?, ?)",
                            [(spec.display, row, "the row does not have one value per column "
                              "of the header (check quotes and the delimiter)")
                             for row in raw.ragged_rows])
        loader(con, spec, columns)
        rows_in = raw.table.num_rows + len(raw.ragged_rows)
        _record_file(con, spec, digest, None, rows_in=rows_in)
    finally:
        con.unregister("raw_file")
        con.execute("DROP TABLE IF EXISTS parsed")


def _kind(spec: _Table) -> str:
    return {"REGISTER_PERSONS": "persons", "REGISTER_RESIDENCES": "residences",
            "REGISTER_NEIGHBOURHOODS": "neighbourhoods"}.get(spec.agency, "records")


def _record_file(con, spec: _Table, digest: str | None, duplicate_of: str | None,
                 rows_in: int) -> None:
    """One row of `source_files`; checks that no row vanished."""
    if duplicate_of is not None:
        con.execute("INSERT INTO source_files VALUES (?, ?, ?, ?, ?, 0, 0, NULL, NULL, 0)",
                    [spec.display, spec.agency, digest, duplicate_of, rows_in])
        return
    rejected = con.execute("SELECT count(*) FROM rejects WHERE file = ?",
                           [spec.display]).fetchall()[0][0]
    # The date range of an agency file (its contact dates). Not of register files: the
    # latest residence start is often a newborn's birth date, and run.duckdb holds none.
    dates = "contact_date" if _kind(spec) == "records" else None
    first, last, unreadable = con.execute(
        f"SELECT {f'min({dates}), max({dates})' if dates else 'NULL, NULL'}, "
        f"{'count(*) FILTER (birth_date_text IS NOT NULL AND birth_date IS NULL)' if 'birth_date' in spec.fields else '0'} "
        "FROM parsed WHERE reason IS NULL").fetchall()[0]
    loaded = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL").fetchall()[0][0]
    if loaded + rejected != rows_in:
        raise AssertionError(f"{spec.display}: {rows_in} rows in, {loaded} loaded and "
                             f"{rejected} rejected")
    con.execute("INSERT INTO source_files VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                [spec.display, spec.agency, digest, rows_in, loaded, rejected, first, last,
                 unreadable])


def _postcode(expr: str) -> str:
    return f"NULLIF(upper(regexp_replace({expr}, '[^0-9A-Za-z]', '', 'g')), '')"


def _house_number(number: str, addition: str) -> tuple[str, str]:
    """'12', '12a', '12-2', '12 bis' -> (12, 'A' / '2' / 'BIS'); an explicit addition wins."""
    parsed = f"TRY_CAST(NULLIF(regexp_extract({number}, '^\\s*(\\d+)', 1), '') AS INTEGER)"
    trailing = f"NULLIF(upper(regexp_replace(regexp_extract({number}, '^\\s*\\d+\\s*[-/ ]?\\s*(.*)$', 1), '\\s', '', 'g')), '')"
    explicit = f"NULLIF(upper(regexp_replace({addition}, '\\s', '', 'g')), '')"
    return parsed, f"coalesce({explicit}, {trailing})"


def _bsn(expr: str) -> str:
    # Spreadsheets drop a BSN's leading zero; 8 digits are padded back to 9.
    digits = f"regexp_replace({expr}, '[^0-9]', '', 'g')"
    return f"NULLIF(CASE WHEN length({digits}) = 8 THEN '0' || {digits} ELSE {digits} END, '')"


def _load_persons(con, spec: _Table, columns: set[str]) -> None:
    con.execute(f"""
        INSERT INTO ident.register_persons
        SELECT person_id, {_bsn('bsn')}, surname, prefix, given_names, birth_date,
               {SEX_SQL.format(v='sex')}, origin, mother_id, father_id
        FROM parsed WHERE reason IS NULL ORDER BY row_number""")


def _load_residences(con, spec: _Table, columns: set[str]) -> None:
    number, addition = _house_number("house_number", "house_number_addition")
    con.execute(f"""
        INSERT INTO ident.register_residences
        SELECT person_id, address_id, {_postcode('postcode')}, {number}, {addition}, street,
               city, neighbourhood_code, start_date, end_date
        FROM parsed WHERE reason IS NULL ORDER BY row_number""")


def _load_neighbourhoods(con, spec: _Table, columns: set[str]) -> None:
    con.execute("INSERT INTO neighbourhoods SELECT neighbourhood_code, neighbourhood_name "
                "FROM parsed WHERE reason IS NULL ORDER BY row_number")


def _load_records(con, spec: _Table, columns: set[str], window_start, window_end) -> None:
    number, addition = _house_number("house_number", "house_number_addition")
    # An anonymous care-network report has no surname, no birth date and no BSN.
    anonymous = ("agency = 'ZORGNETWERK' AND surname IS NULL AND birth_date_text IS NULL "
                 "AND bsn IS NULL")
    con.execute(f"""
        INSERT INTO ident.records
        SELECT (SELECT coalesce(max(record_key), 0) FROM ident.records) + row_number,
               agency, ?, row_number, record_id, client_id, {_bsn('bsn')}, surname, prefix,
               given_names, birth_date, {SEX_SQL.format(v='sex')}, {_postcode('postcode')},
               {number}, {addition}, contact_date, end_date, neighbourhood_code,
               {anonymous},
               contact_date <= ?::DATE
                 AND (contact_date >= ?::DATE OR end_date IS NULL OR end_date >= ?::DATE)
        FROM (SELECT ? AS agency, * FROM parsed WHERE reason IS NULL) ORDER BY row_number""",
        [spec.display, window_end, window_start, window_start, spec.agency])
