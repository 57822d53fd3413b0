"""No personal data out (ARCHITECTURE.md "Two databases per run"; outputs.md).

A delivery with distinctive names, BSNs, birth dates and postcodes is counted through the
CLI (`mpg run ... --publish PUB`) and in-process (with every log record kept). Then every
file under OUT and PUB is searched for those values: text files as text; parquet, xlsx and
DuckDB files value by value (every table, every column of `run.duckdb`, dates compared as
dates); every file also as raw bytes. The search must find nothing, and it must find the
values where they belong (the delivery, `identifying.duckdb` kept with --keep-identifying),
which shows it can fail. Error messages (file-level errors on files full of names, row
rejects) and all console and log output are searched the same way.

Pseudonyms are checked to be the keyed HMAC of the register numbers, birth dates to have
become ages, and a run without a key to be refused.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder import Delivery

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

KEY = "privacy-test-key-0123456789abcdef"
REF = dt.date(2003, 9, 1)
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y%m%d", "%d.%m.%Y", "%d%m%Y",
                "%Y/%m/%d", "%-d-%-m-%Y")

# Distinctive names: a hit is a leak, never a coincidence. Some have diacritics, so that a
# leak of their standardised (upper-case, ASCII) form is caught as well.
FAMILIES = [
    # surname, prefix, postcode, [(given names, birth date, sex)]
    ("Zwanenburgh", "", "9731XQ", [("Xanthippe Quirina", "1968-03-17", "V"),
                                  ("Bartholomeüs", "1966-11-02", "M"),
                                  ("Wubbolt", "1994-07-23", "M"), ("Jozefientje", "1997-01-30", "V")]),
    ("Çelikdöğen", "", "9732XQ", [("Aysunur", "1975-05-19", "V"), ("Ferhatcan", "1996-09-09", "M")]),
    ("Quakkelsteyn", "van der", "9733XQ", [("Philomène", "1971-12-24", "V"),
                                          ("Evertjan", "1969-02-11", "M"),
                                          ("Sjoukjetje", "1999-06-06", "V")]),
    ("Nguyễnthuan", "", "9734XQ", [("Thanhhuongh", "1980-08-08", "V"),
                                   ("Minhkhoaan", "2001-04-14", "M")]),
    ("Brouwersgracht", "de", "9735XQ", [("Gerbrandina", "1959-10-10", "V")]),
]
# Persons only in agency files (not in the register): unlinked records carry names too.
STRANGERS = [("Onbekendhuys", "Ravenscroftje", "1977-07-17", "100000091"),
             ("Vreemdelingh", "Ottilieke", "1983-03-03", "")]


def build(root: Path) -> tuple[Delivery, dict[str, Any]]:
    d = Delivery(root, name="PRIV")
    households = []
    for i, (surname, prefix, postcode, members) in enumerate(FAMILIES, start=1):
        adults = [{"birth_date": b, "given_names": g, "sex": s, "prefix": prefix}
                  for g, b, s in members if int(b[:4]) < 1985]
        children = [{"birth_date": b, "given_names": g, "sex": s, "prefix": prefix}
                    for g, b, s in members if int(b[:4]) >= 1985]
        households.append(d.family(f"ADR{i}", f"WK0{1 + i % 2}", adults=adults,
                                   children=children, surname=surname, postcode=postcode,
                                   house_number=10 + i))
    h1, h2, h3, h4, h5 = households
    rec = d.record
    # MULTI_AGENCY (h1), BIB (h2), ZORGNETWERK identified (h3), plus anonymous reports.
    d.source("GELDZORG", [rec(h1.mother, "2003-03-03"), rec(h5.adult, "2003-04-04")],
             path="geldzorg/klanten.csv", delimiter=";", encoding="cp1252",
             date_format="%d-%m-%Y", columns={"surname": "Achternaam", "bsn": "BSN"})
    d.source("JEUGDZORG_TOEGANG", [rec(h1.child, "2003-05-05", address=h1)],
             path="jeugdzorg/toegang.xlsx", date_format="%d/%m/%Y")
    d.source("OGGZ", [rec(h1.father, "2003-06-06", with_bsn=False, address=h1)],
             path="oggz/oggz.parquet", date_format="%Y%m%d")
    d.source("MJD", [rec(h1.mother, "2003-02-02"), rec(h1.mother, "2003-08-08"),
                     rec(h3.mother, "2003-03-13")], path="mjd/mjd.csv",
             date_format="%-d-%-m-%Y")
    d.source("BIB", [rec(h2.mother, "2003-07-07")], path="bib/bib.csv")
    d.source("ZORGNETWERK", [rec(h3.father, "2003-04-01", with_bsn=False),
                             d.anonymous_report("WK02", "2003-04-02")], path="zn/zn.csv")
    d.source("BIJSTAND", [rec(h2.mother, "2002-01-01", "2004-01-01"),
                          rec(h5.adult, "2003-01-01")], path="bijstand/bijstand.csv")
    # Unlinked records of persons the register does not have.
    d.source("WOONKANS", [{"surname": s, "given_names": g, "birth_date": b, "bsn": bsn,
                           "contact_date": "2003-05-05"} for s, g, b, bsn in STRANGERS],
             path="woonkans/wk.csv", date_format="%d.%m.%Y")
    # Rejects: rows full of names with a bad date, no record id, a record id used twice.
    bad = d.record(h4.child, "2003-13-45")
    bad.update(record_id="ZAR-1")
    d.source("ZAR", [bad, {**d.record(h4.mother, "2003-06-01"), "record_id": ""},
                     {**d.record(h4.mother, "2003-06-02"), "record_id": "ZAR-2"},
                     {**d.record(h1.mother, "2003-06-03"), "record_id": "ZAR-2"},
                     # usable rows, so that the file is not mostly rejected (a run stops then)
                     {**d.record(h4.child, "2003-06-10"), "record_id": "ZAR-3"},
                     {**d.record(h4.child, "2003-06-11"), "record_id": "ZAR-4"}],
             path="zar/zar.csv", raw=True)
    return d, {"households": households}


def sensitive_values(d: Delivery) -> dict[str, set]:
    """Names (as written and standardised), BSNs, postcodes, birth dates (as text in every
    format the delivery or a tool might write, and as dates)."""
    names, numbers, dates = set(), set(), set()
    people = [(p.surname, p.given_names, p.birth_date, p.bsn) for p in d.persons]
    people += [(s, g, b, bsn) for s, g, b, bsn in STRANGERS]
    for surname, given, birth, bsn in people:
        for name in [surname, *given.split()]:
            names.add(name.lower())
            folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            names.add(folded.lower())
        if bsn:
            numbers.add(bsn)
        dates.add(dt.date.fromisoformat(birth))
    for surname, _, postcode, _ in FAMILIES:
        numbers.add(postcode)
        numbers.add(f"{postcode[:4]} {postcode[4:]}")
    texts = {d_.strftime(f) for d_ in dates for f in DATE_FORMATS}
    return {"names": names, "numbers": numbers, "date_texts": texts, "dates": dates}


# ------------------------------------------------------------------ the search
def _token_at(text: str, value: str) -> bool:
    """`value` occurs in `text` as a whole token (no letter or digit right before or after)."""
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        if ((start == 0 or not text[start - 1].isalnum())
                and (end == len(text) or not text[end].isalnum())):
            return True
        start = text.find(value, start + 1)
    return False


def _text_hits(text: str, values: dict[str, set]) -> list[str]:
    """Names anywhere (case-insensitive, also inside longer words); numbers and dates as
    whole tokens."""
    low = text.lower()
    hits = [n for n in values["names"] if n in low]
    hits += [v for v in values["numbers"] | values["date_texts"] if _token_at(text, v)]
    return sorted(hits)


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _flatten(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _flatten(v)
    else:
        yield value


def _value_hits(values_seen: Iterator[Any], values: dict[str, set], where: str) -> list[str]:
    hits = []
    for v in values_seen:
        if isinstance(v, dt.datetime):
            v = v.date()
        if isinstance(v, dt.date):
            if v in values["dates"]:
                hits.append(f"{where}: birth date {v}")
        elif isinstance(v, (str, bytes)):
            text = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            hits += [f"{where}: {h}" for h in _text_hits(text, values)]
        elif isinstance(v, int) and str(v) in values["numbers"]:
            hits.append(f"{where}: {v}")
    return hits


def scan_duckdb(path: Path, values: dict[str, set]) -> tuple[list[str], int]:
    """Every column of every table: text (lists and structs as text) and dates."""
    hits, columns = [], 0
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT DISTINCT table_schema, table_name FROM "
                             "information_schema.tables WHERE table_catalog = current_database()"
                             ).fetchall()
        for schema, table in tables:
            for name, kind in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE "
                    "table_schema = ? AND table_name = ? AND table_catalog = current_database()",
                    [schema, table]).fetchall():
                columns += 1
                ref = f'"{schema}"."{table}"'
                col = '"' + name.replace('"', '""') + '"'
                if kind in ("DATE",) or kind.startswith("TIMESTAMP"):
                    rows = con.execute(f"SELECT DISTINCT CAST({col} AS DATE) FROM {ref}")
                else:
                    rows = con.execute(f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM {ref}")
                hits += _value_hits((r[0] for r in rows.fetchall()), values,
                                    f"{path.name}:{table}.{name}")
                if name.lower() in ("surname", "given_names", "bsn", "birth_date", "postcode",
                                    "street", "house_number"):
                    hits.append(f"{path.name}:{table}.{name} (an identifying column)")
    finally:
        con.close()
    return hits, columns


def scan_file(path: Path, values: dict[str, set]) -> list[str]:
    suffix = path.suffix.lower()
    hits: list[str] = []
    raw = path.read_bytes()
    for encoding in ("utf-8", "utf-16-le"):
        hits += [f"{path.name} (bytes, {encoding}): {h}"
                 for h in _text_hits(raw.decode(encoding, "replace"), values)]
    if suffix == ".parquet":
        table = pq.read_table(path)
        for name, column in zip(table.column_names, table.columns):
            hits += _value_hits(_flatten(column.to_pylist()), values, f"{path.name}:{name}")
    elif suffix == ".duckdb":
        hits += scan_duckdb(path, values)[0]
    elif suffix in (".xlsx", ".xlsm"):
        import openpyxl
        book = openpyxl.load_workbook(path, read_only=True)
        for ws in book.worksheets:
            for row in ws.iter_rows(values_only=True):
                hits += _value_hits(iter(row), values, f"{path.name}:{ws.title}")
        book.close()
    elif suffix in (".json",):
        hits += _value_hits(_flatten(json.loads(raw)), values, path.name)
    return hits


def scan_folder(folder: Path, values: dict[str, set], *, skip: tuple[str, ...] = ()
                ) -> tuple[list[str], list[Path]]:
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip]
    hits = []
    for p in files:
        hits += scan_file(p, values)
    return hits, files


# ------------------------------------------------------------------ runs
def env(**extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items()
         if k not in ("MPG_PSEUDONYM_KEY", "MPG_PSEUDONYM_KEY_FILE", "MPG_DEBUG")}
    e.update({"MPG_PSEUDONYM_KEY": KEY, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}, **extra)
    return e


def mpg_command() -> list[str]:
    """The installed console script, else the same entry point through this Python."""
    script = shutil.which("mpg")
    return [script] if script else [sys.executable, "-c", "from mpg.cli import app; app()"]


def mpg(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run([*mpg_command(), *map(str, args)], capture_output=True, text=True,
                          env=env(), cwd=Path(__file__).resolve().parent.parent, timeout=600,
                          **kwargs)


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        except Exception:  # a record whose arguments do not fit its message
            self.lines.append(f"{record.name} {record.msg!r} {record.args!r}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


def mpg_in_process(*args: Any) -> CliRun:
    """`mpg ...` through Click's test runner: the same code and console output as the
    console script, without the seconds a new interpreter takes."""
    from typer.testing import CliRunner

    from mpg.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args],
                                env={"MPG_PSEUDONYM_KEY": KEY, "MPG_PSEUDONYM_KEY_FILE": None,
                                     "MPG_DEBUG": None, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliRun(result.exit_code, result.stdout, result.stderr)


def count(tmp: Path, runner, *, images: bool = True) -> dict[str, Any]:
    """The delivery counted twice: by `mpg run --publish` (console output kept) and by
    `pipeline.run(keep_identifying=True)` with every logger at DEBUG (log records kept).
    Without `images` the publication is written by `reports.publish` without the chart
    images (rendering them takes seconds; the slow test has them)."""
    d, info = build(tmp / "delivery")
    manifest = d.write()
    out, pub = tmp / "runs" / "out", tmp / "pub"
    if images:
        cli = runner("run", manifest, "--out", out, "--publish", pub, "--lang", "en")
    else:
        cli = runner("run", manifest, "--out", out)
        from mpg.reports.publish import publish
        publish(out, pub, lang="en", images=False)

    from mpg.pipeline import run

    handler = _Keep()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    kept = tmp / "runs" / "kept"
    try:
        run(manifest, kept, pseudonym_key=KEY.encode(), keep_identifying=True)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return {"d": d, "manifest": manifest, "out": out, "pub": pub, "cli": cli, "kept": kept,
            "log": handler.lines, "values": sensitive_values(d), **info}


@pytest.fixture(scope="module")
def counted(tmp_path_factory) -> dict[str, Any]:
    return count(tmp_path_factory.mktemp("privacy"), mpg_in_process, images=False)


def test_the_cli_run_succeeds(counted):
    cli = counted["cli"]
    assert cli.returncode == 0, cli.stderr
    summary = json.loads((counted["out"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["rejects"] == 3 and summary["mpg_total"] >= 1


def test_the_search_finds_values_where_they_are(counted):
    """Positive control: without it, a scan that finds nothing proves nothing."""
    values = counted["values"]
    hits, _ = scan_folder(counted["d"].root, values)
    for family, _, postcode, members in FAMILIES:
        assert any(family.lower() in h for h in hits), family
    assert any("1968-03-17" in h for h in hits)
    kept_hits, columns = scan_duckdb(counted["kept"] / "identifying.duckdb", values)
    assert columns > 20
    text = "\n".join(kept_hits)
    for needle in ("zwanenburgh", "xanthippe", "birth date 1968-03-17", "9731XQ",
                   "onbekendhuys"):
        assert needle in text, needle
    assert any(p.bsn in text for p in counted["d"].persons if p.bsn)


def test_out_and_publication_hold_no_names_bsns_birth_dates_or_addresses(counted):
    values = counted["values"]
    hits, files = scan_folder(counted["out"], values)
    names = {p.name for p in files}
    assert {"summary.json", "neighbourhoods.csv", "households.parquet", "rejects.csv",
            "links.parquet", "run.json", "run.duckdb"} <= names, names
    assert "identifying.duckdb" not in names
    assert not hits, "\n".join(hits[:40])
    if counted["pub"].exists():
        pub_hits, pub_files = scan_folder(counted["pub"], values)
        assert pub_files, "the publication folder is empty"
        assert not pub_hits, "\n".join(pub_hits[:40])


def test_kept_run_outside_identifying_database_is_clean_too(counted):
    values = counted["values"]
    hits, files = scan_folder(counted["kept"], values, skip=("identifying.duckdb",))
    assert not hits, "\n".join(hits[:40])
    assert (counted["kept"] / "identifying.duckdb").is_file()
    mode = (counted["kept"] / "identifying.duckdb").stat().st_mode & 0o777
    assert mode & 0o077 == 0, f"identifying.duckdb is readable by others ({oct(mode)})"


def test_run_duckdb_every_table_every_column(counted):
    """Explicitly: run.duckdb has only pseudonymised tables, no identifying column."""
    hits, columns = scan_duckdb(counted["out"] / "run.duckdb", counted["values"])
    assert columns > 30
    assert not hits, "\n".join(hits[:40])
    con = duckdb.connect(str(counted["out"] / "run.duckdb"), read_only=True)
    try:
        schemas = {r[0] for r in con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables "
            "WHERE table_catalog = current_database()").fetchall()}
        databases = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases() "
                                               "WHERE NOT internal").fetchall()}
    finally:
        con.close()
    assert schemas == {"main"}, schemas
    assert databases == {"run"}, databases


def test_links_parquet_holds_register_ids_but_no_personal_data(counted):
    table = pq.read_table(counted["out"] / "links.parquet")
    assert table.column_names[:6] == ["agency", "file", "record_id", "person_id",
                                      "match_probability", "match_key"]
    ids = {p.person_id for p in counted["d"].persons}
    linked = {v for v in table.column("person_id").to_pylist() if v is not None}
    assert linked and linked <= ids


def test_console_and_log_output_hold_no_personal_data(counted):
    cli = counted["cli"]
    assert cli.stdout.strip() or cli.stderr.strip()
    text = cli.stdout + "\n" + cli.stderr + "\n" + "\n".join(counted["log"])
    hits = _text_hits(text, counted["values"])
    assert not hits, f"{hits}\n{text[:3000]}"
    assert "Traceback" not in text
    assert KEY not in text


def test_the_key_lands_in_no_output(counted):
    for folder in (counted["out"], counted["pub"]):
        for p in folder.rglob("*"):
            if p.is_file():
                raw = p.read_bytes()
                assert KEY.encode() not in raw and KEY.encode().hex().encode() not in raw, p


def test_no_work_folder_is_left_behind(counted):
    for runs in (counted["out"].parent,):
        left = sorted(p.name for p in runs.iterdir())
        assert left == ["kept", "out"], left


# ------------------------------------------------------------------ pseudonyms and ages
def _register(d: Delivery) -> dict[str, Any]:
    return {p.person_id: p for p in d.persons}


def test_person_keys_are_the_keyed_hmac_of_register_numbers(counted):
    from mpg.pipeline.keys import pseudonym

    con = duckdb.connect(str(counted["out"] / "run.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT person_key, age FROM persons").fetchall()
    finally:
        con.close()
    register = _register(counted["d"])
    expected = {pseudonym(KEY.encode(), "person", pid): pid for pid in register}
    assert {k for k, _ in rows} == set(expected)
    for key, age in rows:
        born = dt.date.fromisoformat(register[expected[key]].birth_date)
        years = REF.year - born.year - ((REF.month, REF.day) < (born.month, born.day))
        assert age == years, (expected[key], age, years)


def test_household_keys_are_keyed_pseudonyms_not_register_numbers(counted):
    from mpg.pipeline.keys import pseudonym

    keys = set(pq.read_table(counted["out"] / "households.parquet")
               .column("household_key").to_pylist())
    assert keys
    register = _register(counted["d"])
    candidates = {pseudonym(KEY.encode(), "household", pid) for pid in register}
    assert keys <= candidates  # named after a member's register number, keyed
    assert not keys & set(register)
    other = {pseudonym(b"another-key-0123456789", "household", pid) for pid in register}
    assert not keys & other


def test_a_run_without_a_key_is_refused(tmp_path: Path):
    from typer.testing import CliRunner

    from mpg.cli import app

    d, _ = build(tmp_path / "delivery")
    manifest = d.write()
    out = tmp_path / "out"
    no_key = {"MPG_PSEUDONYM_KEY": None, "MPG_PSEUDONYM_KEY_FILE": None}
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", str(out)], env=no_key)
    assert result.exit_code == 2, result.output
    assert "MPG_PSEUDONYM_KEY" in result.output and not out.exists()
    short = tmp_path / "short.key"
    short.write_text("tooshort\n")
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", str(out), "--key-file",
                                      str(short)], env=no_key)
    assert result.exit_code == 2 and not out.exists(), result.output
    assert "tooshort" not in result.output


# ------------------------------------------------------------------ error messages
def _broken(root: Path, case: str) -> tuple[Path, Delivery]:
    """A delivery whose MJD file breaks in a way the run must report; its rows hold names."""
    d, info = build(root)
    h1 = info["households"][0]
    m, f = h1.mother, h1.father
    row = f"{m.bsn},{m.surname},{m.given_names},{m.birth_date},2003-03-03"
    header = "bsn,surname,given_names,birth_date,contact_date"
    files = {
        "no header row": (f"M-1,{row}\nM-2,{f.bsn},{f.surname},{f.given_names},"
                          f"{f.birth_date},2003-03-03\n").encode(),
        "not utf-8": (f"record_id,{header}\nM-1,{row}\n").encode("utf-16"),
        "quote never closed": (f'record_id,{header}\nM-1,{m.bsn},"{m.surname},'
                               f"{m.given_names},{m.birth_date},2003-03-03\nM-2,{row}\n").encode(),
        "mapped column absent": f"record_id,{header}\nM-1,{row}\n".encode(),
        "duplicate header": f"record_id,{header},surname\nM-1,{row},{f.surname}\n".encode(),
        "bad date format": f"record_id,{header}\nM-1,{row}\n".encode(),
    }
    entry: dict[str, Any] = {}
    if case in ("no header row", "mapped column absent"):
        entry["columns"] = {"surname": "Achternaam", "record_id": "Nr"}
    if case == "bad date format":
        entry["date_format"] = "%d-%m-%Y %e"
    if case == "wrong parquet type":
        buf = io.BytesIO()
        pq.write_table(pa.table({"record_id": ["M-1"], "contact_date": ["2003-03-03"],
                                 "surname": pa.array([[m.surname, f.surname]]),
                                 "birth_date": [m.birth_date], "bsn": [m.bsn]}), buf)
        d.raw_source("MJD", "mjd/broken.parquet", buf.getvalue())
    else:
        d.raw_source("MJD", "mjd/broken.csv", files[case], **entry)
    return d.write(), d


ERROR_CASES = ["no header row", "not utf-8", "quote never closed", "mapped column absent",
               "duplicate header", "bad date format", "wrong parquet type"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_file_errors_name_the_file_and_no_value(case, tmp_path: Path):
    from typer.testing import CliRunner

    from mpg.cli import app

    manifest, d = _broken(tmp_path / "delivery", case)
    out = tmp_path / "runs" / "out"
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", str(out)],
                                env={"MPG_PSEUDONYM_KEY": KEY, "MPG_DEBUG": None,
                                     "COLUMNS": "200"})
    text = result.output
    assert result.exit_code == 1, text
    assert "mjd/broken." in text, text
    assert "unexpected error" not in text and "Traceback" not in text, text
    values = sensitive_values(d)
    assert not _text_hits(text, values), f"{_text_hits(text, values)}: {text}"
    assert not out.exists()
    runs = tmp_path / "runs"
    assert not runs.exists() or not list(runs.iterdir()), list(runs.iterdir())


def test_one_real_process_file_error_has_no_traceback_and_no_values(tmp_path: Path):
    """The console script itself (not CliRunner): exit 1, the file named, nothing else."""
    manifest, d = _broken(tmp_path / "delivery", "no header row")
    out = tmp_path / "runs" / "out"
    result = mpg("run", manifest, "--out", out)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "mjd/broken.csv" in text and "Traceback" not in text
    assert not _text_hits(text, sensitive_values(d)), text
    assert not out.exists()


def test_reject_reasons_name_file_row_and_column_never_the_value(counted):
    import csv

    with open(counted["out"] / "rejects.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["row"]) for r in rows] == [("zar/zar.csv", "1"), ("zar/zar.csv", "2"),
                                                    ("zar/zar.csv", "4")]
    assert rows[0]["reason"] == ("contact_date (column contact_date) is not a date in the "
                                 "format %Y-%m-%d")
    assert rows[1]["reason"] == "no record_id (column record_id)"
    assert rows[2]["reason"] == "record_id already used in row 3"


@pytest.mark.slow
def test_the_console_script_run_and_publication_hold_no_personal_data(tmp_path: Path):
    """The same delivery through the installed `mpg` in a process of its own: its exit code,
    everything it prints, OUT and the publication."""
    run = count(tmp_path, mpg)
    assert run["cli"].returncode == 0, run["cli"].stderr
    text = run["cli"].stdout + run["cli"].stderr
    assert "Traceback" not in text and not _text_hits(text, run["values"]), text
    hits, _ = scan_folder(run["out"], run["values"])
    pub_hits, _ = scan_folder(run["pub"], run["values"])
    assert not hits and not pub_hits, (hits + pub_hits)[:40]


def test_a_short_key_in_the_environment_is_refused(monkeypatch):
    """A short key can be guessed; the environment variable is held to the key file's rule."""
    from mpg.pipeline.errors import UsageError
    from mpg.pipeline.keys import KEY_ENV, KEY_FILE_ENV, MIN_KEY_LENGTH, resolve_key

    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, "k" * (MIN_KEY_LENGTH - 1))
    with pytest.raises(UsageError, match=KEY_ENV):
        resolve_key()
    monkeypatch.setenv(KEY_ENV, "k" * MIN_KEY_LENGTH)
    assert resolve_key() == b"k" * MIN_KEY_LENGTH
