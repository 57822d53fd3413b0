"""Stage `load`: every file of the delivery into canonical tables.

Reads the manifest's register files and agency sources, renames mapped columns to the
canonical fields of delivery.md, parses dates in each file's declared format and splits
usable rows from rejected ones. Text stays as the agency wrote it (trimmed): BSNs, sex,
postcodes, house numbers and neighbourhood codes are normalised once, by `standardise`.

Writes the tables of `pipeline.contracts.LOADED`: `ident.register_persons`,
`ident.register_residences`, `ident.records` (identifying), and `register_neighbourhoods`,
`rejects`, `source_files`, `load_notes` (no personal data). For every file, rows in = rows
loaded + rows rejected; a file whose content was already loaded is skipped and reported,
never loaded twice, and a record id an agency already delivered in another file is not
loaded twice either.

Work is bounded by the window and the register, not by what an agency typed: a date before
1850 or after 2100 is no date (a reject where the date is required), and the end date
9999-12-31 that many systems write for "still open" reads as no end date.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from mpg.pipeline import contracts, sql
from mpg.pipeline.config import (NEIGHBOURHOOD_FIELDS, NEIGHBOURHOOD_REQUIRED, PERSON_FIELDS,
                                 PERSON_REQUIRED, RECORD_FIELDS, RECORD_REQUIRED,
                                 RESIDENCE_FIELDS, RESIDENCE_REQUIRED, Manifest, Rules,
                                 SourceSection)
from mpg.pipeline.context import RunContext
from mpg.pipeline.errors import ConfigError, DeliveryError
from mpg.pipeline.stage import Stage
from mpg.sources.readers import ROW, RawTable, file_sha256, read_file

ISO = "%Y-%m-%d"
DATE_FIELDS = {"birth_date", "contact_date", "end_date", "start_date"}
# Dates outside these are typing errors or placeholders, never a contact or a birth.
EARLIEST, LATEST = "1850-01-01", "2100-12-31"
OPEN_END = "9999-12-31"  # "no end date" in many agency systems

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


def load(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict:
    """Load the register and every agency source of `ctx.manifest`."""
    manifest = ctx.manifest
    for table in contracts.LOADED:
        table.create(con)
    sources = [_source_table(manifest, s) for s in manifest.source]
    for spec in sources:
        _check_date_format(con, spec)
    register_tables = _register_tables(manifest)
    _distinct_register_files(register_tables)
    # The register is read before anything is loaded; a source file that cannot be read
    # stops the run when its turn comes (everything is still in the staging folder).
    register = [(kind, spec, _read(spec), file_sha256(spec.path))
                for kind, spec in register_tables]
    seen_hashes: dict[str, str] = {}
    for _, spec, _, digest in register:
        seen_hashes.setdefault(digest, spec.display)
    loaders = {"persons": _load_persons, "residences": _load_residences,
               "neighbourhoods": _load_neighbourhoods}
    for kind, spec, raw, digest in register:
        _load_file(con, spec, raw, loaders[kind], digest, ctx.rules)
    _note_register(con, ctx)
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
                   digest, ctx.rules)
    # What the bureau must see on the console, not only in run.json.
    return {"warnings": [
        f"{file}: {n:,} record ids this agency already delivered in an earlier file (the "
        "same export delivered twice?); each record is counted once"
        for file, n in con.execute("""SELECT file, n FROM load_notes WHERE starts_with(note,
                                      'record ids already delivered') ORDER BY file""").fetchall()]}


def _distinct_register_files(tables: list[tuple[str, _Table]]) -> None:
    """Persons, residences and neighbourhoods are three tables: one file cannot be two."""
    seen: dict[Path, str] = {}
    for kind, spec in tables:
        if spec.path in seen:
            raise ConfigError(
                f"The delivery manifest names {spec.display} for both register.{seen[spec.path]} "
                f"and register.{kind}; the register's persons, residences and neighbourhoods "
                "are three files, each with its own columns")
        seen[spec.path] = kind


def _note_register(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """What in the register silently stops counting, counted for run.json: persons born
    after the reference date (not yet in any household on it)."""
    con.execute("""INSERT INTO load_notes
                   SELECT 'persons born after the reference date', ?, count(*)
                   FROM ident.register_persons WHERE birth_date > ?
                   HAVING count(*) > 0""",
                [ctx.manifest.population_register.persons, ctx.manifest.run.reference_date])


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


def _aliases(names: list[str]) -> dict[str, str]:
    """SQL names for a file's columns by position: DuckDB matches identifiers without regard
    to case (a file with "Naam" and "naam" would read the wrong one) and a header may hold
    any character, quotes included."""
    return {name: f"c{index}" for index, name in enumerate(names)}


def _select_list(spec: _Table, columns: dict[str, str]) -> str:
    """Canonical fields as text (`<field>_text`) and parsed (`<field>`), in SQL; `columns`
    maps the file's column names to their SQL aliases. A parsed date outside EARLIEST ..
    LATEST is no date (`<field>_absurd` says so); the end date OPEN_END is no end date."""
    parts = [f"{columns[ROW]} AS row_number"]
    fmt = sql.literal(spec.date_format)
    for field in spec.fields:
        column = spec.column(field)
        text = _text(columns[column]) if column in columns else "CAST(NULL AS VARCHAR)"
        if field in DATE_FIELDS:
            parts.append(f"{text} AS {field}_text")
            # DuckDB's strptime takes "infinity", "-infinity" and "epoch" in any format;
            # a date in a declared format has digits.
            parsed = (f"CAST(CASE WHEN regexp_matches({text}, '[0-9]') AND "
                      f"isfinite(try_strptime({text}, {fmt})) THEN try_strptime({text}, {fmt}) "
                      "END AS DATE)")
            plausible = f"{parsed} BETWEEN DATE '{EARLIEST}' AND DATE '{LATEST}'"
            open_end = f"{parsed} = DATE '{OPEN_END}'" if field == "end_date" else "false"
            parts.append(f"CASE WHEN {plausible} THEN {parsed} END AS {field}")
            parts.append(f"coalesce(NOT ({plausible}) AND NOT ({open_end}), false) "
                         f"AS {field}_absurd")
            parts.append(f"coalesce({open_end}, false) AS {field}_open")
        else:
            parts.append(f"{text} AS {field}")
    return ",\n  ".join(parts)


def _reason_sql(spec: _Table, key: str | None) -> str:
    """SQL for why a row is unusable (NULL = usable). Names columns, never values."""
    checks = []
    fmt = spec.date_format

    def say(text: str) -> str:
        return sql.literal(text)

    for field in spec.required:
        column = spec.column(field)
        if field in DATE_FIELDS:
            checks.append(
                f"CASE WHEN {field}_text IS NULL THEN {say(f'{field} (column {column}) is empty')}"
                f" WHEN {field}_absurd THEN "
                f"{say(f'{field} (column {column}) is not a possible date (before {EARLIEST[:4]} or after {LATEST[:4]})')}"
                f" WHEN {field} IS NULL THEN "
                f"{say(f'{field} (column {column}) is not a date in the format {fmt}')} END")
        else:
            checks.append(f"CASE WHEN {field} IS NULL THEN {say(f'no {field} (column {column})')} END")
    if "end_date" in spec.fields:
        column = spec.column("end_date")
        checks.append(
            f"CASE WHEN end_date_absurd THEN {say(f'end_date (column {column}) is not a possible date (before {EARLIEST[:4]} or after {LATEST[:4]})')}"
            f" WHEN end_date_text IS NOT NULL AND end_date IS NULL AND NOT end_date_open THEN "
            f"{say(f'end_date (column {column}) is not a date in the format {fmt}')} END")
        if "start_date" in spec.fields:
            start = spec.column("start_date")
            reason = f"end_date (column {column}) is before start_date (column {start})"
            checks.append(f"CASE WHEN end_date < start_date THEN {say(reason)} END")
    if key is not None:
        checks.append(f"CASE WHEN {key} IS NOT NULL AND row_number <> first_row THEN "
                      f"{say(f'{key} already used in row ')} || first_row END")
    if _kind(spec) == "residences":
        checks.append("CASE WHEN person_id IS NOT NULL AND person_id NOT IN "
                      "(SELECT person_id FROM ident.register_persons) THEN "
                      f"{say('person_id (column ' + spec.column('person_id') + ') is not in the persons file')} END")
    return "NULLIF(concat_ws('; ', " + ", ".join(checks) + "), '')"


def _load_file(con, spec: _Table, raw: RawTable, loader, digest: str, rules: Rules) -> None:
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
        con.execute("ALTER TABLE parsed ADD COLUMN redelivered BOOLEAN DEFAULT false")
        if _kind(spec) == "records":
            _earlier_files(con, spec)
        con.execute("INSERT INTO rejects SELECT ?, row_number, reason FROM parsed "
                    "WHERE reason IS NOT NULL ORDER BY row_number", [spec.display])
        if raw.ragged_rows:
            con.executemany("INSERT INTO rejects VALUES (?, ?, ?)",
                            [(spec.display, row, RAGGED) for row in raw.ragged_rows])
        loader(con, spec, columns)
        rows_in = raw.table.num_rows + len(raw.ragged_rows)
        _record_file(con, spec, digest, None, rows_in=rows_in)
        _note_open_ends(con, spec)
        _stop_when_mostly_rejected(con, spec, rows_in, rules)
    finally:
        con.unregister("raw_file")
        con.execute("DROP TABLE IF EXISTS parsed")


RAGGED = ("the row does not have one value per column of the header (check quotes and the "
          "delimiter)")


def _earlier_files(con, spec: _Table) -> None:
    """A record id this agency already delivered in another file (the same export sent twice,
    once with other line endings, say) is the same record: it is not loaded twice."""
    con.execute("""
        UPDATE parsed SET reason = concat_ws('; ', reason,
            'record_id already delivered by this agency in ' || e.file || ', row '
            || e.row_number || ' (loaded once)'), redelivered = true
        FROM (SELECT record_id, arg_min(file, record_key) AS file,
                     arg_min(row_number, record_key) AS row_number
              FROM ident.records WHERE agency = ? GROUP BY record_id) e
        WHERE parsed.record_id = e.record_id""", [spec.agency])
    shared = sql.scalar(con, "SELECT count(*) FROM parsed WHERE redelivered")
    if shared:
        con.execute("INSERT INTO load_notes VALUES ('record ids already delivered by the same "
                    "agency in an earlier file (loaded once)', ?, ?)", [spec.display, shared])


def _note_open_ends(con, spec: _Table) -> None:
    if "end_date" not in spec.fields:
        return
    con.execute(f"""INSERT INTO load_notes
                    SELECT 'end dates {OPEN_END} read as no end date', ?, count(*)
                    FROM parsed WHERE reason IS NULL AND end_date_open HAVING count(*) > 0""",
                [spec.display])


def _stop_when_mostly_rejected(con, spec: _Table, rows_in: int, rules: Rules) -> None:
    """A file of which most rows are rejected (a wrong date_format, the wrong column
    mapping) would give a lower count with no error at all: it stops the run."""
    # Rows another file already delivered are loaded once, not lost: they do not count.
    redelivered = sql.scalar(con, "SELECT count(*) FROM parsed WHERE redelivered")
    rejected = sql.scalar(con, "SELECT count(*) FROM rejects WHERE file = ?",
                          [spec.display]) - redelivered
    if not rows_in or rejected / rows_in <= rules.max_reject_share:
        return
    reason, n = con.execute("""
        SELECT reason, count(*) AS n FROM rejects
        WHERE file = ? AND NOT contains(reason, '(loaded once)')
        GROUP BY reason ORDER BY n DESC, reason LIMIT 1""", [spec.display]).fetchall()[0]
    raise DeliveryError(
        f"{spec.display}: {rejected:,} of its {rows_in:,} rows are rejected (more than "
        f"{rules.max_reject_share:.0%}), so the count would silently miss them. The most "
        f"common reason ({n:,} rows): {reason}. Fix the manifest's settings for this file "
        "(date_format, columns, delimiter, encoding) or the file; rules.max_reject_share sets "
        "the share at which a run stops")


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
    # Aggregates only, so that a file with no usable row gives one row of NULLs and 0.
    dates_sql = f"min({dates}), max({dates})" if dates else "min(NULL::DATE), max(NULL::DATE)"
    unreadable_sql = ("count(*) FILTER (birth_date_text IS NOT NULL AND birth_date IS NULL)"
                      if "birth_date" in spec.fields else "count(*) FILTER (false)")
    first, last, unreadable = con.execute(
        f"SELECT {dates_sql}, {unreadable_sql} FROM parsed WHERE reason IS NULL").fetchall()[0]
    loaded = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL").fetchall()[0][0]
    if loaded + rejected != rows_in:
        raise AssertionError(f"{spec.display}: {rows_in} rows in, {loaded} loaded and "
                             f"{rejected} rejected")
    con.execute("INSERT INTO source_files VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                [spec.display, spec.agency, digest, rows_in, loaded, rejected, first, last,
                 unreadable])


def _load_persons(con, spec: _Table, columns: set[str]) -> None:
    con.execute("""
        INSERT INTO ident.register_persons
        SELECT person_id, bsn, surname, prefix, given_names, birth_date, sex, origin,
               mother_id, father_id
        FROM parsed WHERE reason IS NULL ORDER BY row_number""")


def _load_residences(con, spec: _Table, columns: set[str]) -> None:
    con.execute("""
        INSERT INTO ident.register_residences
        SELECT person_id, address_id, postcode, house_number, house_number_addition, street,
               city, neighbourhood_code, start_date, end_date
        FROM parsed WHERE reason IS NULL ORDER BY row_number""")


def _load_neighbourhoods(con, spec: _Table, columns: set[str]) -> None:
    con.execute("INSERT INTO register_neighbourhoods SELECT neighbourhood_code, "
                "neighbourhood_name FROM parsed WHERE reason IS NULL ORDER BY row_number")


def _load_records(con, spec: _Table, columns: set[str], window_start, window_end) -> None:
    con.execute("""
        INSERT INTO ident.records
        SELECT (SELECT coalesce(max(record_key), 0) FROM ident.records) + row_number,
               agency, ?, row_number, record_id, client_id, bsn, surname, prefix,
               given_names, birth_date, birth_date_text IS NOT NULL, sex, postcode,
               house_number, house_number_addition, contact_date, end_date,
               neighbourhood_code,
               contact_date <= ?::DATE
                 AND (contact_date >= ?::DATE OR end_date IS NULL OR end_date >= ?::DATE)
        FROM (SELECT ? AS agency, * FROM parsed WHERE reason IS NULL) ORDER BY row_number""",
        [spec.display, window_end, window_start, window_start, spec.agency])


STAGE = Stage("load", reads=(), writes=tuple(t.name for t in contracts.LOADED), run=load)
