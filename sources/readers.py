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
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline.errors import DeliveryError

ROW = "__row"


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
    if not path.is_file():
        raise DeliveryError(f"{display}: the file does not exist (looked for {path})")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return RawTable(_with_rows(_read_parquet(path, display, date_format)))
    if suffix in (".xlsx", ".xlsm"):
        return RawTable(_with_rows(_read_xlsx(path, display, date_format, sheet)))
    if suffix in (".csv", ".tsv", ".txt", ""):
        return _read_csv(path, display, delimiter, encoding)
    raise DeliveryError(f"{display}: files ending in {path.suffix!r} cannot be read; "
                        "deliver .csv, .xlsx or .parquet")


def _with_rows(table: pa.Table) -> pa.Table:
    return table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))


def _python_encoding(encoding: str) -> str:
    # A UTF-8 byte order mark is not part of the first column's name.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _header(path: Path, display: str, delimiter: str, encoding: str) -> list[str]:
    try:
        with open(path, newline="", encoding=_python_encoding(encoding)) as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise DeliveryError(f"{display}: the header is not valid {encoding} text "
                            f"(byte {exc.start}); check the encoding in the manifest") from None
    if not header or all(not name.strip() for name in header):
        raise DeliveryError(f"{display}: the file is empty (no header row)")
    names = [name.strip() for name in header]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DeliveryError(f"{display}: the header has the column(s) {duplicated} more than once")
    return names


def _read_csv(path: Path, display: str, delimiter: str, encoding: str) -> RawTable:
    names = _header(path, display, delimiter, encoding)
    ragged: list[object] = []
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=_python_encoding(encoding),
                                           column_names=names, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             invalid_row_handler=lambda row: ragged.append(row)
                                             or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
                null_values=[""]),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        text = str(exc)
        if "UTF8" in text or "decode" in text or isinstance(exc, UnicodeDecodeError):
            raise DeliveryError(f"{display}: the file is not valid {encoding} text; check the "
                                "encoding in the manifest (e.g. cp1252 for Windows exports)") from None
        raise DeliveryError(f"{display}: the file cannot be read as csv with delimiter "
                            f"{delimiter!r}: {text.splitlines()[0][:200]}") from None
    if not ragged:
        return RawTable(_with_rows(table))
    return _read_csv_slowly(path, display, delimiter, encoding, names)


def _read_csv_slowly(path: Path, display: str, delimiter: str, encoding: str,
                     names: list[str]) -> RawTable:
    """Row by row, so that rows with too many or too few fields keep their row number."""
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    ragged: list[int] = []
    with open(path, newline="", encoding=_python_encoding(encoding)) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader)
        number = 0
        for fields in reader:
            if not fields:
                continue  # a blank line is not a row, as in the fast path
            number += 1
            if len(fields) != len(names):
                ragged.append(number)
                continue
            rows.append(number)
            for column, value in zip(columns, fields):
                column.append(value if value != "" else None)
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
        if sheet is not None and sheet not in book.sheetnames:
            raise DeliveryError(f"{display}: the workbook has no sheet {sheet!r}; it has "
                                f"{book.sheetnames}")
        rows = (book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DeliveryError(f"{display}: the sheet is empty (no header row)")
        names = [str(h).strip() if h is not None else "" for h in header]
        columns: list[list[str | None]] = [[] for _ in names]
        for values in rows:
            cells = [_cell_text(v, date_format) for v in values]
            if all(c is None for c in cells):
                continue  # formatting leaves empty rows at the end of sheets
            cells = (cells + [None] * len(names))[: len(names)]
            for column, cell in zip(columns, cells):
                column.append(cell)
    finally:
        book.close()
    # A merged or empty header cell has no name; such a column cannot be mapped.
    arrays = {}
    for index, name in enumerate(names):
        arrays[name or f"(column {index + 1} without a name)"] = pa.array(columns[index], pa.string())
    return pa.table(arrays)


def _read_parquet(path: Path, display: str, date_format: str) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception:
        raise DeliveryError(f"{display}: the file is not a readable parquet file") from None
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            columns[name] = pc.strftime(column, format=date_format)
        elif pa.types.is_floating(kind):
            # Integers stored as floats (a pandas habit with missing values) lose the ".0".
            columns[name] = pa.chunked_array(
                [pa.array([_cell_text(v, date_format) for v in chunk.to_pylist()], pa.string())
                 for chunk in column.chunks], pa.string())
        elif (pa.types.is_string(kind) or pa.types.is_large_string(kind)
              or pa.types.is_integer(kind) or pa.types.is_boolean(kind)
              or pa.types.is_decimal(kind) or pa.types.is_dictionary(kind)):
            columns[name] = pc.cast(column, pa.string())
        else:
            raise DeliveryError(f"{display}: column {name!r} has type {kind}; expected text, "
                                "numbers or dates")
    return pa.table(columns) if columns else pa.table({})
