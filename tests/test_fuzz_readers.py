"""Any delivery file, no traceback, no lost row (delivery.md, "Bad input").

Hypothesis writes agency files (csv in any encoding, delimiter, quoting and line ending;
xlsx with native and text dates, extra sheets, merged header cells; parquet with any column
type) and register files. Every case must end in exactly one of:

* the file loads: for every row we wrote, either it is in the canonical table with the
  values we wrote, or it is in `rejects` with its row number and the one reason the
  contract gives (naming columns, never values); `source_files` says rows_in = rows we
  wrote = rows_loaded + rows_rejected;
* a DeliveryError / ConfigError naming the file, with no value of the file in its text.

Any other exception fails the test. Row counts are checked twice: through
`pipeline.validate_delivery` (the `source_files` table) and against what the test wrote.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builder import Delivery
from conftest import accepting_rules

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# The fast suite runs a fixed, small set of examples; CI runs more (MPG_FUZZ_EXAMPLES=40),
# the same ones every time. MPG_FUZZ_RANDOM=1 draws fresh random examples (to hunt).
EXAMPLES = int(os.environ.get("MPG_FUZZ_EXAMPLES", "8"))
DERANDOMIZE = not os.environ.get("MPG_FUZZ_RANDOM")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Date formats an agency may declare; every one includes day, month and a 4-digit year, so
# that a date written in it is a date again when parsed (the parser is DuckDB's strptime).
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d", "%d.%m.%Y",
                "%d %b %Y", "%d %B %Y", "%-d-%-m-%Y", "%Y-%m-%d %H:%M:%S",
                "%d-%m-%Y %H:%M", "%Y/%m/%d", "%b %d, %Y", "%Y-%m-%dT%H:%M:%S.%f")
AGENCIES = ("MJD", "GELDZORG", "JEUGDZORG_TOEGANG", "ZAR", "OGGZ", "BIB", "ZORGNETWERK",
            "BIJSTAND", "WOONKANS")
RECORD_FIELDS = ("record_id", "client_id", "bsn", "surname", "prefix", "given_names",
                 "birth_date", "sex", "postcode", "house_number", "house_number_addition",
                 "contact_date", "end_date", "neighbourhood_code")
RAGGED = ("the row does not have one value per column of the header (check quotes and the "
          "delimiter)")


# ------------------------------------------------------------------ manifest and loading
def toml_string(value: str) -> str:
    """A TOML basic string for any text (json.dumps would write surrogate pairs for
    characters outside the BMP, which TOML does not allow)."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def small_register(root: Path) -> Delivery:
    """A register of two persons (the agency files under test need not link to them)."""
    d = Delivery(root)
    d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-05-05"])
    d.write_register()
    return d


def write_manifest(d: Delivery, sources: list[dict[str, Any]],
                   register: dict[str, Any] | None = None) -> Path:
    lines = ["[run]", 'name = "FUZZ"', "reference_date = 2003-09-01",
             "window_start = 2003-01-01", "window_end = 2004-06-30", "", "[register]"]
    reg = {"persons": "gba/personen.csv", "residences": "gba/verblijfplaatsen.csv",
           "neighbourhoods": "gba/wijken.csv", **(register or {})}
    columns = {k: reg.pop(k) for k in list(reg) if k.endswith("_columns")}
    lines += [f"{k} = {toml_string(v)}" for k, v in reg.items()]
    for key, mapping in columns.items():
        lines += ["", f"[register.{key}]"]
        lines += [f"{toml_string(f)} = {toml_string(c)}" for f, c in mapping.items()]
    for source in sources:
        lines += ["", "[[source]]"]
        lines += [f"{k} = {toml_string(v)}" for k, v in source.items() if k != "columns"]
        if source.get("columns"):
            lines.append("[source.columns]")
            lines += [f"{toml_string(f)} = {toml_string(c)}"
                      for f, c in source["columns"].items()]
    path = d.root / "delivery.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_only(manifest: Path) -> duckdb.DuckDBPyConnection:
    """The load stage on an in-memory database, as validate_delivery runs it, kept open so
    the test can read `ident.records`, `rejects` and `source_files`."""
    from mpg.pipeline import config
    from mpg.pipeline.context import RunContext
    from mpg.pipeline.runner import run_stage
    from mpg.sources.load import STAGE

    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    ctx = RunContext.create(config.load_manifest(manifest), Path("."),
                            rules=config.load_rules(accepting_rules()))
    run_stage(con, ctx, STAGE)
    return con


@dataclass
class Outcome:
    files: list[dict[str, Any]] | None = None  # validate_delivery's answer
    error: Exception | None = None


def validate(manifest: Path) -> Outcome:
    """validate_delivery; a DeliveryError or ConfigError is an outcome, anything else fails."""
    from mpg.pipeline import validate_delivery
    from mpg.pipeline.errors import ConfigError, DeliveryError

    try:
        # these files are built to hold any share of unusable rows: none stops the load
        return Outcome(files=validate_delivery(manifest, rules_path=accepting_rules()))
    except (DeliveryError, ConfigError) as exc:
        return Outcome(error=exc)


def file_entry(files: list[dict[str, Any]], display: str) -> dict[str, Any]:
    [entry] = [f for f in files if f["file"] == display]
    return entry


def assert_counts(files: list[dict[str, Any]], display: str, written: int, loaded: int,
                  rejected: int) -> None:
    entry = file_entry(files, display)
    got = (entry["rows_in"], entry["rows_loaded"], entry["rows_rejected"])
    assert got == (written, loaded, rejected), (
        f"{display}: (rows_in, loaded, rejected) = {got}, expected {(written, loaded, rejected)}")
    assert entry["rows_in"] == entry["rows_loaded"] + entry["rows_rejected"]


def assert_clean_message(error: Exception, display: str, values: list[str]) -> None:
    """A file error names the file and carries none of the file's values."""
    message = str(error)
    assert display in message, f"the message does not name {display}: {message}"
    assert "Traceback" not in message
    leaked = [v for v in values if len(v) >= 3 and v not in display and
              re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", message)]
    assert not leaked, f"values of the file in the message: {leaked}\n{message}"


# ------------------------------------------------------------------ value strategies
def _printable(enc: str) -> Callable[[str], bool]:
    def ok(ch: str) -> bool:
        try:
            ch.encode(enc)
        except UnicodeEncodeError:
            return False
        return True
    return ok


def names(enc: str = "utf-8", *, xlsx: bool = False) -> st.SearchStrategy[str]:
    """Any text the encoding can hold, without surrounding whitespace (the loader trims)."""
    chars = st.characters(blacklist_categories=("Cs",))
    if enc not in ("utf-8", "utf-8-sig", "utf-16"):
        chars = chars.filter(_printable(enc))
    if xlsx:  # XML 1.0 cannot hold most control characters, and reads "\r" as "\n"
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        chars = chars.filter(lambda c: c != "\r" and not ILLEGAL_CHARACTERS_RE.match(c))
    return st.text(chars, max_size=12).map(str.strip)


@dataclass(frozen=True)
class DateValue:
    kind: str  # valid, empty, spaces, garbage, impossible
    value: dt.datetime | None = None
    text: str = ""

    def write(self, fmt: str) -> str:
        if self.kind == "valid":
            return self.value.strftime(fmt)
        if self.kind == "impossible":  # 31 February
            out = fmt
            for directive, v in (("%-d", "31"), ("%d", "31"), ("%-m", "2"), ("%m", "02"),
                                 ("%Y", "2003"), ("%b", "Feb"), ("%B", "February"),
                                 ("%H", "00"), ("%M", "00"), ("%S", "00"), ("%f", "000000")):
                out = out.replace(directive, v)
            return out
        return self.text

    @property
    def parsed(self) -> dt.date | None:
        return self.value.date() if self.kind == "valid" else None

    @property
    def blank(self) -> bool:
        return self.kind in ("empty", "spaces")


DATETIMES = st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2030, 12, 31))


def date_values(enc: str = "utf-8", *, xlsx: bool = False) -> st.SearchStrategy[DateValue]:
    valid = DATETIMES.map(lambda v: DateValue("valid", v))
    # Garbage has no digit, so no declared format (all need day, month and year) parses it.
    garbage = names(enc, xlsx=xlsx).filter(
        lambda t: t and not any(unicodedata.category(c)[0] == "N" for c in t)).map(
        lambda t: DateValue("garbage", text=t))
    return st.one_of(valid, valid, valid, st.just(DateValue("empty")),
                     st.just(DateValue("spaces", text="   ")), garbage,
                     st.just(DateValue("impossible")))


def record_ids(enc: str = "utf-8", *, xlsx: bool = False) -> st.SearchStrategy[str]:
    """Few distinct values (duplicates are rejects), empty ones, and any text."""
    return st.one_of(st.sampled_from(["1", "2", "3", "A-1", "a-1", "", "  "]),
                     names(enc, xlsx=xlsx))


@dataclass
class Row:
    record_id: str
    surname: str
    given_names: str
    bsn: str
    contact: DateValue
    end: DateValue
    birth: DateValue


def rows(enc: str = "utf-8", *, xlsx: bool = False, min_size: int = 0,
         max_size: int = 12) -> st.SearchStrategy[list[Row]]:
    row = st.builds(Row, record_id=record_ids(enc, xlsx=xlsx), surname=names(enc, xlsx=xlsx),
                    given_names=names(enc, xlsx=xlsx),
                    bsn=st.one_of(st.just(""), st.from_regex(r"\A[0-9 .-]{8,11}\Z")),
                    contact=date_values(enc, xlsx=xlsx), end=date_values(enc, xlsx=xlsx),
                    birth=date_values(enc, xlsx=xlsx))
    return st.lists(row, min_size=min_size, max_size=max_size)


def canonical_bsn(text: str) -> str | None:
    """The BSN standardise makes of a field (written here independently): a number a
    spreadsheet wrote as "123456782.0" is its digits; otherwise every non-digit goes; a
    dropped leading zero comes back (padded to 9)."""
    trimmed = text.strip()
    if re.fullmatch(r"[0-9]+\.0+", trimmed):
        digits = trimmed.split(".")[0]
    else:
        digits = re.sub(r"[^0-9]", "", text)
    return digits.zfill(9) if digits else None


@dataclass
class Expected:
    loaded: dict[int, Row] = field(default_factory=dict)
    rejects: list[tuple[int, str]] = field(default_factory=list)


def expected_records(data: list[Row], columns: dict[str, str], fmt: str,
                     ragged: set[int] = frozenset(),
                     numbers: list[int] | None = None) -> Expected:
    """What the contract says happens to each row (delivery.md, "Bad input"). `numbers`:
    each row's number when it is not its position (blank lines before it)."""
    out = Expected()
    first: dict[str, int] = {}
    for position, row in enumerate(data, start=1):
        number = numbers[position - 1] if numbers else position
        if number in ragged:
            out.rejects.append((number, RAGGED))
            continue
        rid = row.record_id.strip(" ") or None
        if rid is not None:
            first.setdefault(rid, number)
        reasons = []
        if rid is None:
            reasons.append(f"no record_id (column {columns['record_id']})")
        c = columns["contact_date"]
        if row.contact.blank:
            reasons.append(f"contact_date (column {c}) is empty")
        elif row.contact.parsed is None:
            reasons.append(f"contact_date (column {c}) is not a date in the format {fmt}")
        if not row.end.blank and row.end.parsed is None:
            reasons.append(f"end_date (column {columns['end_date']}) is not a date in the "
                           f"format {fmt}")
        if rid is not None and first[rid] != number:
            reasons.append(f"record_id already used in row {first[rid]}")
        if reasons:
            out.rejects.append((number, "; ".join(reasons)))
        else:
            out.loaded[number] = row
    out.rejects.sort()
    return out


def check_loaded(manifest: Path, display: str, data: list[Row], exp: Expected,
                 *, check_birth: bool = True) -> None:
    """The canonical records and rejects of `display` are exactly what the contract says."""
    con = load_only(manifest)
    try:
        rejects = con.execute('SELECT "row", reason FROM rejects WHERE file = ? ORDER BY "row"',
                              [display]).fetchall()
        assert rejects == exp.rejects
        # load keeps the text; standardise's one BSN normalisation gives the canonical BSN
        from mpg.linkage.standardise import create_macros
        from mpg.pipeline.config import load_linkage
        create_macros(con, load_linkage().name_prefixes)
        got = {r[0]: r[1:] for r in con.execute(
            "SELECT row_number, record_id, surname, given_names, bsn, "
            "mpg_bsn_padded(mpg_bsn_digits(bsn)), contact_date, end_date, "
            "birth_date FROM ident.records WHERE file = ? ORDER BY row_number",
            [display]).fetchall()}
    finally:
        con.close()
    assert sorted(got) == sorted(exp.loaded), "loaded rows differ from the expected rows"
    for number, row in exp.loaded.items():
        record_id, surname, given, raw_bsn, bsn, contact, end, birth = got[number]
        assert record_id == row.record_id.strip(" "), number
        assert surname == (row.surname or None), number
        assert given == (row.given_names or None), number
        assert raw_bsn == (row.bsn.strip(" ") or None), number
        assert bsn == canonical_bsn(row.bsn), number
        assert contact == row.contact.parsed, number
        assert end == row.end.parsed, number
        if check_birth:
            assert birth == row.birth.parsed, number


RESERVED_NAMES = {"__row", "Opmerking", "Adres"}  # the reader's, and the tests' own columns


def column_names(*, xlsx: bool = False) -> st.SearchStrategy[dict[str, str]]:
    """The file's column name for each canonical field: the canonical name itself, its
    upper-case twin (DuckDB matches names without regard to case), or any other text."""
    def one(f: str) -> st.SearchStrategy[str]:
        other = names(xlsx=xlsx).filter(lambda t: t and t.lower() not in RECORD_FIELDS
                                        and t not in RESERVED_NAMES)
        return st.one_of(st.just(f), st.just(f.upper()), st.just(f.title()), other)
    fields = ("record_id", "surname", "given_names", "bsn", "birth_date", "contact_date",
              "end_date")
    return st.fixed_dictionaries({f: one(f) for f in fields}).filter(
        lambda m: len({v for v in m.values()}) == len(m))


def mapping_for(columns: dict[str, str]) -> dict[str, str]:
    return {f: c for f, c in columns.items() if c != f}


FIELD_VALUES: dict[str, Callable[[Row, str], Any]] = {
    "record_id": lambda r, fmt: r.record_id,
    "surname": lambda r, fmt: r.surname,
    "given_names": lambda r, fmt: r.given_names,
    "bsn": lambda r, fmt: r.bsn,
    "birth_date": lambda r, fmt: r.birth.write(fmt),
    "contact_date": lambda r, fmt: r.contact.write(fmt),
    "end_date": lambda r, fmt: r.end.write(fmt),
}


def row_values(data: list[Row]) -> list[str]:
    out = []
    for r in data:
        out += [r.record_id, r.surname, r.given_names, r.bsn]
    return [v for v in out if v]


# ------------------------------------------------------------------ csv
ENCODINGS = ("utf-8", "utf-8-bom", "utf-8-sig", "cp1252", "latin-1", "utf-16")


@st.composite
def csv_files(draw):
    enc = draw(st.sampled_from(ENCODINGS))
    text_enc = "utf-8" if enc == "utf-8-bom" else enc
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    fmt = draw(st.sampled_from(DATE_FORMATS))
    columns = draw(column_names())
    if enc not in ("utf-8", "utf-8-bom", "utf-8-sig", "utf-16"):
        ok = _printable(text_enc)
        assume(all(ok(ch) for name in columns.values() for ch in name))
    order = draw(st.permutations(list(columns)))
    extra = draw(st.lists(st.sampled_from(["Opmerking", "SURNAME", "Contact_Date", "naam",
                                           "Naam", "x;y", 'q"uote']), unique=True, max_size=3))
    extra = [e for e in extra if e not in columns.values()]
    data = draw(rows(text_enc))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    endings = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    row_endings = [draw(st.sampled_from(["\n", "\r\n", "\r"])) if endings == "mixed"
                   else endings for _ in range(len(data) + 1)]
    final_newline = draw(st.booleans())
    return dict(enc=enc, text_enc=text_enc, delimiter=delimiter, fmt=fmt, columns=columns,
                order=order, extra=extra, data=data, quoting=quoting, row_endings=row_endings,
                final_newline=final_newline)


def write_row(buf: io.StringIO, values: list[Any], delimiter: str, ending: str,
              quoting: int = csv.QUOTE_MINIMAL) -> None:
    """One csv row ending in `ending`. The csv module quotes a value with a line break only
    if the break is part of its lineterminator: written with "\r\n", values holding either
    are quoted, as any csv writer does."""
    row = io.StringIO()
    csv.writer(row, delimiter=delimiter, quoting=quoting, lineterminator="\r\n").writerow(values)
    buf.write(row.getvalue()[:-2] + ending)


def write_csv(path: Path, spec: dict[str, Any]) -> None:
    buf = io.StringIO()
    header = [spec["columns"][f] for f in spec["order"]] + spec["extra"]
    lines = [header] + [[FIELD_VALUES[f](r, spec["fmt"]) for f in spec["order"]]
                        + [f"extra {i}" for i in range(len(spec["extra"]))]
                        for r in spec["data"]]
    for values, ending in zip(lines, spec["row_endings"]):
        write_row(buf, values, spec["delimiter"], ending, spec["quoting"])
    text = buf.getvalue()
    if not spec["final_newline"]:
        text = text[: -len(spec["row_endings"][len(lines) - 1])]
    if spec["enc"] == "utf-8-bom":
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    else:
        data = text.encode(spec["text_enc"])
    path.write_bytes(data)


@FUZZ
@given(spec=csv_files(), agency=st.sampled_from(AGENCIES))
def test_csv_any_encoding_delimiter_quoting_and_line_ending(spec, agency):
    """Every row written is loaded with its values or rejected with its exact reason."""
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        display = "agency/bestand één.csv"
        path = d.root / display
        path.parent.mkdir(parents=True)
        write_csv(path, spec)
        declared = {"utf-8-bom": "utf-8"}.get(spec["enc"], spec["enc"])
        manifest = write_manifest(d, [{
            "agency": agency, "path": display, "delimiter": spec["delimiter"],
            "encoding": declared, "date_format": spec["fmt"],
            "columns": mapping_for(spec["columns"])}])
        outcome = validate(manifest)
        if outcome.error is not None:
            # A quoted value with a line break is legal, and nothing else here is a file
            # error: a well-formed csv written by Python's csv module must load.
            pytest.fail(f"a well-formed csv was refused: {outcome.error}")
        exp = expected_records(spec["data"], spec["columns"], spec["fmt"])
        assert_counts(outcome.files, display, len(spec["data"]), len(exp.loaded),
                      len(exp.rejects))
        check_loaded(manifest, display, spec["data"], exp)


@st.composite
def ragged_csv(draw):
    """Rows with too many or too few fields, blank lines between rows, maybe a header only."""
    n = draw(st.integers(0, 10))
    shapes = draw(st.lists(st.sampled_from(["ok", "short", "long", "blank_before"]),
                           min_size=n, max_size=n))
    delimiter = draw(st.sampled_from([",", ";"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    final_newline = draw(st.booleans())
    return n, shapes, delimiter, ending, final_newline


@settings(FUZZ, max_examples=max(EXAMPLES * 3 // 4, 1))
@given(spec=ragged_csv(), surname=names())
def test_csv_ragged_rows_and_blank_lines_are_counted(spec, surname):
    """A row with the wrong number of fields is rejected under its own row number; a blank
    line is not a row, but it keeps its number, as an editor shows it (row 13 of a file with
    two blank lines above it is reported as row 13, not 11); a header-only file is an empty
    file, not an error."""
    n, shapes, delimiter, ending, final_newline = spec
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        buf = io.StringIO()
        write_row(buf, ["record_id", "surname", "contact_date"], delimiter, ending)
        ragged, data, numbers, number = set(), [], [], 0
        for i, shape in enumerate(shapes, start=1):
            values = [f"R{i}", surname or "x", "2003-03-03"]
            number += 1
            if shape == "blank_before":
                buf.write(ending)
                number += 1
            elif shape == "short":
                values = values[:2]
                ragged.add(number)
            elif shape == "long":
                values = values + ["extra"]
                ragged.add(number)
            numbers.append(number)
            write_row(buf, values, delimiter, ending)
            data.append(Row(f"R{i}", surname or "x", "", "", DateValue(
                "valid", dt.datetime(2003, 3, 3)), DateValue("empty"), DateValue("empty")))
        text = buf.getvalue()
        if not final_newline:
            text = text.rstrip("\r\n")
        (d.root / "m.csv").write_text(text, encoding="utf-8")
        manifest = write_manifest(d, [{"agency": "MJD", "path": "m.csv",
                                       "delimiter": delimiter}])
        outcome = validate(manifest)
        assert outcome.error is None, outcome.error
        columns = {f: f for f in ("record_id", "contact_date", "end_date")}
        exp = expected_records(data, columns, "%Y-%m-%d", ragged, numbers)
        assert_counts(outcome.files, "m.csv", n, len(exp.loaded), len(exp.rejects))
        check_loaded(manifest, "m.csv", data, exp, check_birth=False)


# A csv that is broken as a file: each must stop with a DeliveryError naming the file and
# quoting none of its values. The rows hold a name that must not appear in the message.
NAME = "Quirijntje"
BROKEN_CSV: dict[str, tuple[bytes, dict[str, str]]] = {
    "empty": (b"", {}),
    "only a byte order mark": (b"\xef\xbb\xbf", {}),
    "only blank lines": (b"\n\n\r\n", {}),
    "not utf-8": (f"record_id,surname,contact_date\n1,{NAME} Ölçer,2003-01-01\n"
                  .encode("cp1252"), {}),
    "utf-16 without declaring it": ("record_id,surname,contact_date\n1,x,2003-01-01\n"
                                    .encode("utf-16"), {}),
    "quote never closed": (f'record_id,surname,contact_date\n1,"{NAME},2003-01-01\n'
                           f"2,{NAME},2003-01-02\n3,{NAME},2003-01-03\n".encode(), {}),
    "quote never closed in the last column": (
        f'record_id,contact_date,surname\n1,2003-01-01,"{NAME}\n2,2003-01-02,{NAME}\n'
        .encode(), {}),
    "no header row (mapped)": (f"1,{NAME},2003-01-01,123456782\n".encode(),
                               {"columns.surname": "Achternaam"}),
    "no header row (unmapped)": (f"1,{NAME},2003-01-01,123456782\n".encode(), {}),
    "duplicate column names": (f"record_id,surname,surname,contact_date\n1,{NAME},{NAME},"
                               "2003-01-01\n".encode(), {}),
    "reserved column name": (f"record_id,__row,contact_date\n1,{NAME},2003-01-01\n"
                             .encode(), {}),
    "mapped column absent": (f"record_id,naam,contact_date\n1,{NAME},2003-01-01\n".encode(),
                             {"columns.surname": "achternaam"}),
    "bad delimiter": (b"record_id,contact_date\n1,2003-01-01\n", {"delimiter": "\u20ac"}),
    "quote as delimiter": (b"record_id,contact_date\n1,2003-01-01\n", {"delimiter": '"'}),
    "not a text encoding": (b"record_id,contact_date\n1,2003-01-01\n", {"encoding": "rot13"}),
    "date format DuckDB cannot use": (b"record_id,contact_date\n1,2003-01-01\n",
                                      {"date_format": "%d-%m-%Y %e"}),
    "date format ending in %": (b"record_id,contact_date\n1,2003-01-01\n",
                                {"date_format": "%d-%m-%"}),
    "a directory": (b"", {"path": "map"}),
    "a path with a NUL": (b"", {"path": "m\u0000.csv"}),
    "xlsx that is csv": (f"record_id,surname\n1,{NAME}\n".encode(), {"path": "m.xlsx"}),
    "parquet that is csv": (f"record_id,surname\n1,{NAME}\n".encode(), {"path": "m.parquet"}),
    "unknown extension": (b"record_id\n1\n", {"path": "m.json"}),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CSV))
def test_a_broken_file_is_a_delivery_error_that_names_it(case, tmp_path: Path):
    from mpg.pipeline.errors import ConfigError, DeliveryError

    content, entry = BROKEN_CSV[case]
    d = small_register(tmp_path / "delivery")
    path = entry.get("path", "m.csv")
    if case == "a directory":
        (d.root / path).mkdir()
    elif "\x00" not in path:
        (d.root / path).write_bytes(content)
    source = {"agency": "OGGZ", "path": path, **{k: v for k, v in entry.items()
                                                  if not k.startswith("columns.")}}
    source["columns"] = {k.split(".", 1)[1]: v for k, v in entry.items()
                         if k.startswith("columns.")}
    outcome = validate(write_manifest(d, [source]))
    assert outcome.files is None, f"{case}: loaded {outcome.files}"
    assert isinstance(outcome.error, (DeliveryError, ConfigError))
    message = str(outcome.error)
    assert path.replace("\x00", "\\x00") in message or path in message, message
    for value in (NAME, "123456782", "2003-01-01", "2003-01-02", "Ölçer"):
        assert value not in message, f"{case}: {value!r} in the message: {message}"


def test_headerless_file_message_lists_no_data_but_a_real_header_is_listed(tmp_path: Path):
    """A mapped column that is absent: the file's header is shown when it is a header (a
    typo in the manifest is then easy to see), not when the first row is data."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text("record_id,naam,contact_date\n1,x,2003-01-01\n")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "m.csv",
                                           "columns": {"surname": "achternaam"}}]))
    assert "'naam'" in str(outcome.error) and "'record_id'" in str(outcome.error)


def test_csv_header_with_trailing_delimiters_loads(tmp_path: Path):
    """Excel's csv export ends lines with empty columns (";;;"): they have no name, cannot
    be mapped and do not stop the file."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text("record_id;contact_date;;\n1;2003-01-01;;\n2;2003-01-02;;\n")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "m.csv",
                                           "delimiter": ";"}]))
    assert outcome.error is None, outcome.error
    assert_counts(outcome.files, "m.csv", 2, 2, 0)


def test_csv_columns_differing_only_in_case_are_different_columns(tmp_path: Path):
    """DuckDB matches identifiers without regard to case: the loader must still read the
    column the manifest names, not its twin."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text("record_id,Surname,surname,contact_date\n1,Wrong,Right,"
                                  "2003-01-01\n")
    manifest = write_manifest(d, [{"agency": "MJD", "path": "m.csv"}])
    con = load_only(manifest)
    assert con.execute("SELECT surname FROM ident.records").fetchall() == [("Right",)]


def test_column_names_and_formats_with_quotes_load(tmp_path: Path):
    """Quotes in a column name or a date format are data for SQL, never SQL."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text("rec'id,Achter\"naam,datum\n1,Jansen,2003'01'05\n"
                                  ",Jansen,2003'01'06\n", encoding="utf-8")
    manifest = write_manifest(d, [{
        "agency": "MJD", "path": "m.csv", "date_format": "%Y'%m'%d",
        "columns": {"record_id": "rec'id", "surname": 'Achter"naam',
                    "contact_date": "datum"}}])
    con = load_only(manifest)
    assert con.execute("SELECT record_id, surname, contact_date FROM ident.records"
                       ).fetchall() == [("1", "Jansen", dt.date(2003, 1, 5))]
    assert con.execute('SELECT "row", reason FROM rejects').fetchall() == [
        (2, "no record_id (column rec'id)")]


@pytest.mark.parametrize("word", ["infinity", "INFINITY", "-infinity", "epoch", "Infinity "])
def test_words_duckdb_reads_as_dates_are_not_dates(word, tmp_path: Path):
    """DuckDB's strptime takes "infinity" and "epoch" whatever the format: in a delivery they
    are not dates in the declared format, so a required date makes the row a reject and a
    birth date is unreadable (never 9999-12-31 or 1970-01-01)."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text(f"record_id,contact_date,birth_date\n1,{word},\n"
                                  f"2,02-01-2003,{word}\n")
    manifest = write_manifest(d, [{"agency": "MJD", "path": "m.csv", "date_format": "%d-%m-%Y"}])
    con = load_only(manifest)
    assert con.execute('SELECT "row", reason FROM rejects').fetchall() == [
        (1, "contact_date (column contact_date) is not a date in the format %d-%m-%Y")]
    assert con.execute("SELECT row_number, birth_date FROM ident.records").fetchall() == [
        (2, None)]
    assert con.execute("SELECT unreadable_birth_dates FROM source_files WHERE file = 'm.csv'"
                       ).fetchall() == [(1,)]


def test_a_value_larger_than_the_csv_module_allows_loads(tmp_path: Path):
    """Python's csv module refuses fields over 128 KiB unless told; a ragged file is read by
    it (the fast reader cannot keep row numbers for ragged rows)."""
    d = small_register(tmp_path / "delivery")
    (d.root / "m.csv").write_text("record_id,surname,contact_date\n1," + "x" * 200_000
                                  + ",2003-01-01\n2,2003-01-01\n")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "m.csv"}]))
    assert outcome.error is None, outcome.error
    assert_counts(outcome.files, "m.csv", 2, 1, 1)


# ------------------------------------------------------------------ register files
@st.composite
def register_persons(draw):
    ids = st.one_of(st.sampled_from(["P1", "P2", "P1 ", "", "p1"]),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
                    .map(str.strip))
    persons = draw(st.lists(st.tuples(ids, names(), date_values()), max_size=12))
    return persons


@settings(FUZZ, max_examples=max(EXAMPLES * 3 // 4, 1))
@given(persons=register_persons())
def test_register_persons_rows_are_loaded_or_rejected(persons):
    """The register is read by the same readers: person_id and birth_date are required,
    person_id unique; every row is accounted for."""
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        with open(d.root / "gba" / "personen.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["person_id", "surname", "birth_date"])
            for pid, surname, birth in persons:
                w.writerow([pid, surname, birth.write("%Y-%m-%d")])
        outcome = validate(write_manifest(d, []))
        assert outcome.error is None, outcome.error
        first: dict[str, int] = {}
        rejects = []
        for number, (pid, _, birth) in enumerate(persons, start=1):
            key = pid.strip(" ") or None
            if key is not None:
                first.setdefault(key, number)
            reasons = []
            if key is None:
                reasons.append("no person_id (column person_id)")
            if birth.blank:
                reasons.append("birth_date (column birth_date) is empty")
            elif birth.parsed is None:
                reasons.append("birth_date (column birth_date) is not a date in the format "
                               "%Y-%m-%d")
            if key is not None and first[key] != number:
                reasons.append(f"person_id already used in row {first[key]}")
            if reasons:
                rejects.append((number, "; ".join(reasons)))
        assert_counts(outcome.files, "gba/personen.csv", len(persons),
                      len(persons) - len(rejects), len(rejects))
        con = load_only(d.root / "delivery.toml")
        assert con.execute("SELECT \"row\", reason FROM rejects WHERE file = 'gba/personen.csv'"
                           " ORDER BY 1").fetchall() == rejects


# ------------------------------------------------------------------ xlsx
CELL_KINDS = ("native", "text", "native_date")


@st.composite
def xlsx_files(draw):
    fmt = draw(st.sampled_from(DATE_FORMATS))
    data = draw(rows(xlsx=True, max_size=10))
    date_cells = draw(st.lists(st.sampled_from(["datetime", "date", "text"]),
                               min_size=len(data), max_size=len(data)))
    id_as_number = draw(st.lists(st.booleans(), min_size=len(data), max_size=len(data)))
    sheets_before = draw(st.integers(0, 2))
    sheets_after = draw(st.integers(0, 2))
    merged_header = draw(st.booleans())
    empty_header_cell = draw(st.booleans())
    columns = draw(column_names(xlsx=True))
    for row in data:  # Excel keeps time to the millisecond
        for attr in ("contact", "end", "birth"):
            v = getattr(row, attr)
            if v.kind == "valid":
                setattr(row, attr, DateValue("valid", v.value.replace(microsecond=0)))
    return dict(fmt=fmt, data=data, date_cells=date_cells, id_as_number=id_as_number,
                sheets_before=sheets_before, sheets_after=sheets_after,
                merged_header=merged_header, empty_header_cell=empty_header_cell,
                columns=columns)


def _xlsx_cell(ws, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with "=" is text, not a formula


def write_xlsx(path: Path, spec: dict[str, Any]) -> list[Row]:
    """Write the workbook; returns the rows as the reader must see them (a number as
    record_id reads back as its digits)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for i in range(spec["sheets_before"]):
        s = wb.create_sheet(f"Toelichting {i}")
        s.append(["Deze sheet", "is uitleg"])
        s.append(["record_id", "contact_date"])
    ws = wb.create_sheet("Gegevens")
    for i in range(spec["sheets_after"]):
        s = wb.create_sheet(f"Na {i}")
        s.append(["x"])
    fields = list(spec["columns"])
    header = [spec["columns"][f] for f in fields] + ["Opmerking"]
    if spec["merged_header"]:
        header += ["Adres", None]  # "Adres" merged over two cells
    if spec["empty_header_cell"]:
        header += [None]
    for c, name in enumerate(header, start=1):
        if name is not None:
            _xlsx_cell(ws, 1, c, name)
    if spec["merged_header"]:
        start = len(fields) + 2
        ws.merge_cells(start_row=1, start_column=start, end_row=1, end_column=start + 1)
    seen = []
    for r, (row, kind, as_number) in enumerate(
            zip(spec["data"], spec["date_cells"], spec["id_as_number"]), start=2):
        rid: Any = row.record_id
        if as_number and re.fullmatch(r"[1-9][0-9]{0,8}", row.record_id):
            rid = int(row.record_id)
        values = []
        for f in fields:
            if f == "record_id":
                v = rid if rid != "" else None
            elif f in ("contact_date", "end_date", "birth_date"):
                dv: DateValue = {"contact_date": row.contact, "end_date": row.end,
                                 "birth_date": row.birth}[f]
                if dv.kind == "valid" and kind != "text":
                    v = dv.value if kind == "datetime" else dv.value.date()
                else:
                    v = dv.write(spec["fmt"]) or None
            else:
                v = FIELD_VALUES[f](row, spec["fmt"]) or None
            values.append(v)
        values.append(f"opmerking {r}")  # no row is empty: an empty row is not a row
        if spec["merged_header"]:
            values += ["Straat 1", "bis"]
        if spec["empty_header_cell"]:
            values += ["zonder kop"]
        for c, v in enumerate(values, start=1):
            if v is not None:
                _xlsx_cell(ws, r, c, v)
        seen.append(row)
    wb.save(path)
    return seen


@FUZZ
@given(spec=xlsx_files(), agency=st.sampled_from(AGENCIES))
def test_xlsx_native_and_text_dates_extra_sheets_merged_headers(spec, agency):
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        display = "xl/bestand.xlsx"
        (d.root / "xl").mkdir()
        data = write_xlsx(d.root / display, spec)
        entry = {"agency": agency, "path": display, "date_format": spec["fmt"],
                 "columns": mapping_for(spec["columns"])}
        if spec["sheets_before"]:
            entry["sheet"] = "Gegevens"
        outcome = validate(write_manifest(d, [entry]))
        assert outcome.error is None, outcome.error
        exp = expected_records(data, spec["columns"], spec["fmt"])
        assert_counts(outcome.files, display, len(data), len(exp.loaded), len(exp.rejects))
        check_loaded(d.root / "delivery.toml", display, data, exp)


def test_xlsx_first_sheet_is_read_unless_the_manifest_names_one(tmp_path: Path):
    import openpyxl

    d = small_register(tmp_path / "delivery")
    wb = openpyxl.Workbook()
    wb.active.title = "Uitleg"
    wb.active.append(["Lees dit eerst"])
    data = wb.create_sheet("Data")
    data.append(["record_id", "contact_date"])
    data.append(["1", dt.datetime(2003, 1, 1)])
    wb.save(d.root / "m.xlsx")
    first = validate(write_manifest(d, [{"agency": "MJD", "path": "m.xlsx"}]))
    assert "m.xlsx" in str(first.error) and "record_id" in str(first.error)
    named = validate(write_manifest(d, [{"agency": "MJD", "path": "m.xlsx", "sheet": "Data"}]))
    assert_counts(named.files, "m.xlsx", 1, 1, 0)
    missing = validate(write_manifest(d, [{"agency": "MJD", "path": "m.xlsx", "sheet": "Nee"}]))
    assert "m.xlsx" in str(missing.error) and "'Nee'" in str(missing.error)


def test_xlsx_duplicate_header_is_a_file_error_not_a_lost_column(tmp_path: Path):
    import openpyxl

    d = small_register(tmp_path / "delivery")
    wb = openpyxl.Workbook()
    wb.active.append(["record_id", "surname", "surname", "contact_date"])
    wb.active.append(["1", NAME, "Other", dt.datetime(2003, 1, 1)])
    wb.save(d.root / "m.xlsx")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "m.xlsx"}]))
    assert outcome.files is None
    assert "m.xlsx" in str(outcome.error) and NAME not in str(outcome.error)


def test_xlsx_value_beyond_the_last_header_cell_is_not_cut_off(tmp_path: Path):
    """A row wider than the header keeps its row (the extra cell becomes an unnamed column)."""
    import openpyxl

    d = small_register(tmp_path / "delivery")
    wb = openpyxl.Workbook()
    wb.active.append(["record_id", "contact_date"])
    wb.active.append(["1", dt.datetime(2003, 1, 1), "los"])
    wb.active.append([None, None, "alleen hier"])  # a row, though only an unnamed cell
    wb.save(d.root / "m.xlsx")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "m.xlsx"}]))
    assert outcome.error is None, outcome.error
    assert_counts(outcome.files, "m.xlsx", 2, 1, 1)


# ------------------------------------------------------------------ parquet
DATE_TYPES = ("date32", "date64", "timestamp[s]", "timestamp[ms]", "timestamp[us]",
              "timestamp[ns]", "timestamp[us, tz=Europe/Amsterdam]", "string")
ID_TYPES = ("string", "large_string", "int64", "float64", "dictionary")
NAME_TYPES = ("string", "large_string", "dictionary", "null")


@st.composite
def parquet_files(draw):
    fmt = draw(st.sampled_from(DATE_FORMATS))
    data = draw(rows(max_size=10))
    date_type = draw(st.sampled_from(DATE_TYPES))
    id_type = draw(st.sampled_from(ID_TYPES))
    name_type = draw(st.sampled_from(NAME_TYPES))
    if id_type in ("int64", "float64"):
        numbers = draw(st.lists(st.one_of(st.none(), st.integers(0, 10**9)),
                                min_size=len(data), max_size=len(data)))
        for row, n in zip(data, numbers):
            row.record_id = "" if n is None else str(n)
    if name_type == "null":
        for row in data:
            row.surname = ""
    if date_type != "string":  # a native date column holds dates or nothing
        for row in data:
            for attr in ("contact", "end", "birth"):
                if getattr(row, attr).kind != "valid":
                    setattr(row, attr, DateValue("empty"))
    return dict(fmt=fmt, data=data, date_type=date_type, id_type=id_type, name_type=name_type)


def _native_dates(values: list[DateValue], date_type: str) -> pa.Array:
    py = [v.value if v.kind == "valid" else None for v in values]
    if date_type in ("date32", "date64"):
        return pa.array([v.date() if v else None for v in py], getattr(pa, date_type)())
    unit = date_type.split("[")[1].split(",")[0].rstrip("]")
    if "tz=" in date_type:
        # a wall-clock time in Amsterdam: the date the reader must give is its local date
        import zoneinfo
        tz = zoneinfo.ZoneInfo("Europe/Amsterdam")
        aware = [v.replace(tzinfo=tz).astimezone(dt.timezone.utc) if v else None for v in py]
        return pa.array(aware, pa.timestamp(unit, tz="Europe/Amsterdam"))
    if unit in ("s", "ms"):
        py = [v.replace(microsecond=0 if unit == "s" else v.microsecond // 1000 * 1000)
              if v else None for v in py]
    return pa.array(py, pa.timestamp(unit))


def write_parquet(path: Path, spec: dict[str, Any]) -> None:
    data, fmt = spec["data"], spec["fmt"]
    ids: list[Any] = [r.record_id or None for r in data]
    id_array = {"string": lambda: pa.array(ids, pa.string()),
                "large_string": lambda: pa.array(ids, pa.large_string()),
                "int64": lambda: pa.array([int(i) if i else None for i in ids], pa.int64()),
                "float64": lambda: pa.array([float(i) if i else None for i in ids],
                                            pa.float64()),
                "dictionary": lambda: pa.array(ids, pa.string()).dictionary_encode()
                }[spec["id_type"]]()
    surnames = [r.surname or None for r in data]
    name_array = {"string": lambda: pa.array(surnames, pa.string()),
                  "large_string": lambda: pa.array(surnames, pa.large_string()),
                  "dictionary": lambda: pa.array(surnames, pa.string()).dictionary_encode(),
                  "null": lambda: pa.nulls(len(data))}[spec["name_type"]]()
    columns = {"record_id": id_array, "surname": name_array,
               "given_names": pa.array([r.given_names or None for r in data], pa.string()),
               "bsn": pa.array([r.bsn or None for r in data], pa.string())}
    for name, attr in (("contact_date", "contact"), ("end_date", "end"),
                       ("birth_date", "birth")):
        values = [getattr(r, attr) for r in data]
        if spec["date_type"] == "string":
            columns[name] = pa.array([v.write(fmt) or None for v in values], pa.string())
        else:
            columns[name] = _native_dates(values, spec["date_type"])
    pq.write_table(pa.table(columns), path)


@FUZZ
@given(spec=parquet_files(), agency=st.sampled_from(AGENCIES))
def test_parquet_any_column_type_and_date_format(spec, agency):
    """Native dates load as the same date whatever the declared format (they are written as
    text in that format by the engine that parses them back); numbers as their digits."""
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        write_parquet(d.root / "p.parquet", spec)
        manifest = write_manifest(d, [{"agency": agency, "path": "p.parquet",
                                       "date_format": spec["fmt"]}])
        outcome = validate(manifest)
        assert outcome.error is None, outcome.error
        columns = {f: f for f in ("record_id", "contact_date", "end_date")}
        exp = expected_records(spec["data"], columns, spec["fmt"])
        assert_counts(outcome.files, "p.parquet", len(spec["data"]), len(exp.loaded),
                      len(exp.rejects))
        check_loaded(manifest, "p.parquet", spec["data"], exp)


WRONG_TYPES = {
    "binary": pa.array([b"\x00Jansen"], pa.binary()),
    "list": pa.array([["Jansen"]]),
    "struct": pa.array([{"naam": "Jansen"}]),
    "time": pa.array([dt.time(1, 2)], pa.time64("us")),
    "duration": pa.array([dt.timedelta(days=1)], pa.duration("s")),
    "map": pa.array([[("a", "Jansen")]], pa.map_(pa.string(), pa.string())),
}


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_parquet_column_of_a_type_that_is_not_text_is_a_file_error(kind, tmp_path: Path):
    from mpg.pipeline.errors import DeliveryError

    d = small_register(tmp_path / "delivery")
    pq.write_table(pa.table({"record_id": ["1"], "contact_date": ["2003-01-01"],
                             "surname": WRONG_TYPES[kind]}), d.root / "p.parquet")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "p.parquet"}]))
    assert isinstance(outcome.error, DeliveryError), outcome
    assert "p.parquet" in str(outcome.error) and "'surname'" in str(outcome.error)
    assert "Jansen" not in str(outcome.error)


def test_parquet_column_without_any_value_loads(tmp_path: Path):
    """pandas writes a column of only None as Arrow's null type: nothing is wrong with it."""
    d = small_register(tmp_path / "delivery")
    pq.write_table(pa.table({"record_id": ["1", "2"], "contact_date": ["2003-01-01"] * 2,
                             "prefix": pa.nulls(2)}), d.root / "p.parquet")
    outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "p.parquet"}]))
    assert outcome.error is None, outcome.error
    assert_counts(outcome.files, "p.parquet", 2, 2, 0)


def test_parquet_native_dates_round_trip_in_formats_arrow_cannot_write(tmp_path: Path):
    """%-d and %f are DuckDB formats Arrow's strftime does not know: a native date must not
    become a reject because of the declared text format."""
    d = small_register(tmp_path / "delivery")
    pq.write_table(pa.table({"record_id": ["1", "2"],
                             "contact_date": pa.array([dt.date(2003, 3, 7),
                                                       dt.date(2003, 12, 31)])}),
                   d.root / "p.parquet")
    for fmt in ("%-d-%-m-%Y", "%Y/%m/%d %H:%M:%S.%f"):
        manifest = write_manifest(d, [{"agency": "MJD", "path": "p.parquet",
                                       "date_format": fmt}])
        con = load_only(manifest)
        assert con.execute("SELECT contact_date FROM ident.records ORDER BY 1").fetchall() == [
            (dt.date(2003, 3, 7),), (dt.date(2003, 12, 31),)], fmt


# ------------------------------------------------------------------ same content twice
@settings(FUZZ, max_examples=max(EXAMPLES * 2 // 5, 1))
@given(n=st.integers(0, 5), bad=st.integers(0, 3))
def test_a_file_listed_twice_is_counted_once_and_reported(n, bad):
    """The same content under two entries: the second is reported as a duplicate with its
    rows, never loaded (rows are not counted twice, and none vanish from the report)."""
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        lines = ["record_id,contact_date"] + [f"R{i},2003-01-01" for i in range(n)]
        lines += [f"B{i},nooit" for i in range(bad)]
        text = "\n".join(lines) + "\n"
        (d.root / "a.csv").write_text(text)
        (d.root / "b.csv").write_text(text)
        outcome = validate(write_manifest(d, [{"agency": "MJD", "path": "a.csv"},
                                              {"agency": "OGGZ", "path": "b.csv"}]))
        assert_counts(outcome.files, "a.csv", n + bad, n, bad)
        dup = file_entry(outcome.files, "b.csv")
        assert dup["duplicate_of"] == "a.csv"
        assert (dup["rows_in"], dup["rows_loaded"], dup["rows_rejected"]) == (n + bad, 0, 0)
