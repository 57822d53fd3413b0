"""The worked example of the spec: every record must link to its true register person.

The example is loaded by a small reader of its own (not sources/load.py), so these tests
check linkage alone.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from mpg.pipeline import contracts
from mpg.pipeline.config import RECORD_FIELDS, load_linkage, load_manifest
from mpg.pipeline.context import RunContext
from mpg.pipeline.runner import run_stage

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
    for table in contracts.LOADED:
        table.create(con)
    contracts.REGISTER_PERSONS.insert(con, [
        {f: (_text(p.get(f)) if f != "birth_date" else _date(p.get(f), "%Y-%m-%d"))
         for f in contracts.REGISTER_PERSONS.column_names} for _, p in persons.iterrows()])
    contracts.REGISTER_RESIDENCES.insert(con, [
        {f: (_date(r.get(f), "%Y-%m-%d") if f in ("start_date", "end_date") else _text(r.get(f)))
         for f in contracts.REGISTER_RESIDENCES.column_names} for _, r in residences.iterrows()])
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
            contracts.RECORDS.insert(con, [{
                **{f: _text(values[f]) for f in RECORD_FIELDS},
                "record_key": key, "agency": source.agency.value, "file": source.path,
                "row_number": row_number, "record_id": record_id, "birth_date": birth,
                "birth_date_written": _text(values["birth_date"]) is not None,
                "contact_date": contact, "end_date": end, "in_window": True}])
    return m


def example_connection():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    manifest = load_example(con)
    return con, manifest


def example_ctx(tmp_path: Path, manifest=None, **linkage):
    stage_out = tmp_path / "out"
    stage_out.mkdir(exist_ok=True)
    return RunContext.create(manifest or load_manifest(MANIFEST), tmp_path,
                             linkage=load_linkage(**linkage), stage_out=stage_out)


def linked(con) -> pd.DataFrame:
    return con.execute("""
        SELECT r.agency, r.file, r.record_id, l.person_id, l.match_probability, l.match_key
        FROM ident.links l JOIN ident.records r USING (record_key)
        ORDER BY r.record_key""").df()


def expected_links() -> pd.DataFrame:
    exp = pd.read_csv(EXAMPLE / "expected" / "links.csv", dtype=str, keep_default_na=False)
    return exp


def link_example(con, ctx) -> dict:
    """standardise and link; the link stage's figures for run.json."""
    from mpg.linkage import link, standardise
    run_stage(con, ctx, standardise.STAGE)
    return run_stage(con, ctx, link.STAGE).metrics


@pytest.fixture()
def example_run(tmp_path):
    con, manifest = example_connection()
    ctx = example_ctx(tmp_path, manifest)
    return con, link_example(con, ctx)


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
        "SELECT count(*) FROM ident.records_clean WHERE NOT is_anonymous").fetchall()[0][0]
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
    con, metrics = example_run
    text = repr(metrics)
    for value in ("Benali", "123456782", "1970-02-01", "Ozturk", "9733"):
        assert value not in text
    assert metrics["link"]["records"] == 36


def test_example_links_through_the_project_loader(tmp_path):
    """The same check with sources/load.py reading the delivery instead of the reader above."""
    from mpg.sources import load
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    ctx = example_ctx(tmp_path, load_manifest(MANIFEST))
    run_stage(con, ctx, load.STAGE)
    link_example(con, ctx)
    got = linked(con)
    got = dict(zip(got.record_id, got.person_id.fillna("")))
    exp = expected_links()
    assert {r: p for r, p in zip(exp.record_id, exp.person_id) if r in got} == got
    assert len(got) == len(exp) - 2  # the two anonymous reports have no links row
