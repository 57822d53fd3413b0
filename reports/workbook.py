"""Write published tables to an xlsx formatted for people (xlsxwriter).

Each table becomes an Excel table (banded style, filter buttons) with its total rows set
apart just below it, so sorting never moves a total. Every value written has passed
disclosure control already; as a last guard this module refuses to write a count between 1
and min_cell - 1, and writes a derived number that happens to fall in that range (a share of
100%, an index of 3, a change of +2) as text, so that no numeric cell of the workbook is a
small number and an automatic check of the file stays meaningful.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from mpg.reports.labels import Labels
from mpg.reports.model import Table

TABLE_STYLE = "Table Style Medium 2"
MAX_WIDTH = 60


@dataclass
class TextBlock:
    """Paragraphs: (heading, text) pairs; a heading may be empty."""

    title: str
    lines: list[tuple[str, str]]


@dataclass
class Sheet:
    name: str  # the tab; at most 31 characters
    title: str
    subtitle: str = ""
    blocks: list[Table | TextBlock] = field(default_factory=list)
    freeze_columns: int = 0  # columns kept in view when scrolling right (code and name)


class SmallCountError(RuntimeError):
    """A count from 1 to min_cell - 1 reached the writer: disclosure control was bypassed."""


def write_workbook(path: Path, sheets: list[Sheet], lab: Labels, min_cell: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    fmt = _Formats(book)
    names: set[str] = set()
    for sheet in sheets:
        _write_sheet(book, sheet, fmt, lab, min_cell, names)
    book.close()
    return path


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
        self.title = book.add_format({**base, "bold": True, "font_size": 15})
        self.subtitle = book.add_format({**base, "italic": True, "font_color": "#555555"})
        self.block = book.add_format({**base, "bold": True, "font_size": 12})
        self.note = book.add_format({**base, "italic": True, "font_color": "#555555",
                                     "text_wrap": True})
        self.heading = book.add_format({**base, "bold": True, "text_wrap": True})
        self.wrap = book.add_format({**base, "text_wrap": True})
        self.kinds: dict[tuple[str, bool], Any] = {}
        numbers = {"text": None, "count": "#,##0", "share": "0.0%", "index": "0",
                   "change": None}
        for kind, num in numbers.items():
            for total in (False, True):
                spec = dict(base)
                if num:
                    spec["num_format"] = num
                if kind != "text":
                    spec["align"] = "right"
                if total:
                    spec.update(bold=True, top=1)
                self.kinds[(kind, total)] = book.add_format(spec)


def _write_sheet(book, sheet: Sheet, fmt: _Formats, lab: Labels, min_cell: int,
                 names: set[str]) -> None:
    ws = book.add_worksheet(sheet.name[:31])
    ws.hide_gridlines(2)
    ws.write_string(0, 0, sheet.title, fmt.title)
    if sheet.subtitle:
        ws.write_string(1, 0, sheet.subtitle, fmt.subtitle)
    row = 3
    widths: dict[int, int] = {}
    first_header: int | None = None
    n_tables = sum(isinstance(b, Table) for b in sheet.blocks)
    text_width = max(4, max((len(b.columns) for b in sheet.blocks if isinstance(b, Table)),
                            default=4))
    for block in sheet.blocks:
        if isinstance(block, TextBlock):
            row = _write_text(ws, block, row, fmt, text_width)
            continue
        if n_tables > 1 or block.title != sheet.title:
            ws.write_string(row, 0, block.title, fmt.block)
            row += 1
        if first_header is None:
            first_header = row
        row = _write_table(ws, block, row, fmt, lab, min_cell, names, widths)
    for col, width in widths.items():
        ws.set_column(col, col, min(MAX_WIDTH, width + 2))
    # Keep the header in view: below the first table's header on a one-table sheet, below
    # the title where a sheet stacks several tables.
    if n_tables == 1 and first_header is not None:
        ws.freeze_panes(first_header + 1, sheet.freeze_columns)
    else:
        ws.freeze_panes(2, 0)


def _write_text(ws, block: TextBlock, row: int, fmt: _Formats, width_cols: int) -> int:
    if block.title:
        ws.write_string(row, 0, block.title, fmt.block)
        row += 1
    for heading, text in block.lines:
        if heading:
            ws.write_string(row, 0, heading, fmt.heading)
            row += 1
        # The text spans the sheet's table width; a row is tall enough for its lines.
        ws.merge_range(row, 0, row, width_cols - 1, text, fmt.wrap)
        chars_per_line = 18 * width_cols
        ws.set_row(row, 15 * max(1, -(-len(text) // chars_per_line)))
        row += 1
    return row + 1


def _write_table(ws, table: Table, row: int, fmt: _Formats, lab: Labels, min_cell: int,
                 names: set[str], widths: dict[int, int]) -> int:
    body = table.rows[:len(table.rows) - table.totals] if table.totals else table.rows
    totals = table.rows[len(body):]
    headers = _unique_headers([c.label for c in table.columns])
    last_col = len(table.columns) - 1
    name = _table_name(table.id, names)
    # An Excel table needs at least one data row.
    last_row = row + max(1, len(body))
    ws.add_table(row, 0, last_row, last_col, {
        "name": name, "style": TABLE_STYLE, "autofilter": bool(body),
        "columns": [{"header": h} for h in headers]})
    for c, header in enumerate(headers):
        widths[c] = max(widths.get(c, 0), min(len(header), 28))
    r = row + 1
    for values in body:
        _write_row(ws, r, table, values, fmt, lab, min_cell, widths, total=False)
        r += 1
    r = last_row + 1
    for values in totals:
        _write_row(ws, r, table, values, fmt, lab, min_cell, widths, total=True)
        r += 1
    if table.note:
        ws.merge_range(r, 0, r, max(last_col, 3), table.note, fmt.note)
        ws.set_row(r, 15 * max(1, -(-len(table.note) // (18 * max(last_col + 1, 4)))))
        r += 1
    return r + 1


def _write_row(ws, r: int, table: Table, values: dict[str, Any], fmt: _Formats, lab: Labels,
               min_cell: int, widths: dict[int, int], total: bool) -> None:
    for c, column in enumerate(table.columns):
        value = values.get(column.id)
        cell_fmt = fmt.kinds[(column.kind, total)]
        text = _cell(value, column.kind, lab, min_cell)
        if text is None:
            ws.write_blank(r, c, None, cell_fmt)
            continue
        if isinstance(text, str):
            ws.write_string(r, c, text, cell_fmt)
            shown = text
        else:
            ws.write_number(r, c, text, cell_fmt)
            shown = lab.number(text * 100, 1) + "%" if column.kind == "share" else lab.number(text)
        widths[c] = max(widths.get(c, 0), len(shown))


def _cell(value: Any, kind: str, lab: Labels, min_cell: int) -> float | int | str | None:
    """The value as written: numbers as numbers, except a derived number in 1..min_cell-1."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value
    if kind == "text":
        return str(value)
    if kind == "count":
        if 1 <= value < min_cell:
            raise SmallCountError("a count between 1 and min_cell - 1 was about to be published")
        return value
    if kind == "change":
        return signed(value, lab)
    if 1 <= value < min_cell:
        return lab.percent(value) if kind == "share" else lab.number(value)
    return value


def signed(value: int, lab: Labels) -> str:
    """A change as text with its sign: +12, −3, 0 (a true minus sign)."""
    if value > 0:
        return "+" + lab.number(value)
    if value < 0:
        return "\u2212" + lab.number(-value)
    return "0"


def _unique_headers(headers: list[str]) -> list[str]:
    """The headers of an Excel table must differ (ignoring case), or Excel drops the table:
    a category's short label from the rules file may equal another header ("MPG")."""
    seen: set[str] = set()
    out = []
    for header in headers:
        name, i = header, 2
        while name.lower() in seen:
            name, i = f"{header} ({i})", i + 1
        seen.add(name.lower())
        out.append(name)
    return out


def _table_name(table_id: str, names: set[str]) -> str:
    base = "T_" + "".join(ch if ch.isalnum() else "_" for ch in table_id)
    name, i = base, 2
    while name.lower() in names:
        name, i = f"{base}_{i}", i + 1
    names.add(name.lower())
    return name
