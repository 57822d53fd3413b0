"""Clerical reviews are an explicit input of a run (--reviews), recorded in run.json; a run
never picks up a review store by itself."""
from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from conftest import TEST_KEY, read_links, run_delivery
from mpg.linkage.review import import_reviews
from mpg.pipeline.errors import UsageError

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e


def _delivery(d):
    h = d.family("A1", "WK01", adults=["1970-01-01", "1969-02-02"], children=["1995-01-01"])
    # a record with the mother's name and birth date and no BSN: the probabilistic pass
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03", with_bsn=False)])
    return h


def _store(path, link) -> None:
    """A store (at `path`) holding one decision: the record is not that person."""
    path.parent.mkdir(parents=True, exist_ok=True)
    review = path.parent / "review.csv"
    review.write_text("agency,file,record_id,person_id,decision\n"
                      f"{link.agency},{link.file},{link.record_id},{link.person_id},non_match\n",
                      encoding="utf-8")
    assert import_reviews(review, path)["non_match"] == 1


def test_a_run_obeys_only_the_reviews_it_is_given_and_records_them(delivery, tmp_path,
                                                                   monkeypatch):
    h = _delivery(delivery)
    plain = tmp_path / "runs" / "plain"
    run_delivery(delivery, plain)
    [link] = read_links(plain).itertuples()
    assert link.person_id == h.mother.person_id
    # a store where `mpg review import` puts decisions by default is no hidden input
    monkeypatch.setenv("HOME", str(tmp_path))
    store = tmp_path / ".mpg" / "identifying_reviews.duckdb"
    _store(store, link)
    again = tmp_path / "runs" / "again"
    run_delivery(delivery, again)
    assert list(read_links(again).person_id) == [h.mother.person_id]
    assert json.loads((again / "run.json").read_text(encoding="utf-8"))["reviews"] is None

    reviewed = tmp_path / "runs" / "reviewed"
    run_delivery(delivery, reviewed, review_db=store)
    links = read_links(reviewed)
    assert list(links.person_id.fillna("")) == [""]
    # the mother is ruled out; the rest of the family fits the record too little
    assert list(links.match_key) == ["below_threshold"]
    recorded = json.loads((reviewed / "run.json").read_text(encoding="utf-8"))["reviews"]
    assert recorded == {"path": str(store.resolve()),
                        "sha256": hashlib.sha256(store.read_bytes()).hexdigest(),
                        "decisions": 1, "match": 0, "non_match": 1}


def test_a_missing_review_store_stops_the_run_before_it_starts(delivery, tmp_path):
    from mpg.cli import app
    _delivery(delivery)
    manifest = delivery.write()
    out = tmp_path / "runs" / "out"
    with pytest.raises(UsageError, match="does not exist"):
        run_delivery(delivery, out, review_db=tmp_path / "missing.duckdb")
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", str(out), "--reviews",
                                      str(tmp_path / "missing.duckdb")],
                                env={"MPG_PSEUDONYM_KEY": TEST_KEY.decode()})
    assert result.exit_code == 2, result.output
    assert "missing.duckdb" in result.output
    assert not (tmp_path / "runs").exists()  # nothing was started: no staging folder
