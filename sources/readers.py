"""Read one delivery file (csv, xlsx, parquet) into an Arrow table of text columns.

Every value comes out as text (or null), in the file's own column names, plus `__row`: the
row number (1 = first data row) that error messages and `rejects.csv` use. Native dates in
xlsx and parquet are written back as text in the file's declared date format, so one parser
handles every file type. A file that cannot be read raises `DeliveryError` naming the file
and what is wrong; a row that cannot be split into the header's columns is returned as a
rejected row, never dropped.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mpg.pipeline.errors import ConfigError, DeliveryError

ROW = "__row"

# Python's csv module refuses fields over 128 KiB by default; Arrow reads them, so must we.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class RawTable:
    table: pa.Table  # text columns in the file's names, plus ROW
    ragged_rows: tuple[int, ...] = field(default=())  # rows with the wrong number of fields


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_file(path: Path, display: str, *, delimiter: str = ",", encoding: str = "utf-8",
              date_format: str = "%Y-%m-%d", sheet: str | None = None) -> RawTable:
    """Read `path`; `display` is the name used in messages (the manifest's relative path)."""
    try:
        if not path.is_file():
            raise DeliveryError(f"{display}: the file does not exist (looked for {path})")
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return RawTable(_with_rows(_read_parquet(path, display, date_format)))
        if suffix in (".xlsx", ".xlsm"):
            return RawTable(_with_rows(_read_xlsx(path, display, date_format, sheet)))
        if suffix in (".csv", ".tsv", ".txt", ""):
            _check_csv_settings(display, delimiter, encoding)
            return _read_csv(path, display, delimiter, encoding)
    except OSError as exc:  # no permission, a name too long for the file system, ...
        raise DeliveryError(f"{display}: the file cannot be read ({exc.strerror or exc})"
                            ) from None
    raise DeliveryError(f"{display}: files ending in {path.suffix!r} cannot be read; "
                        "deliver .csv, .xlsx or .parquet")


def _with_rows(table: pa.Table) -> pa.Table:
    return table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))


def _python_encoding(encoding: str) -> str:
    # A UTF-8 byte order mark is not part of the first column's name.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _check_csv_settings(display: str, delimiter: str, encoding: str) -> None:
    """The manifest's delimiter and encoding must be usable before any byte is read."""
    if len(delimiter) != 1 or delimiter in '\r\n"' or not (delimiter == "\t"
                                                          or " " <= delimiter <= "~"):
        raise ConfigError(f"{display}: the delimiter {delimiter!r} in the manifest cannot be used "
                          "for csv; use one printable ASCII character such as \",\", \";\", "
                          "\"|\" or a tab (\"\\t\")")
    try:
        io.TextIOWrapper(io.BytesIO(b""), encoding=_python_encoding(encoding))
    except LookupError:
        raise ConfigError(f"{display}: {encoding!r} in the manifest is not a text encoding; use "
                          "for example utf-8 or cp1252") from None


def _names(raw_names: list[str], display: str) -> list[str]:
    """Column names as used downstream: an empty name (a merged or blank header cell, a
    trailing delimiter) becomes "(column N without a name)", which cannot be mapped.
    Messages give positions, not names: a file without a header row has data there."""
    names = [name or f"(column {index} without a name)"
             for index, name in enumerate(raw_names, start=1)]
    if ROW in names:
        raise DeliveryError(f"{display}: column {names.index(ROW) + 1} is named {ROW!r}, a name "
                            "mpg reserves for row numbers; rename that column")
    first: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name in first:
            raise DeliveryError(f"{display}: columns {first[name]} and {index} of the header row "
                                "have the same name; give every column its own name")
        first[name] = index
    return names


def _header(path: Path, display: str, delimiter: str, encoding: str) -> tuple[list[str], int]:
    """The header's column names, and how many lines of the file it takes (a quoted name
    may hold a line break: Excel writes multi-line header cells so)."""
    try:
        with open(path, newline="", encoding=_python_encoding(encoding)) as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            lines = reader.line_num
    except UnicodeError:
        raise DeliveryError(_encoding_message(display, encoding)) from None
    except csv.Error:
        raise DeliveryError(f"{display}: the header row cannot be read as csv with delimiter "
                            f"{delimiter!r}; check the delimiter and the quotes") from None
    if not header or all(not name.strip() for name in header):
        raise DeliveryError(f"{display}: the file is empty (no header row)")
    return _names([name.strip() for name in header], display), lines


def _encoding_message(display: str, encoding: str) -> str:
    return (f"{display}: the file is not valid {encoding} text; check the encoding in the "
            "manifest (e.g. cp1252 for Windows exports)")


def _read_csv(path: Path, display: str, delimiter: str, encoding: str) -> RawTable:
    """Arrow reads an ordinary file fast. A file with anything unusual in it (a row with the
    wrong number of fields, a blank or empty line, a value with a line break, a header over
    several lines) is read again, streaming, by Python's csv module, which knows each row's
    number and stops at a quote that is never closed."""
    names, header_lines = _header(path, display, delimiter, encoding)
    if header_lines != 1:
        return _read_csv_slowly(path, display, delimiter, encoding, names)
    unusual: list[object] = []
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=_python_encoding(encoding),
                                           column_names=names, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=lambda row: unusual.append(row)
                                             or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
                null_values=[""]),
        )
    except (pa.ArrowInvalid, UnicodeError):
        # Python's csv module decides: a header-only file without a final line break, a
        # value larger than a block, bad bytes (its message names no value, Arrow's may).
        return _read_csv_slowly(path, display, delimiter, encoding, names)
    if unusual or _has_unusual_rows(table):
        return _read_csv_slowly(path, display, delimiter, encoding, names)
    return RawTable(_with_rows(table))


def _has_unusual_rows(table: pa.Table) -> bool:
    """A row with no value at all (a blank line, or only delimiters) or a value holding a
    line break: their row numbers and their reading need the csv module."""
    if table.num_rows == 0 or table.num_columns == 0:
        return False
    empty = None
    for column in table.columns:
        null = pc.is_null(column)
        empty = null if empty is None else pc.and_(empty, null)
        if pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py():
            return True
    return bool(pc.any(empty).as_py())


def _read_csv_slowly(path: Path, display: str, delimiter: str, encoding: str,
                     names: list[str]) -> RawTable:
    """Row by row, streaming: rows with too many or too few fields keep their row number,
    a blank line is no row but keeps its number (an editor shows it), and a quote that is
    never closed stops the read (strict mode) instead of swallowing the rest of the file."""
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    ragged: list[int] = []
    number = 0
    try:
        with open(path, newline="", encoding=_python_encoding(encoding)) as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            next(reader, None)  # the header: one csv row, whatever lines it takes
            for fields in reader:
                number += 1
                if not fields:
                    continue  # a blank line is not a row
                if len(fields) != len(names):
                    ragged.append(number)
                    continue
                rows.append(number)
                for column, value in zip(columns, fields):
                    column.append(value if value != "" else None)
    except UnicodeError:
        raise DeliveryError(_encoding_message(display, encoding)) from None
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise DeliveryError(
                f"{display}: a quoted value in row {number + 1} is never closed, so every line "
                "after it would be read into that one value; check the quotes in that row"
            ) from None
        raise DeliveryError(f"{display}: the file cannot be read as csv with delimiter "
                            f"{delimiter!r} (after row {number}); check the delimiter and the "
                            "quotes") from None
    arrays = {name: pa.array(col, pa.string()) for name, col in zip(names, columns)}
    arrays[ROW] = pa.array(rows, pa.int64())
    return RawTable(pa.table(arrays), tuple(ragged))


def _cell_text(value: object, date_format: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime(date_format)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _read_xlsx(path: Path, display: str, date_format: str, sheet: str | None) -> pa.Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise DeliveryError(f"{display}: the file is not a readable xlsx workbook "
                            f"({type(exc).__name__})") from None
    try:
        sheets = {ws.title: ws for ws in book.worksheets}  # chart sheets hold no rows
        if sheet is not None and sheet not in sheets:
            raise DeliveryError(f"{display}: the workbook has no sheet {sheet!r}; it has "
                                f"{list(sheets)}")
        if not sheets:
            raise DeliveryError(f"{display}: the workbook has no worksheet")
        try:
            rows = (sheets[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True)
            header = next(rows, None)
            body: list[list[str | None]] = []
            for values in rows:
                cells = [_cell_text(v, date_format) for v in values]
                if all(c is None for c in cells):
                    continue  # formatting leaves empty rows at the end of sheets
                body.append(cells)
        except DeliveryError:
            raise
        except Exception as exc:  # a damaged sheet: openpyxl raises many kinds
            raise DeliveryError(f"{display}: the sheet cannot be read ({type(exc).__name__})"
                                ) from None
    finally:
        book.close()
    if header is None or all(h is None or not str(h).strip() for h in header):
        raise DeliveryError(f"{display}: the sheet is empty (no header row)")
    # A merged or empty header cell has no name; such a column cannot be mapped. A value
    # beyond the last header cell keeps a column too: nothing is cut off.
    width = max([len(header), *(len(cells) for cells in body)])
    raw_names = [str(h).strip() if h is not None else "" for h in header]
    names = _names(raw_names + [""] * (width - len(raw_names)), display)
    columns: list[list[str | None]] = [[] for _ in names]
    for cells in body:
        cells = cells + [None] * (width - len(cells))
        for column, cell in zip(columns, cells):
            column.append(cell)
    return pa.table({name: pa.array(column, pa.string()) for name, column in zip(names, columns)})


def _strftime(con, column: pa.ChunkedArray, date_format: str) -> pa.ChunkedArray:
    """Native dates as text in the file's date format, written by DuckDB: the engine that
    parses them back, so every format it accepts round-trips (Arrow's strftime does not
    know %-d or %f)."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.local_timestamp(column)  # the wall-clock date where it was recorded
    con.register("native_dates", pa.table({"v": column}))
    try:
        return con.sql("SELECT strftime(v, $fmt) AS v FROM native_dates",
                       params={"fmt": date_format}).to_arrow_table().column("v").cast(pa.string())
    finally:
        con.unregister("native_dates")


def _read_parquet(path: Path, display: str, date_format: str) -> pa.Table:
    import duckdb
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception:
        raise DeliveryError(f"{display}: the file is not a readable parquet file") from None
    _names(list(table.column_names), display)
    columns = {}
    con = duckdb.connect(config={"threads": 1})  # writes native dates as text
    try:
        for name, column in zip(table.column_names, table.columns):
            columns[name] = _parquet_text(con, display, name, column, date_format)
    finally:
        con.close()
    return pa.table(columns) if columns else pa.table({})


def _parquet_text(con, display: str, name: str, column: pa.ChunkedArray,
                  date_format: str) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return _strftime(con, column, date_format)
    if pa.types.is_null(kind):
        # A column with no value at all (pandas writes an all-None column so).
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    if pa.types.is_floating(kind):
        # Integers stored as floats (a pandas habit with missing values) lose the ".0".
        return pa.chunked_array(
            [pa.array([_cell_text(v, date_format) for v in chunk.to_pylist()], pa.string())
             for chunk in column.chunks], pa.string())
    if (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind) or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind) or pa.types.is_dictionary(kind)):
        return pc.cast(column, pa.string())
    raise DeliveryError(f"{display}: column {name!r} has type {kind}; expected text, "
                        "numbers or dates")
