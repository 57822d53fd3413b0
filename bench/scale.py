"""Scale benchmark: synthetic cities of growing size through the whole count.

    python bench/scale.py                          # 60k, 250k and 1M persons
    python bench/scale.py --sizes 60k,250k --difficulty hard --keep /tmp/scale
    python bench/scale.py --sizes 4m --seeds 1 --cities /tmp/cities   # reuse generated cities

For each size: `data_fixtures.make_city` writes a delivery into a temporary folder, then
`mpg run MANIFEST --out OUT --demo` counts it. Both run as child processes whose wall time
and peak memory are read from the kernel (os.wait4 rusage of that process), so this script
stays small; the seconds per stage come from OUT/run.json, and the count is checked against
the synthetic city's truth (FOLDER/city/truth/truth.json), the links in OUT/links.parquet
against its true links (truth_links.csv). Targets are printed beside:
60k under 30 s; 1M under 300 s and under 8 GiB.

Where linkage is hard the count is what matters, so each size also reports the count error
(in total and per category), the counted households lost and gained through linkage
against the truth's (truth_households.csv; a household counted in another category is both
lost and gained) and the records resolved only at household level (links.parquet
match_key "household"). Households are matched by the members' pseudonyms, which the
demo key (`--demo`) lets this script compute for the truth's addresses.

`--namesakes` also keeps the run's identifying tables (`--keep-identifying`) and asks of
each true link the run left without a person how many register persons agree with the true
person on every field the record carries (surname; given name, or first initial where the
record has initials only; birth date, sex and address where it has them), with the true
person's own register values: where two or more do, the fields cannot tell them apart
whatever the linker, and only softer evidence (the agencies that know a household) can.
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
LAST_CPU_SECONDS = 0.0
# persons -> (seconds, bytes); None = no target at that size.
TARGETS = {60_000: (30.0, None), 1_000_000: (300.0, 8 * GiB), 4_000_000: (None, None)}


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def mpg_command() -> list[str]:
    """The installed `mpg`, or the CLI module of this checkout."""
    found = shutil.which("mpg")
    return [found] if found else [sys.executable, "-c", "from mpg.cli import app; app()"]


def run_child(cmd: list[str], log: Path, timeout: float) -> tuple[int, float, int]:
    """A child process: (exit code, wall seconds, peak resident bytes of that process).
    Its CPU seconds (user + system, every thread) are in LAST_CPU_SECONDS: on a machine
    others share, wall time says as much about them as about the run."""
    global LAST_CPU_SECONDS
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
    LAST_CPU_SECONDS = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    return code, seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def stage_seconds(run_json: dict) -> dict[str, float]:
    stages = run_json.get("stages", {})
    return {name: (v["seconds"] if isinstance(v, dict) else float(v))
            for name, v in stages.items()}


def bench_one(n_persons: int, difficulty: str, seed: int, folder: Path,
              timeout: float, city: Path | None = None, namesakes: bool = False) -> dict:
    """Generate the city (unless `city` holds one already) and count it."""
    city = city or folder / "city"
    result = {"persons": n_persons, "difficulty": difficulty, "seed": seed}
    if (city / "truth" / "truth.json").is_file():
        g_code, g_wall, g_peak = 0, 0.0, 0
    else:
        generate = [sys.executable, "-c",
                    "import sys; from mpg.data_fixtures import make_city; "
                    "make_city(sys.argv[1], n_persons=int(sys.argv[2]), "
                    "difficulty=sys.argv[3], seed=int(sys.argv[4]))",
                    str(city), str(n_persons), difficulty, str(seed)]
        g_code, g_wall, g_peak = run_child(generate, folder / "generate.log", timeout)
    result.update(generate_seconds=round(g_wall, 1), generate_peak_bytes=g_peak)
    if g_code != 0:
        result.update(exit_code=g_code, wall_seconds=round(g_wall, 1), error="generating "
                      "the city failed:\n" + (folder / "generate.log").read_text()[-2000:])
        return result
    truth = json.loads((city / "truth" / "truth.json").read_text(encoding="utf-8"))
    out = folder / "out"
    log = folder / "mpg-run.log"
    manifest = city / "delivery" / "delivery.toml"
    identifying = ["--keep-identifying"] if namesakes else []
    code, wall, peak = run_child(
        mpg_command() + ["run", str(manifest), "--out", str(out), "--demo"] + identifying,
        log, timeout)
    result.update(exit_code=code, wall_seconds=round(wall, 1), peak_bytes=peak,
                  cpu_seconds=round(LAST_CPU_SECONDS, 1),
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
    result["households"] = household_changes(city, out)
    if namesakes:
        result["namesakes"] = unresolvable_misses(city, out)
    result["load_average"] = os.getloadavg()
    return result


def unresolvable_misses(city: Path, out: Path) -> dict:
    """The true links the run left without a person, by match_key, and how many of them
    fit two or more register persons on every field the record carries (see the module
    docstring). Reads OUT/identifying.duckdb (`--keep-identifying`)."""
    import duckdb

    from mpg.pipeline import sql

    con = duckdb.connect()
    try:
        sql.attach(con, out / "identifying.duckdb", "i", read_only=True)
        rows = con.execute("""
            WITH missed AS (
                SELECT r.record_key, coalesce(l.match_key, 'no candidate') AS match_key,
                       t.person_id AS true_id
                FROM read_csv(?, all_varchar = true) t
                JOIN read_parquet(?) l USING (agency, file, record_id)
                JOIN i.records r USING (agency, file, record_id)
                WHERE coalesce(t.person_id, '') <> '' AND l.person_id IS NULL),
            asked AS (
                SELECT m.record_key, m.match_key,
                       length(s.given_first) > 1 AS has_given, s.initials IS NOT NULL
                           AS has_initial, s.birth_date IS NOT NULL AS has_birth,
                       s.sex IS NOT NULL AS has_sex, s.address_key,
                       p.surname_stem, p.given_first, left(p.initials, 1) AS initial,
                       p.birth_date, p.sex
                FROM missed m JOIN i.records_std s USING (record_key)
                JOIN i.persons_std p ON p.uid = m.true_id),
            fits AS (
                SELECT a.record_key, any_value(a.match_key) AS match_key, count(*) AS persons
                FROM asked a JOIN i.persons_std o ON o.surname_stem = a.surname_stem
                 AND (NOT coalesce(a.has_given, false) OR o.given_first = a.given_first)
                 AND (coalesce(a.has_given, false) OR NOT a.has_initial
                      OR left(o.initials, 1) = a.initial)
                 AND (NOT a.has_birth OR o.birth_date = a.birth_date)
                 AND (NOT a.has_sex OR o.sex = a.sex)
                 AND (a.address_key IS NULL OR list_contains(o.address_keys, a.address_key))
                GROUP BY a.record_key)
            SELECT m.match_key, count(*), count(*) FILTER (f.persons >= 2)
            FROM missed m LEFT JOIN fits f USING (record_key)
            GROUP BY ALL ORDER BY ALL""", [str(city / "truth" / "truth_links.csv"),
                                           str(out / "links.parquet")]).fetchall()
    finally:
        con.close()
    by_key = {key: {"missed": int(n), "fields_fit_several": int(k)} for key, n, k in rows}
    return {"by_match_key": by_key,
            "missed": sum(v["missed"] for v in by_key.values()),
            "fields_fit_several": sum(v["fields_fit_several"] for key, v in by_key.items()
                                      if key != "household")}


def household_changes(city: Path, out: Path) -> dict:
    """Counted households lost and gained against the truth's, and the records resolved
    only at household level. A truth household (an address on the reference date) is ours
    when its members' pseudonyms (demo key) are in the household we counted."""
    import duckdb
    import pandas as pd

    from mpg.pipeline.config import load_manifest
    from mpg.pipeline.keys import DEMO_KEY, pseudonym

    truth = pd.read_csv(city / "truth" / "truth_households.csv", dtype=str)
    manifest = load_manifest(city / "delivery" / "delivery.toml")
    register = manifest.population_register
    names = {c: register.residences_columns.get(c, c)
             for c in ("person_id", "address_id", "start_date", "end_date")}
    res = pd.read_csv(manifest.resolve(register.residences), dtype=str,
                      usecols=list(names.values())).rename(
                          columns={v: k for k, v in names.items()})
    res = res[res["address_id"].isin(set(truth["address_id"]))]
    ref = manifest.run.reference_date.isoformat()
    res = res[(res["start_date"] <= ref) & (res["end_date"].isna() | (res["end_date"] > ref))]
    res = res.assign(person_key=[pseudonym(DEMO_KEY, "person", p) for p in res["person_id"]])
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{(out / 'run.duckdb').as_posix()}' AS run (READ_ONLY)")
        con.register("truth_households", truth[["address_id", "category"]])
        con.register("truth_members", res[["address_id", "person_key"]])
        lost, gained, changed = con.execute("""
            WITH truth AS (
                SELECT t.address_id, t.category, any_value(m.household_key) AS household_key
                FROM truth_households t
                LEFT JOIN truth_members tm USING (address_id)
                LEFT JOIN run.memberships m USING (person_key)
                GROUP BY ALL),
            ours AS (SELECT household_key, category FROM run.counted_households)
            SELECT count(*) FILTER (o.household_key IS NULL),
                   (SELECT count(*) FROM ours WHERE household_key NOT IN
                        (SELECT household_key FROM truth WHERE household_key IS NOT NULL)),
                   count(*) FILTER (o.household_key IS NOT NULL
                                    AND o.category <> t.category)
            FROM truth t LEFT JOIN ours o USING (household_key)""").fetchall()[0]
        household_level = con.execute(
            f"SELECT count(*) FROM read_parquet('{(out / 'links.parquet').as_posix()}') "
            "WHERE match_key = 'household'").fetchall()[0][0]
    finally:
        con.close()
    return {"lost": int(lost + changed), "gained": int(gained + changed),
            "other_category": int(changed), "records_at_household_level": int(household_level)}


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
    if seconds:
        ok = r["wall_seconds"] < seconds
        notes.append(f"< {seconds:.0f} s: {'ok' if ok else 'MISSED'}")
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
    print(f"  {'cpu (process)':<18} {r['cpu_seconds']:8.1f} s")
    print(f"  {'peak memory':<18} {r['peak_bytes'] / GiB:8.2f} GiB")
    if notes:
        print(f"  targets            {notes}")
    t, c = r["truth"], r["counted"]
    diff = c["mpg_total"] - t["mpg_total"]
    print(f"  MPG counted        {c['mpg_total']:8d}   truth {t['mpg_total']:d}  "
          f"({diff:+d}, {100 * diff / max(t['mpg_total'], 1):+.2f}%)")
    for cat, n in t["by_category"].items():
        got = c["by_category"].get(cat, 0)
        print(f"    {cat:<16} {got:8d}   truth {n:d}  ({100 * (got - n) / max(n, 1):+.2f}%)")
    print(f"  family households  {c['family_households']:8d}   truth "
          f"{t['family_households']:d}")
    q = r["linkage"]
    print(f"  links              {q['links_made']:8d}   true {q['true_links']:d}  "
          f"(precision {q['precision']:.4f}, recall {q['recall']:.4f}, F1 {q['f1']:.4f})")
    h = r["households"]
    print(f"  households         lost {h['lost']}, gained {h['gained']} (of them "
          f"{h['other_category']} in another category); records resolved at household "
          f"level {h['records_at_household_level']}")
    if "namesakes" in r:
        n = r["namesakes"]
        print(f"  left without person {n['missed']} true links; outside household level, "
              f"{n['fields_fit_several']} fit two or more persons on every field they carry "
              f"({100 * n['fields_fit_several'] / max(q['true_links'], 1):.2f}% of true "
              f"links): {json.dumps(n['by_match_key'])}")
    print(f"  load average       {' '.join(f'{x:.2f}' for x in r['load_average'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="60k,250k,1M",
                        help="comma-separated city sizes in persons (60000, 60k, 1M)")
    parser.add_argument("--difficulty", default="hard", choices=("easy", "hard"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", help="comma-separated seeds (overrides --seed)")
    parser.add_argument("--cities", type=Path, help="keep generated cities here "
                        "(SIZE-sSEED/) and reuse them on later runs")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per mpg run")
    parser.add_argument("--keep", type=Path, help="keep cities and outputs in this folder")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--namesakes", action="store_true",
                        help="keep the identifying tables and count the missed links whose "
                             "fields fit two or more register persons")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed (a failed run always does)")
    args = parser.parse_args(argv)

    results, failed = [], False
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    for size in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        for seed in seeds:
            base = args.keep or Path(tempfile.mkdtemp(prefix="mpg-scale-"))
            folder = base / f"{size}" / f"s{seed}"
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            city = (args.cities / f"{size}-{args.difficulty}-s{seed}" / "city"
                    if args.cities else None)
            try:
                r = bench_one(size, args.difficulty, seed, folder, args.timeout, city,
                              args.namesakes)
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
