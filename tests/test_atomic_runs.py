"""Atomic, idempotent runs with an audit record (pipeline/api.py; outputs.md).

* A run killed with SIGKILL at any stage leaves the previous OUT byte-identical (or, killed
  after its last step, the complete new OUT: never a half or missing one), and after the
  next run no hidden folder is left beside OUT.
* The same delivery, settings and key give byte-identical summary.json and
  neighbourhoods.csv, and the same household keys; another key gives other household keys
  and the same count.
* OUT/run.json records tool version, manifest and file SHA-256s, resolved rules and linkage
  settings, row counts and timings per stage, user and host.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from test_privacy import KEY, build, env, mpg_command

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
STAGES = ("load", "standardise", "link", "pseudonymise", "households", "select", "profile",
          "estimate", "publish")
OUT_FILES = {"summary.json", "neighbourhoods.csv", "households.parquet", "rejects.csv",
             "links.parquet", "run.json", "run.duckdb"}


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def hidden_folders(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.mpg-*"))


def run_in_process(manifest: Path, out: Path, key: str = KEY, **kwargs: Any):
    from mpg.pipeline import run

    return run(manifest, out, pseudonym_key=key.encode(), **kwargs)


# ------------------------------------------------------------------ killed runs
def city(folder: Path, n_persons: int) -> Path:
    """A synthetic city big enough that linkage takes a while (else a builder delivery)."""
    try:
        from mpg.data_fixtures import make_city
    except ImportError:  # pragma: no cover - before data_fixtures existed
        d, _ = build(folder)
        return d.write()
    return make_city(folder, n_persons=n_persons, seed=7).manifest_path


def kill_during(stage: str, manifest: Path, out: Path) -> dict[str, Any]:
    """Start `mpg run` and SIGKILL it while `stage` runs: right after the line that reports
    the stage before it, or, for the first stage, as soon as its hidden folder appears."""
    lines: queue.Queue[str | None] = queue.Queue()
    proc = subprocess.Popen([*mpg_command(), "run", str(manifest), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env(), cwd=REPO, start_new_session=True)

    def read() -> None:
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    index = STAGES.index(stage)
    deadline = time.monotonic() + 300
    modes = []
    try:
        while time.monotonic() < deadline:
            if index == 0:
                folders = hidden_folders(out)
                if folders and proc.poll() is None:
                    modes = [f.stat().st_mode & 0o777 for f in folders]
                    break
                time.sleep(0.005)
                continue
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line)
            done = re.search(r"\[(\d+)/\d+\]\s+(\w+)", line)
            if done and done.group(2) == STAGES[index - 1] and "✓" in line:
                modes = [f.stat().st_mode & 0o777 for f in hidden_folders(out)]
                break
        else:
            pytest.fail(f"the run never reached {stage}: {''.join(seen)}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    return {"returncode": proc.returncode, "stderr": "".join(seen), "modes": modes}


def assert_previous_or_complete(out: Path, before: dict[str, str], killed: dict[str, Any]):
    """OUT is the previous OUT byte for byte, or (killed after it finished) a complete new
    OUT with the same count; never missing, never partial."""
    assert out.is_dir(), f"OUT is gone after the kill ({killed})"
    now = snapshot(out)
    if now == before:
        return "previous"
    assert killed["returncode"] == 0 or set(now) == set(before), (set(now) ^ set(before))
    assert OUT_FILES <= set(now)
    assert now["summary.json"] == before["summary.json"]
    return "new"


@pytest.fixture(scope="module")
def city_runs(tmp_path_factory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("atomic")
    manifest = city(tmp / "city", n_persons=1500)
    out = tmp / "runs" / "out"
    run_in_process(manifest, out)
    return {"manifest": manifest, "out": out, "before": snapshot(out)}


def _killed_and_recovered(city_runs: dict[str, Any], stage: str) -> None:
    out, before = city_runs["out"], city_runs["before"]
    killed = kill_during(stage, city_runs["manifest"], out)
    if killed["returncode"] == -signal.SIGKILL:
        assert all(m == 0o700 for m in killed["modes"]), [oct(m) for m in killed["modes"]]
    state = assert_previous_or_complete(out, before, killed)
    if state == "previous" and stage in ("load", "standardise", "link"):
        # the kill really landed mid-run: the run's hidden folder was there while it ran
        assert killed["modes"], "a killed run left no trace: was it killed at all?"
    # the reaper the run started deletes its hidden folder (spill files and all) once the
    # run is gone, without waiting for the next run
    assert_hidden_folders_go(out)
    run_in_process(city_runs["manifest"], out)
    assert hidden_folders(out) == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    after = snapshot(out)
    assert after["summary.json"] == before["summary.json"]
    assert after["neighbourhoods.csv"] == before["neighbourhoods.csv"]
    city_runs["before"] = after


def assert_hidden_folders_go(out: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while hidden_folders(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hidden_folders(out) == [], "the killed run's hidden folder is still there"


def test_a_run_killed_mid_link_leaves_the_previous_out_intact(city_runs):
    killed = kill_during("link", city_runs["manifest"], city_runs["out"])
    assert killed["returncode"] == -signal.SIGKILL, killed["stderr"]
    assert "standardise" in killed["stderr"] and "[3/8] link" not in killed["stderr"]
    assert snapshot(city_runs["out"]) == city_runs["before"]
    assert [oct(m) for m in killed["modes"]] == [oct(0o700)]
    assert_hidden_folders_go(city_runs["out"])
    run_in_process(city_runs["manifest"], city_runs["out"])
    assert hidden_folders(city_runs["out"]) == []
    after = snapshot(city_runs["out"])
    assert after["summary.json"] == city_runs["before"]["summary.json"]
    city_runs["before"] = after


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_at_any_stage_leaves_out_whole(city_runs, stage):
    _killed_and_recovered(city_runs, stage)


@pytest.mark.slow
def test_ctrl_c_mid_link_cleans_up_and_prints_no_traceback(city_runs):
    """SIGINT (Ctrl-C) is not a kill: the run stops, removes its hidden folder and leaves
    the previous OUT as it was; the user sees no traceback."""
    out, before = city_runs["out"], city_runs["before"]
    proc = subprocess.Popen([*mpg_command(), "run", str(city_runs["manifest"]), "--out",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(), cwd=REPO)
    seen = ""
    for line in proc.stderr:
        seen += line
        if "standardise" in line:
            proc.send_signal(signal.SIGINT)
            break
    rest_out, rest_err = proc.communicate(timeout=120)
    text = seen + rest_err + rest_out
    assert proc.returncode == 130, text  # interrupted: 128 + SIGINT, as a shell reports it
    assert "interrupted" in text and "unexpected" not in text, text
    assert "Traceback" not in text, text
    assert snapshot(out) == before
    assert hidden_folders(out) == []


# ------------------------------------------------------------------ the final swap
SWAP_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from mpg.pipeline import api

    mode, out = sys.argv[1], Path(sys.argv[2])
    exchange = api._exchange
    if mode == "after_exchange":
        def _exchange(a, b):
            done = exchange(a, b)
            assert done, "renameat2(RENAME_EXCHANGE) is not available here"
            os.kill(os.getpid(), signal.SIGKILL)
        api._exchange = _exchange
    elif mode == "between_renames":
        api._exchange = lambda a, b: False
        rename = Path.rename
        def between(self, target):
            result = rename(self, target)
            if Path(target).name == "previous":
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        Path.rename = between
    with api.staging(out) as (stage, work):
        (stage / "summary.json").write_text("new")
""")


@pytest.mark.parametrize("mode", ["after_exchange", "between_renames"])
def test_a_run_killed_while_out_is_swapped(mode, tmp_path: Path):
    """The last step: with the atomic exchange OUT is the new one at once; with the two
    renames of other systems OUT is briefly absent, and the next run puts it back."""
    from mpg.pipeline.folders import MARKER, write_marker
    out = tmp_path / "runs" / "out"
    out.mkdir(parents=True)
    (out / "summary.json").write_text("previous")
    (out / "sub").mkdir()
    (out / "sub" / "x.bin").write_bytes(b"\x00previous\xff")
    write_marker(out, "out")  # an earlier result of this tool
    before = snapshot(out)
    proc = subprocess.run([sys.executable, "-c", SWAP_SCRIPT, mode, str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the killed run's reaper puts the earlier OUT back where the kill left none, and
    # removes the hidden folder
    assert_hidden_folders_go(out)
    new = {"summary.json": hashlib.sha256(b"new").hexdigest()}
    if mode == "after_exchange":
        assert {k: v for k, v in snapshot(out).items() if k != MARKER} == new
    else:
        assert snapshot(out) == before  # the window the exchange closes, closed again
    from mpg.pipeline.api import staging
    from mpg.pipeline.errors import DeliveryError

    with pytest.raises(DeliveryError):  # the next run fails: OUT must be whole again
        with staging(out):
            raise DeliveryError("x.csv: broken")
    expected = before if mode == "between_renames" else {
        "summary.json": hashlib.sha256(b"new").hexdigest(), MARKER: snapshot(out)[MARKER]}
    assert snapshot(out) == expected
    assert hidden_folders(out) == []


def test_a_stale_folder_of_a_live_run_is_left_alone(tmp_path: Path):
    """Two runs beside one OUT: the first does not delete the other's work in progress."""
    from mpg.pipeline.api import staging

    out = tmp_path / "out"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".out.mpg-{sleeper.pid}-aaaaaaaa"
        dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True).stdout.strip()
        dead = tmp_path / f".out.mpg-{dead_pid}-bbbbbbbb"
        for folder in (live, dead):
            (folder / "work").mkdir(parents=True)
        with staging(out) as (stage, _):
            (stage / "summary.json").write_text("{}")
        assert live.is_dir() and not dead.exists()
        assert (out / "summary.json").read_text() == "{}"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_failed_run_leaves_the_previous_out_and_nothing_else(tmp_path: Path):
    from mpg.pipeline.errors import DeliveryError

    from builder import Delivery

    d = Delivery(tmp_path / "delivery")
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.source("MJD", [d.record(h.mother, "2003-03-03")], path="mjd/mjd.csv")
    manifest = d.write()
    out = tmp_path / "runs" / "out"
    run_in_process(manifest, out)
    before = snapshot(out)
    (d.root / "mjd" / "mjd.csv").write_bytes("record_id,surname\n1,Ölçer\n".encode("cp1252"))
    with pytest.raises(DeliveryError):
        run_in_process(manifest, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


# ------------------------------------------------------------------ idempotence
@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> dict[str, Any]:
    """One delivery counted three times: twice with the same key, once with another."""
    tmp = tmp_path_factory.mktemp("idempotent")
    d, _ = build(tmp / "delivery")
    manifest = d.write()
    outs = {}
    for name, key in (("a", KEY), ("b", KEY), ("other_key", "another-key-0123456789abcdef")):
        outs[name] = tmp / "runs" / name
        run_in_process(manifest, outs[name], key=key)
    return {"manifest": manifest, "d": d, **outs}


@pytest.mark.parametrize("name", ["summary.json", "neighbourhoods.csv", "rejects.csv"])
def test_the_same_delivery_settings_and_key_give_the_same_bytes(three_runs, name):
    a = (three_runs["a"] / name).read_bytes()
    assert a and a == (three_runs["b"] / name).read_bytes()


def test_household_keys_are_stable_with_the_key_and_change_with_another(three_runs):
    def keys(out: Path) -> list[str]:
        return pq.read_table(out / "households.parquet").column("household_key").to_pylist()

    a, b, other = keys(three_runs["a"]), keys(three_runs["b"]), keys(three_runs["other_key"])
    assert a and a == b
    assert len(other) == len(a) and not set(other) & set(a)


def test_the_count_does_not_depend_on_the_key(three_runs):
    assert (three_runs["a"] / "summary.json").read_bytes() == \
        (three_runs["other_key"] / "summary.json").read_bytes()
    assert (three_runs["a"] / "neighbourhoods.csv").read_bytes() == \
        (three_runs["other_key"] / "neighbourhoods.csv").read_bytes()


def test_links_are_the_same_on_a_rerun(three_runs):
    a = pq.read_table(three_runs["a"] / "links.parquet").to_pylist()
    assert a == pq.read_table(three_runs["b"] / "links.parquet").to_pylist()


# ------------------------------------------------------------------ the audit record
def test_run_json_is_the_audit_record(three_runs):
    from mpg.pipeline import config
    from importlib.metadata import version
    from mpg.sources.readers import file_sha256

    out, manifest = three_runs["a"], three_runs["manifest"]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["tool_version"] == version("mpg-count")
    assert record["run"] == "PRIV"
    assert record["manifest"]["sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert Path(record["manifest"]["path"]) == manifest.resolve()
    # every file of the delivery with its own hash and row counts
    m = config.load_manifest(manifest)
    expected_files = {m.population_register.persons, m.population_register.residences,
                      m.population_register.neighbourhoods, *(s.path for s in m.source)}
    files = {f["file"]: f for f in record["files"]}
    assert set(files) == expected_files
    for name, f in files.items():
        assert f["sha256"] == file_sha256(manifest.parent / name), name
        assert f["rows_in"] == f["rows_loaded"] + f["rows_rejected"], name
    # rules and linkage settings, resolved (every default spelt out)
    assert record["rules"]["resolved"] == config.load_rules().model_dump(mode="json")
    assert record["linkage"]["resolved"] == config.load_linkage().model_dump(mode="json")
    # row counts and timings per stage, in order
    assert list(record["stages"]) == list(STAGES)
    for name, stage in record["stages"].items():
        assert isinstance(stage["seconds"], (int, float)) and stage["seconds"] >= 0, name
        assert isinstance(stage["rows"], dict), name
    load_rows = record["stages"]["load"]["rows"]
    assert load_rows["ident.records"] == sum(
        f["rows_loaded"] for f in record["files"] if not f["agency"].startswith("REGISTER"))
    assert load_rows["rejects"] == sum(f["rows_rejected"] for f in record["files"])
    assert record["total_seconds"] >= sum(s["seconds"] for s in record["stages"].values())
    assert record["started_by"] == {"user": getpass.getuser(), "host": socket.gethostname()}
    raw = (out / "run.json").read_text(encoding="utf-8")
    assert KEY not in raw
