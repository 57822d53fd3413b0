"""The `mpg` command (outputs.md: exit codes 0 count made, 1 delivery problem and nothing
written, 2 usage error). Messages name the file (and row) and never carry a name, BSN or
birth date from the data; no Python traceback reaches the user."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder import Delivery
from conftest import REPO, TEST_KEY, assert_no_identifying_data, clean_env, snapshot

NO_KEY = {"MPG_PSEUDONYM_KEY": None, "MPG_PSEUDONYM_KEY_FILE": None, "COLUMNS": "200"}
WITH_KEY = {"MPG_PSEUDONYM_KEY": TEST_KEY.decode(), "MPG_PSEUDONYM_KEY_FILE": None,
            "COLUMNS": "200"}


def mpg(*args: str, env: dict | None = None):
    from mpg.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], env=env or WITH_KEY)
    text = result.output  # stdout and stderr, as the user sees them
    # an exception that escaped the CLI is a traceback for the user
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{text}"
    assert "Traceback" not in text, text
    return result.exit_code, text


def small_delivery(root: Path) -> Delivery:
    """One MULTI_AGENCY family; MJD has one unusable row (a reject, exit code stays 0)."""
    d = Delivery(root)
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.source("MJD", [d.record(h.mother, "2003-03-03"), d.record(h.mother, "2003-05-05"),
                     d.record(h.mother, None)], path="mjd/mjd.csv")
    d.source("GELDZORG", [d.record(h.mother, "2003-04-04"), d.record(h.mother, "2004-01-31")],
             path="geldzorg/gz.xlsx")
    d.source("OGGZ", [d.record(h.mother, "2003-06-06")], path="oggz/oggz.csv")
    return d


# --------------------------------------------------------------------- help
def test_help_lists_the_commands():
    code, text = mpg("--help")
    assert code == 0
    for command in ("run", "validate", "demo"):
        assert re.search(rf"\b{command}\b", text), command
    assert "multi-problem" in text.lower()


@pytest.mark.parametrize("command, words", [
    ("run", ["MANIFEST", "--out", "--rules", "--linkage", "--demo", "--keep-identifying",
             "count"]),
    ("validate", ["MANIFEST", "without writing"]),
    ("demo", ["--out", "--persons", "synthetic"]),
])
def test_command_help_says_what_it_does(command, words):
    code, text = mpg(command, "--help")
    assert code == 0
    for word in words:
        assert word.lower() in text.lower(), word


# --------------------------------------------------------------------- run
def test_run_makes_the_count_exit_0(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    manifest = d.write()
    out = tmp_path / "out"

    code, text = mpg("run", manifest, "--out", out)

    assert code == 0, text
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["by_category"]["MULTI_AGENCY"] == 1
    assert summary["rejects"] == 1  # rejected rows do not change the exit code
    for name in ("neighbourhoods.csv", "households.parquet", "rejects.csv", "links.parquet"):
        assert (out / name).is_file(), name
    assert not (out / "identifying.duckdb").exists()
    assert_no_identifying_data(text, d)


def test_run_without_key_is_a_usage_error(tmp_path: Path):
    manifest = small_delivery(tmp_path / "delivery").write()
    out = tmp_path / "out"

    code, text = mpg("run", manifest, "--out", out, env=NO_KEY)

    assert code == 2, text
    assert "MPG_PSEUDONYM_KEY" in text
    assert not out.exists()


def test_run_demo_flag_needs_no_key(tmp_path: Path):
    manifest = small_delivery(tmp_path / "delivery").write()
    code, text = mpg("run", manifest, "--out", tmp_path / "out", "--demo", env=NO_KEY)
    assert code == 0, text


def test_run_keep_identifying_keeps_the_identifying_database(tmp_path: Path):
    manifest = small_delivery(tmp_path / "delivery").write()
    out = tmp_path / "out"
    code, text = mpg("run", manifest, "--out", out, "--keep-identifying")
    assert code == 0, text
    assert (out / "identifying.duckdb").is_file()


def test_run_with_rules_file(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    manifest = d.write()
    default = (REPO / "rules" / "default.toml").read_text(encoding="utf-8")
    rules = tmp_path / "four.toml"
    rules.write_text(default.replace("min_agencies = 3", "min_agencies = 4"), encoding="utf-8")
    code, text = mpg("run", manifest, "--out", tmp_path / "out", "--rules", rules)
    assert code == 0, text
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["mpg_total"] == 0


@pytest.mark.parametrize("earlier_out", [False, True], ids=["no_out", "earlier_out"])
def test_run_on_a_bad_manifest_exits_1_and_writes_nothing(tmp_path: Path, earlier_out):
    d = small_delivery(tmp_path / "delivery")
    m = d.manifest()
    m["source"][0]["agency"] = "POLITIE"
    manifest = d.write(m)
    out = tmp_path / "runs" / "out"
    if earlier_out:
        out.mkdir(parents=True)
        (out / "summary.json").write_text("{}", encoding="utf-8")
    else:
        out.parent.mkdir()
    before = snapshot(out.parent)

    code, text = mpg("run", manifest, "--out", out)

    assert code == 1, text
    assert "delivery.toml" in text and "POLITIE" in text
    assert snapshot(out.parent) == before
    assert out.exists() == earlier_out


def test_run_on_an_unreadable_file_names_it_without_its_data(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    h = d.households[0]
    # a row in cp1252 in a file declared utf-8
    line = f"B-1,{h.mother.bsn},Öztürk,{h.mother.given_names},{h.mother.birth_date},2003-02-02\n"
    d.raw_source("BIB", "bib/gezinnen.csv",
                 b"record_id,bsn,surname,given_names,birth_date,contact_date\n"
                 + line.encode("cp1252"))
    manifest = d.write()
    out = tmp_path / "out"

    code, text = mpg("run", manifest, "--out", out)

    assert code == 1, text
    assert "gezinnen.csv" in text
    assert not out.exists()
    assert_no_identifying_data(text, d)
    assert "Öztürk" not in text


def test_run_on_a_missing_file_exits_1(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    manifest = d.write()
    (d.root / "oggz" / "oggz.csv").unlink()
    code, text = mpg("run", manifest, "--out", tmp_path / "out")
    assert code == 1, text
    assert "oggz.csv" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [
    ["run"],                                   # no manifest, no --out
    ["run", "{manifest}"],                     # no --out
    ["run", "{manifest}", "--out", "{out}", "--no-such-option"],
    ["frobnicate"],
])
def test_wrong_arguments_are_usage_errors(tmp_path: Path, args):
    manifest = small_delivery(tmp_path / "delivery").write()
    args = [a.format(manifest=manifest, out=tmp_path / "out") for a in args]
    code, text = mpg(*args)
    assert code == 2, text
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------- validate
def test_validate_prints_rows_per_source_and_writes_nothing(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    d = small_delivery(tmp_path / "delivery")
    manifest = d.write()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = snapshot(tmp_path)

    code, text = mpg("validate", manifest, env=NO_KEY)

    assert code == 0, text
    assert snapshot(tmp_path) == before, "validate wrote files"
    lines = text.splitlines()
    # file: (rows, rejects, first contact date, last contact date)
    expected = {"mjd/mjd.csv": (3, 1, "2003-03-03", "2003-05-05"),
                "geldzorg/gz.xlsx": (2, 0, "2003-04-04", "2004-01-31"),
                "oggz/oggz.csv": (1, 0, "2003-06-06", "2003-06-06")}
    for path, (rows, rejects, first, last) in expected.items():
        line = next((ln for ln in lines if path in ln), None)
        assert line is not None, f"{path} not in the output:\n{text}"
        tokens = re.split(r"[\s│|┃]+", line)
        assert str(rows) in tokens and str(rejects) in tokens, (path, line)
        assert first in line and last in line, (path, line)
    assert_no_identifying_data(text, d)


def test_validate_a_bad_delivery_exits_1(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    m = d.manifest()
    m["source"][1]["columns"] = {"contact_date": "Aanmelding"}
    manifest = d.write(m)
    code, text = mpg("validate", manifest, env=NO_KEY)
    assert code == 1, text
    assert "gz.xlsx" in text and "Aanmelding" in text
    assert_no_identifying_data(text, d)


# --------------------------------------------------------------------- demo
@pytest.mark.slow  # a whole city, its run and its publication with chart images: 10+ s
def test_demo_builds_and_counts_a_synthetic_city(tmp_path: Path):
    out = tmp_path / "demo"
    code, text = mpg("demo", "--out", out, "--persons", "400", env=NO_KEY)
    assert code == 0, text
    summaries = list(out.rglob("summary.json"))
    assert summaries, f"no summary.json under {out}"
    summary = json.loads(summaries[0].read_text(encoding="utf-8"))
    assert summary["family_households"] > 0


# --------------------------------------------------------------------- a real process
@pytest.mark.skipif(shutil.which("mpg") is None, reason="the mpg console script is not installed")
def test_console_script_exit_codes(tmp_path: Path):
    d = small_delivery(tmp_path / "delivery")
    good = d.write()
    m = d.manifest()
    m["run"]["reference_date"] = "2003-13-01"
    bad = d.write(m, filename="bad.toml")

    def proc(*args: str, **env: str):
        return subprocess.run(["mpg", *map(str, args)], capture_output=True, text=True,
                              env=clean_env(COLUMNS="200", **env), timeout=120)

    helped = proc("--help")
    assert helped.returncode == 0 and "validate" in helped.stdout

    no_key = proc("run", good, "--out", tmp_path / "out_nokey")
    assert no_key.returncode == 2
    assert "MPG_PSEUDONYM_KEY" in no_key.stdout + no_key.stderr

    broken = proc("run", bad, "--out", tmp_path / "out_bad", MPG_PSEUDONYM_KEY="k" * 20)
    assert broken.returncode == 1
    assert "bad.toml" in broken.stderr + broken.stdout
    assert "reference_date" in broken.stderr + broken.stdout

    ok = proc("run", good, "--out", tmp_path / "out_ok", MPG_PSEUDONYM_KEY="k" * 20)
    assert ok.returncode == 0, ok.stderr

    for p in (no_key, broken, ok):
        assert "Traceback" not in p.stdout + p.stderr
    assert not (tmp_path / "out_nokey").exists() and not (tmp_path / "out_bad").exists()
