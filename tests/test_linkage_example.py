"""The worked example of the spec: every record must link to its true register person.

The example is loaded by a small reader of its own (not sources/load.py), so these tests
check linkage alone.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from mpg.pipeline.config import RECORD_FIELDS, load_linkage, load_manifest

from conftest import example_dir

EXAMPLE = example_dir() or Path("shared/spec/example")
MANIFEST = EXAMPLE / "delivery" / "delivery.toml"
pytestmark = pytest.mark.skipif(example_dir() is None, reason="worked example not found")


def _read(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object)
    return pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False)


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _date(value, fmt: str) -> dt.date | None:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if text is None:
        return None
    for attempt in (fmt, "%Y-%m-%d"):  # parquet/xlsx dates arrive as ISO text
        try:
            return dt.datetime.strptime(text[:10] if attempt != fmt else text, attempt).date()
        except ValueError:
            continue
    return None


def load_example(con: duckdb.DuckDBPyConnection, manifest_path: Path = MANIFEST):
    """Fill ident.register_persons/residences and ident.records from a delivery (tests only)."""
    m = load_manifest(manifest_path)
    reg = m.population_register
    persons = _read(m.resolve(reg.persons))
    persons = persons.rename(columns={v: k for k, v in reg.persons_columns.items()})
    residences = _read(m.resolve(reg.residences))
    residences = residences.rename(columns={v: k for k, v in reg.residences_columns.items()})
    con.execute("""CREATE OR REPLACE TABLE ident.register_persons (person_id VARCHAR, bsn VARCHAR,
        surname VARCHAR, prefix VARCHAR, given_names VARCHAR, birth_date DATE, sex VARCHAR,
        origin VARCHAR, mother_id VARCHAR, father_id VARCHAR)""")
    for _, p in persons.iterrows():
        con.execute("INSERT INTO ident.register_persons VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [_text(p.get(f)) if f != "birth_date" else _date(p.get(f), "%Y-%m-%d")
                     for f in ("person_id", "bsn", "surname", "prefix", "given_names",
                               "birth_date", "sex", "origin", "mother_id", "father_id")])
    con.execute("""CREATE OR REPLACE TABLE ident.register_residences (person_id VARCHAR,
        address_id VARCHAR, postcode VARCHAR, house_number INTEGER,
        house_number_addition VARCHAR, street VARCHAR, city VARCHAR,
        neighbourhood_code VARCHAR, start_date DATE, end_date DATE)""")
    for _, r in residences.iterrows():
        con.execute("INSERT INTO ident.register_residences VALUES (?,?,?,?,?,?,?,?,?,?)", [
            _text(r.get("person_id")), _text(r.get("address_id")),
            (_text(r.get("postcode")) or "").replace(" ", "").upper() or None,
            int(r["house_number"]) if _text(r.get("house_number")) else None,
            (_text(r.get("house_number_addition")) or "").upper() or None,
            None, None, _text(r.get("neighbourhood_code")),
            _date(r.get("start_date"), "%Y-%m-%d"), _date(r.get("end_date"), "%Y-%m-%d")])
    con.execute("""CREATE OR REPLACE TABLE ident.records (record_key BIGINT, agency VARCHAR,
        file VARCHAR, row_number INTEGER, record_id VARCHAR, client_id VARCHAR, bsn VARCHAR,
        surname VARCHAR, prefix VARCHAR, given_names VARCHAR, birth_date DATE, sex VARCHAR,
        postcode VARCHAR, house_number INTEGER, house_number_addition VARCHAR, contact_date DATE,
        end_date DATE, neighbourhood_code VARCHAR, is_anonymous BOOLEAN, in_window BOOLEAN)""")
    key = 0
    for source in m.source:
        df = _read(m.resolve(source.path), source.delimiter, source.encoding)
        seen = set()
        for row_number, (_, row) in enumerate(df.iterrows(), start=1):
            values = {f: row.get(source.column(f)) for f in RECORD_FIELDS}
            record_id = _text(values["record_id"])
            contact = _date(values["contact_date"], source.date_format) if _text(
                values["contact_date"]) else None
            if record_id is None or record_id in seen or contact is None:
                continue
            seen.add(record_id)
            key += 1
            birth = _date(values["birth_date"], source.date_format)
            end = _date(values["end_date"], source.date_format)
            surname, bsn = _text(values["surname"]), _text(values["bsn"])
            anonymous = (source.agency.value == "ZORGNETWERK" and surname is None
                         and birth is None and bsn is None)
            number = _text(values["house_number"])
            con.execute(f"INSERT INTO ident.records VALUES ({','.join('?' * 20)})", [
                key, source.agency.value, source.path, row_number, record_id,
                _text(values["client_id"]), bsn, surname, _text(values["prefix"]),
                _text(values["given_names"]), birth, _text(values["sex"]),
                _text(values["postcode"]), int(number) if number else None,
                _text(values["house_number_addition"]), contact, end,
                _text(values["neighbourhood_code"]), anonymous, True])
    return m


def example_connection():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    manifest = load_example(con)
    return con, manifest


def example_ctx(tmp_path: Path, manifest=None, **linkage):
    settings = load_linkage()
    if linkage:
        settings = settings.model_copy(update=linkage)
    stage_out = tmp_path / "out"
    stage_out.mkdir(exist_ok=True)
    return SimpleNamespace(manifest=manifest, linkage=settings, work_dir=tmp_path,
                           stage_out=stage_out, metrics={}, review_db=None)


def linked(con) -> pd.DataFrame:
    return con.execute("""
        SELECT r.agency, r.file, r.record_id, l.person_id, l.match_probability, l.match_key
        FROM ident.links l JOIN ident.records r USING (record_key)
        ORDER BY r.record_key""").df()


def expected_links() -> pd.DataFrame:
    exp = pd.read_csv(EXAMPLE / "expected" / "links.csv", dtype=str, keep_default_na=False)
    return exp


@pytest.fixture()
def example_run(tmp_path):
    from mpg.linkage.link import link
    from mpg.linkage.standardise import standardise
    con, manifest = example_connection()
    ctx = example_ctx(tmp_path, manifest)
    standardise(con, ctx)
    link(con, ctx)
    return con, ctx


def test_example_links_equal_the_expected_links(example_run):
    con, _ = example_run
    got = linked(con)
    got = got.assign(person_id=got.person_id.fillna(""))
    exp = expected_links()
    merged = exp.merge(got, on=["agency", "file", "record_id"], how="outer",
                       suffixes=("_expected", "_got"), indicator=True)
    assert (merged._merge != "right_only").all()
    # Anonymous care-network reports have no links row; they have no person either.
    anonymous = merged[merged._merge == "left_only"]
    assert (anonymous.person_id_expected == "").all() and len(anonymous) == 2
    merged = merged[merged._merge == "both"]
    wrong = merged[merged.person_id_expected != merged.person_id_got]
    assert wrong.empty, wrong[["record_id", "person_id_expected", "person_id_got", "match_key"]]


def test_example_links_one_row_per_non_anonymous_record(example_run):
    con, _ = example_run
    n_records = con.execute(
        "SELECT count(*) FROM ident.records WHERE NOT is_anonymous").fetchall()[0][0]
    n_links, n_keys = con.execute(
        "SELECT count(*), count(DISTINCT record_key) FROM ident.links").fetchall()[0]
    assert n_links == n_keys == n_records


def test_example_deterministic_passes(example_run):
    con, _ = example_run
    got = linked(con).set_index("record_id")
    assert got.loc["B-01", "match_key"] == "bsn"      # "de Vries" in the surname field
    assert got.loc["U-2", "match_key"] == "bsn"
    assert got.loc["W-1", "match_key"] == "name_dob_address"  # van der Berg, current address
    assert got.loc["B-03", "match_key"] == "name_dob_address"  # the old Beijum address
    assert got.loc["W-2", "match_key"] == "name_dob_address"  # Smit-Ozturk -> Öztürk
    assert got.loc["M-001", "match_key"] == "name_dob_address"  # postcode "9733 ac"
    assert pd.isna(got.loc["G-7", "person_id"])  # valid BSN, not in the register
    assert (got.match_probability.dropna().between(0, 1)).all()


def test_example_metrics_hold_no_identifiers(example_run):
    con, ctx = example_run
    text = repr(ctx.metrics)
    for value in ("Benali", "123456782", "1970-02-01", "Ozturk", "9733"):
        assert value not in text
    assert "link" in ctx.metrics


def test_example_links_through_the_project_loader(tmp_path):
    """The same check with sources/load.py reading the delivery instead of the reader above."""
    load = pytest.importorskip("mpg.sources.load").load
    from mpg.linkage.link import link
    from mpg.linkage.standardise import standardise
    from mpg.pipeline.config import load_rules
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    ctx = example_ctx(tmp_path, load_manifest(MANIFEST))
    ctx.rules, ctx.pseudonym_key = load_rules(), b"test"
    load(con, ctx)
    standardise(con, ctx)
    link(con, ctx)
    got = linked(con)
    got = dict(zip(got.record_id, got.person_id.fillna("")))
    exp = expected_links()
    assert {r: p for r, p in zip(exp.record_id, exp.person_id) if r in got} == got
    assert len(got) == len(exp) - 2  # the two anonymous reports have no links row
