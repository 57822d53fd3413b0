"""Nothing a user types destroys their files: OUT, PUB and a tuning folder replace only
what this tool wrote there, and never the delivery (issue: nothing a user types ...)."""
from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from conftest import TEST_KEY, run_pipeline, snapshot
from mpg.pipeline.errors import UsageError

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e


def _small(d):
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-05-05"])
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    return d.write()


def _everything(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("where", ["cwd", "delivery", "delivery_parent", "inside_delivery",
                                   "a_file", "foreign_folder"])
def test_out_that_is_not_an_earlier_result_is_refused_and_nothing_changes(delivery, tmp_path,
                                                                          where, monkeypatch):
    manifest = _small(delivery)
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("years of work")
    monkeypatch.chdir(home)
    out = {"cwd": home, "delivery": delivery.root, "delivery_parent": delivery.root.parent,
           "inside_delivery": delivery.root / "results", "a_file": home / "thesis.docx",
           "foreign_folder": home}[where]
    before = _everything(tmp_path)
    with pytest.raises(UsageError) as err:
        run_pipeline(manifest, out)
    assert err.value.exit_code == 2
    assert _everything(tmp_path) == before
    assert str(out) in str(err.value) or out.name in str(err.value)


def test_the_cli_refuses_out_dot_with_exit_2(delivery, tmp_path, monkeypatch):
    from mpg.cli import app
    manifest = _small(delivery)
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", "."],
                                env={"MPG_PSEUDONYM_KEY": TEST_KEY.decode()})
    assert result.exit_code == 2, result.output
    assert (work / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"]


def test_an_earlier_result_is_replaced_but_a_file_put_into_it_is_not_lost(delivery, tmp_path):
    manifest = _small(delivery)
    out = tmp_path / "runs" / "out"
    run_pipeline(manifest, out)
    run_pipeline(manifest, out)  # an earlier result: replaced
    (out / "my_analysis.xlsx").write_text("an analyst's own work")
    before = snapshot(out)
    with pytest.raises(UsageError, match="my_analysis.xlsx"):
        run_pipeline(manifest, out)
    assert snapshot(out) == before


def test_out_and_every_file_in_it_are_owner_only_from_the_start(delivery, tmp_path):
    manifest = _small(delivery)
    out = tmp_path / "runs" / "out"
    old = os.umask(0o022)
    try:
        run_pipeline(manifest, out, keep_identifying=True)
    finally:
        os.umask(old)
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"


def test_a_publication_folder_with_foreign_files_is_refused(delivery, tmp_path):
    from mpg.reports.publish import publish
    manifest = _small(delivery)
    out = tmp_path / "runs" / "out"
    run_pipeline(manifest, out)
    pub = tmp_path / "pub"
    pub.mkdir()
    (pub / "report.html").write_text("the council's own report")
    with pytest.raises(UsageError, match="did not write"):
        publish(out, pub, images=False)
    assert (pub / "report.html").read_text() == "the council's own report"
    pub2 = tmp_path / "pub2"
    publish(out, pub2, images=False)
    publish(out, pub2, images=False)  # its own earlier publication: replaced
    with pytest.raises(UsageError):
        publish(out, out, images=False)  # into OUT: refused


def _two_quarters(d, tmp_path, key_now=TEST_KEY):
    """Two runs of a small city: 2003-09-01, then the same city a quarter later."""
    import shutil
    manifest = _small(d)
    later = tmp_path / "later"
    shutil.copytree(d.root, later)
    text = (later / "delivery.toml").read_text(encoding="utf-8")
    (later / "delivery.toml").write_text(text.replace("2003-09-01", "2003-12-01"),
                                         encoding="utf-8")
    first, second = tmp_path / "runs" / "q1", tmp_path / "runs" / "q2"
    run_pipeline(manifest, first)
    run_pipeline(later / "delivery.toml", second, pseudonym_key=key_now)
    return first, second


def test_a_comparison_needs_one_key_two_runs_and_the_earlier_first(delivery, tmp_path):
    import json

    from mpg.reports.compare import compare
    first, second = _two_quarters(delivery, tmp_path)
    fingerprint = json.loads((first / "run.json").read_text())["key_fingerprint"]
    assert len(fingerprint) == 16 and TEST_KEY.decode() not in (first / "run.json").read_text()
    compare(first, second, tmp_path / "pub", images=False)
    with pytest.raises(UsageError, match="earlier quarter first"):
        compare(second, first, tmp_path / "pub", images=False)
    with pytest.raises(UsageError, match="with itself"):
        compare(second, second, tmp_path / "pub", images=False)
    other, another = _two_quarters(delivery, tmp_path / "other", key_now=b"another-key-0123456789")
    with pytest.raises(UsageError, match="different pseudonym keys"):
        compare(other, another, tmp_path / "pub3", images=False)
