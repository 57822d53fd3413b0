"""Names, paths and values from users reach SQL only as parameters or properly quoted
(issue: one contract per stage; issue: nothing a user types ...)."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import TEST_KEY, run_delivery
from mpg.pipeline import sql
from mpg.pipeline.config import DEFAULT_RULES, Rules, load_rules
from mpg.pipeline.errors import ConfigError


def test_identifier_and_literal_quote_what_would_end_them():
    con = duckdb.connect()
    name = 'odd "name"; DROP TABLE x; --'
    con.execute(f"CREATE TABLE {sql.identifier(name)} (v VARCHAR)")
    con.execute(f"INSERT INTO {sql.identifier(name)} VALUES ({sql.literal(chr(39) + 'x; --')})")
    assert con.execute(f"SELECT v FROM {sql.identifier(name)}").fetchall() == [("'x; --",)]


def test_values_table_takes_hostile_text_as_data():
    con = duckdb.connect()
    hostile = "OGGZ', 1)) t(s, a, m); COPY (SELECT 1) TO '/tmp/x.csv'; --"
    sql.values_table(con, "t", (("a", "VARCHAR"), ("n", "INTEGER")), [(hostile, 1)])
    assert con.execute("SELECT a, n FROM t").fetchall() == [(hostile, 1)]


@pytest.mark.parametrize("name", ["O'GGZ", "OGGZ', 1)) t(s, a, m); COPY (SELECT 1) TO '/tmp/x'",
                                  "Team 'Noord'", "A+B", "", "9LIVES"])
def test_a_rules_file_with_an_unusable_agency_name_fails_when_loaded(tmp_path, name):
    text = (DEFAULT_RULES.read_text(encoding="utf-8")
            + f'\n[agencies."{name}"]\nsources = ["BIJSTAND"]\n')
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert "rules.toml" in str(err.value) and "agencies" in str(err.value)
    assert "letters, digits" in str(err.value)


def test_agency_names_reach_the_select_stage_as_parameters():
    """Even a name the schema would refuse is data, not SQL, in the select stage."""
    from mpg.pipeline.select import agency_map

    rules = load_rules()
    hostile = "X'); DROP TABLE households; --"
    bad = Rules.model_construct(**{**dict(rules), "agencies": {hostile: rules.agencies["MJD"]}})
    con = duckdb.connect()
    agency_map(con, bad)
    assert con.execute("SELECT source, agency, min_records FROM agency_map").fetchall() == [
        ("MJD", hostile, 2)]


def test_a_run_into_an_out_folder_whose_path_holds_a_quote(delivery, tmp_path):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-05-05"])
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    out = tmp_path / "O'Brien [kopie]" / "out"
    summary = run_delivery(d, out, keep_identifying=True)
    assert summary["mpg_total"] == 1
    assert (out / "links.parquet").is_file() and (out / "households.parquet").is_file()
    assert (out / "identifying.duckdb").is_file()
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["run"] == d.run["name"]
