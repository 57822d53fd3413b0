"""The worked example of the contract (../shared/spec/example): a run must write exactly
expected/summary.json, expected/neighbourhoods.csv and link every record as expected/links.csv.
The example folder is read-only input: the run must not write into it."""
from __future__ import annotations

import json
import math

import pytest

from conftest import find_example, read_csv, read_links, read_rejects, run_pipeline, snapshot


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory):
    example = find_example()
    before = snapshot(example)
    out = tmp_path_factory.mktemp("example") / "out"
    result = run_pipeline(example / "delivery" / "delivery.toml", out)
    assert snapshot(example) == before, "the run wrote into the delivery folder"
    return example, out, result


def test_summary_equals_expected(example_run):
    example, out, result = example_run
    expected = json.loads((example / "expected" / "summary.json").read_text(encoding="utf-8"))
    actual = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # outputs.md allows added keys, never renamed or missing ones
    assert {k: actual.get(k, "<missing>") for k in expected} == expected
    assert result.summary == actual


def test_neighbourhoods_equal_expected(example_run):
    example, out, _ = example_run
    expected = read_csv(example / "expected" / "neighbourhoods.csv")
    actual = read_csv(out / "neighbourhoods.csv")
    assert [r["neighbourhood_code"] for r in actual] == [r["neighbourhood_code"] for r in expected]
    for exp, act in zip(expected, actual):
        for column, value in exp.items():
            assert column in act, f"column {column} missing"
            if column.startswith("share_"):
                assert math.isclose(float(act[column]), float(value), rel_tol=1e-6, abs_tol=1e-6), \
                    (exp["neighbourhood_code"], column, act[column], value)
            elif column in ("neighbourhood_code", "neighbourhood_name"):
                assert act[column] == value
            else:
                assert int(act[column]) == int(value), (exp["neighbourhood_code"], column)


def _person(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def test_links_equal_expected(example_run):
    example, out, _ = example_run
    expected = {(r["agency"], r["file"], r["record_id"]): r["person_id"]
                for r in read_csv(example / "expected" / "links.csv")}
    links = read_links(out)
    for column in ("agency", "file", "record_id", "person_id", "match_probability", "match_key"):
        assert column in links.columns, f"links.parquet has no column {column}"
    actual = {(str(r.agency), str(r.file), str(r.record_id)): _person(r.person_id)
              for r in links.itertuples()}
    assert len(actual) == len(links), "a record appears more than once in links.parquet"
    # links.parquet holds every record that went through linkage; the anonymous
    # care-network reports (no person by definition) may be absent from it.
    missing = {k: v for k, v in expected.items() if k not in actual}
    assert all(v == "" and k[0] == "ZORGNETWERK" for k, v in missing.items()), missing
    assert set(actual) - set(expected) == set(), "records linked that expected/links.csv lacks"
    wrong = {k: (actual[k], v) for k, v in expected.items() if k in actual and actual[k] != v}
    assert wrong == {}, "(actual, expected) person_id per record"


def test_rejects_are_the_three_unusable_mjd_rows(example_run):
    _, out, _ = example_run
    rejects = read_rejects(out)
    assert [(r["file"], int(r["row"])) for r in rejects] == [
        ("mjd/contacten.csv", 11),  # no record_id
        ("mjd/contacten.csv", 12),  # M-002 again
        ("mjd/contacten.csv", 13),  # 31-02-2003
    ]
    assert all(r["reason"].strip() for r in rejects)
    text = (out / "rejects.csv").read_text(encoding="utf-8")
    for identifying in ("Benali", "Mohammed", "Fatima", "Berg", "19-07-1968", "01-02-1970",
                        "23-11-1972"):
        assert identifying not in text


def test_households_parquet_has_no_personal_data(example_run):
    import pandas as pd

    _, out, _ = example_run
    df = pd.read_parquet(out / "households.parquet")
    for column in ("household_key", "category", "neighbourhood_code", "n_adults", "n_children",
                   "agencies", "bijstand", "match_probability_min"):
        assert column in df.columns, column
    assert sorted((r.category, r.neighbourhood_code, int(r.n_adults), int(r.n_children),
                   bool(r.bijstand)) for r in df.itertuples()) == sorted([
        ("BIB", "WK001403", 1, 2, True),           # H1
        ("MULTI_AGENCY", "WK001403", 2, 2, True),  # H2
        ("ZORGNETWERK", "WK001401", 1, 1, False),  # H6
        ("MULTI_AGENCY", "WK001403", 2, 2, False),  # H7
        ("BIB", "WK001401", 1, 1, False),          # H9, in Centrum since 2003-06-01
        ("MULTI_AGENCY", "WK001403", 3, 1, False),  # H10 (bijstand ended 2002-06-30)
    ])
    cells = {str(v) for v in df.astype(str).to_numpy().ravel()}
    assert not cells & {"1001", "1011", "1051", "1061", "1081", "1091"}, "register ids"
    text = " ".join(cells)
    for identifying in ("Vries", "Benali", "Kok", "1975-04-12", "111222333", "9733AB"):
        assert identifying not in text
