"""Scale benchmark: synthetic cities of growing size through the whole count.

    python bench/scale.py                          # 60k, 250k and 1M persons
    python bench/scale.py --sizes 60k,250k --difficulty hard --keep /tmp/scale

For each size: `data_fixtures.make_city` writes a delivery into a temporary folder, then
`mpg run MANIFEST --out OUT --demo` counts it. Both run as child processes whose wall time
and peak memory are read from the kernel (os.wait4 rusage of that process), so this script
stays small; the seconds per stage come from OUT/run.json, and the count is checked against
the synthetic city's truth (FOLDER/city/truth/truth.json), the links in OUT/links.parquet
against its true links (truth_links.csv). Targets are printed beside:
60k under 30 s; 1M under 300 s and under 8 GiB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # children run here, so they import this checkout
if not __package__:  # run as a script (python bench/scale.py): import this checkout's bench
    sys.path.insert(0, str(REPO))
from bench.linkage import pair_quality  # noqa: E402 - after the path is set

GiB = 1024 ** 3
# persons -> (seconds, bytes); None = no target at that size.
TARGETS = {60_000: (30.0, None), 1_000_000: (300.0, 8 * GiB)}


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def mpg_command() -> list[str]:
    """The installed `mpg`, or the CLI module of this checkout."""
    found = shutil.which("mpg")
    return [found] if found else [sys.executable, "-c", "from mpg.cli import app; app()"]


def run_child(cmd: list[str], log: Path, timeout: float) -> tuple[int, float, int]:
    """A child process: (exit code, wall seconds, peak resident bytes of that process)."""
    start = time.perf_counter()
    with open(log, "wb") as fh:
        child = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return code, seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def stage_seconds(run_json: dict) -> dict[str, float]:
    stages = run_json.get("stages", {})
    return {name: (v["seconds"] if isinstance(v, dict) else float(v))
            for name, v in stages.items()}


def bench_one(n_persons: int, difficulty: str, seed: int, folder: Path,
              timeout: float) -> dict:
    city = folder / "city"
    generate = [sys.executable, "-c",
                "import sys; from mpg.data_fixtures import make_city; "
                "make_city(sys.argv[1], n_persons=int(sys.argv[2]), difficulty=sys.argv[3], "
                "seed=int(sys.argv[4]))", str(city), str(n_persons), difficulty, str(seed)]
    g_code, g_wall, g_peak = run_child(generate, folder / "generate.log", timeout)
    result = {"persons": n_persons, "difficulty": difficulty, "seed": seed,
              "generate_seconds": round(g_wall, 1), "generate_peak_bytes": g_peak}
    if g_code != 0:
        result.update(exit_code=g_code, wall_seconds=round(g_wall, 1), error="generating "
                      "the city failed:\n" + (folder / "generate.log").read_text()[-2000:])
        return result
    truth = json.loads((city / "truth" / "truth.json").read_text(encoding="utf-8"))
    out = folder / "out"
    log = folder / "mpg-run.log"
    manifest = city / "delivery" / "delivery.toml"
    code, wall, peak = run_child(
        mpg_command() + ["run", str(manifest), "--out", str(out), "--demo"], log, timeout)
    result.update(exit_code=code, wall_seconds=round(wall, 1), peak_bytes=peak,
                  truth={k: truth[k] for k in ("family_households", "mpg_total",
                                               "by_category")})
    if code != 0 or not (out / "summary.json").is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        result["error"] = "\n".join(tail)
        return result
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    result["stages"] = stage_seconds(run_json)
    result["total_seconds"] = run_json.get("total_seconds", round(wall, 1))
    result["counted"] = {k: summary[k] for k in ("family_households", "mpg_total",
                                                 "by_category")}
    result["linkage"] = link_quality(out / "links.parquet", city / "truth" / "truth_links.csv")
    return result


def link_quality(links_file: Path, truth_file: Path) -> dict:
    """Precision, recall and F1 of the run's record -> person links (OUT/links.parquet)
    against the city's true links; a record with a wrong person is a false and a missed link."""
    import pandas as pd
    key = ["agency", "file", "record_id", "person_id"]

    def pairs(frame: pd.DataFrame) -> set:
        frame = frame.astype("string").fillna("")
        return set(frame.loc[frame["person_id"] != "", key].itertuples(index=False, name=None))

    q = pair_quality(pairs(pd.read_csv(truth_file, dtype=str, keep_default_na=False)),
                     pairs(pd.read_parquet(links_file, columns=key)))
    return {"links_made": q["pairs"], "true_links": q["true_pairs"], "right": q["right"],
            "precision": round(q["precision"], 4), "recall": round(q["recall"], 4),
            "f1": round(q["f1"], 4)}


def targets_met(r: dict) -> tuple[bool, str]:
    limit = TARGETS.get(r["persons"])
    if limit is None or "total_seconds" not in r:
        return True, ""
    seconds, memory = limit
    notes, ok = [], True
    if r["wall_seconds"] >= seconds:
        ok = False
    notes.append(f"< {seconds:.0f} s: {'ok' if r['wall_seconds'] < seconds else 'MISSED'}")
    if memory:
        ok &= r["peak_bytes"] < memory
        notes.append(f"< {memory / GiB:.0f} GiB: "
                     f"{'ok' if r['peak_bytes'] < memory else 'MISSED'}")
    return ok, ", ".join(notes)


def report(r: dict) -> None:
    size = f"{r['persons']:,} persons ({r['difficulty']}, seed {r['seed']})"
    print(f"\n=== {size}")
    print(f"  generate city      {r['generate_seconds']:8.1f} s  "
          f"({r['generate_peak_bytes'] / GiB:.2f} GiB)")
    if "error" in r:
        print(f"  mpg run FAILED (exit {r['exit_code']}) after {r['wall_seconds']} s:")
        print("    " + r["error"].replace("\n", "\n    "))
        return
    for name, seconds in r["stages"].items():
        print(f"  {name:<18} {seconds:8.1f} s")
    ok, notes = targets_met(r)
    print(f"  {'total (run.json)':<18} {r['total_seconds']:8.1f} s")
    print(f"  {'wall (process)':<18} {r['wall_seconds']:8.1f} s")
    print(f"  {'peak memory':<18} {r['peak_bytes'] / GiB:8.2f} GiB")
    if notes:
        print(f"  targets            {notes}")
    t, c = r["truth"], r["counted"]
    diff = c["mpg_total"] - t["mpg_total"]
    print(f"  MPG counted        {c['mpg_total']:8d}   truth {t['mpg_total']:d}  "
          f"({diff:+d}, {100 * diff / max(t['mpg_total'], 1):+.1f}%)")
    for cat, n in t["by_category"].items():
        print(f"    {cat:<16} {c['by_category'].get(cat, 0):8d}   truth {n:d}")
    print(f"  family households  {c['family_households']:8d}   truth "
          f"{t['family_households']:d}")
    q = r["linkage"]
    print(f"  links              {q['links_made']:8d}   true {q['true_links']:d}  "
          f"(precision {q['precision']:.4f}, recall {q['recall']:.4f}, F1 {q['f1']:.4f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="60k,250k,1M",
                        help="comma-separated city sizes in persons (60000, 60k, 1M)")
    parser.add_argument("--difficulty", default="hard", choices=("easy", "hard"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per mpg run")
    parser.add_argument("--keep", type=Path, help="keep cities and outputs in this folder")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed (a failed run always does)")
    args = parser.parse_args(argv)

    results, failed = [], False
    for size in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        base = args.keep or Path(tempfile.mkdtemp(prefix="mpg-scale-"))
        folder = base / f"{size}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        try:
            r = bench_one(size, args.difficulty, args.seed, folder, args.timeout)
        finally:
            if not args.keep:
                shutil.rmtree(base, ignore_errors=True)
        report(r)
        results.append(r)
        ok, _ = targets_met(r)
        failed |= "error" in r or (args.strict and not ok)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
