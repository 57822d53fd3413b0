"""Analyst tools for the linkage threshold: `tune(manifest, tune_dir)`.

Runs load, standardise and link of one delivery as `mpg run` does, in a private work folder
inside TUNE_DIR (deleted afterwards), then writes into TUNE_DIR:
  match_weights.html              Splink's match weights chart (self-contained, works offline)
  m_u_parameters.csv              per comparison level: m, u, match weight, trained or prior
  threshold_curve.csv / .html     for thresholds 0.5 .. 0.999: links made, records resolved
                                  only at household level (household_links) and the count
                                  that results (mpg_total and each category), via
                                  pipeline.recount
  identifying_clerical_review.csv the record-person pairs nearest the threshold, with names,
                                  birth dates and addresses side by side, whether the record
                                  is linked to that person now (linked_now) or counts for
                                  the household of its candidates (household_now,
                                  record_household_id), and an empty
                                  `decision` column (match / non_match) for
                                  `linkage.review.import_reviews`.
Only the last file holds identifying data, and its name says so.
"""
from __future__ import annotations

import csv
import math
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mpg.linkage.link import run_passes
from mpg.linkage.model import probability_to_weight
from mpg.linkage.probabilistic import SCORES, build_linker, inside_ident, stored_model

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.995, 0.999)
DETERMINISTIC_KEYS = ("review", "bsn", "name_dob_address")
REVIEW_FILE = "identifying_clerical_review.csv"


@dataclass(frozen=True)
class TuneResult:
    match_weights_chart: Path
    m_u_table: Path
    threshold_curve: Path
    threshold_chart: Path
    clerical_review: Path
    curve: list[dict]


def tune(manifest_path: str | Path, tune_dir: str | Path, linkage_path: str | Path | None = None,
         rules_path: str | Path | None = None, review_db: str | Path | None = None,
         thresholds: tuple[float, ...] = THRESHOLDS, review_pairs: int = 200,
         engine=None, console=None) -> TuneResult:
    """Write the tuning files for one delivery into `tune_dir` (see the module docstring).
    `engine` is a `pipeline.api.Engine` (DuckDB memory and threads); default as a run.
    `console` (a Rich console) shows progress: the stages, then each threshold.

    TUNE_DIR may be new, empty or an earlier tuning folder (`pipeline.folders`); a clerical
    review file in it that an analyst has begun to fill in is never overwritten."""
    from mpg.pipeline import config
    from mpg.pipeline.folders import check_folder, private_files

    manifest = config.load_manifest(manifest_path)
    if review_db is not None:
        from mpg.linkage.review import check_store
        check_store(review_db)
    rules = config.load_rules(rules_path)
    linkage = config.load_linkage(linkage_path)
    tune_dir = check_folder(Path(tune_dir), "tuning", inputs=(manifest.folder,))
    _refuse_a_review_in_progress(tune_dir / REVIEW_FILE)
    with private_files():
        return _tune(manifest, rules, linkage, tune_dir, review_db, thresholds, review_pairs,
                     engine, console)


def _refuse_a_review_in_progress(path: Path) -> None:
    from mpg.pipeline.errors import UsageError
    if not path.is_file():
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        decided = [row for row in csv.DictReader(fh) if (row.get("decision") or "").strip()]
    if decided:
        raise UsageError(f"{path} holds {len(decided)} decisions an analyst filled in; import "
                         f"them first (mpg review import {path}) or move the file, then tune "
                         "again: a review in progress is never overwritten")


def _tune(manifest, rules, linkage, tune_dir: Path, review_db, thresholds, review_pairs,
          engine, console) -> TuneResult:
    from mpg.pipeline.api import Engine, connect
    from mpg.pipeline.context import RunContext
    from mpg.pipeline.folders import record_written

    tune_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".mpg-tune-", dir=tune_dir))
    try:
        (work / "out").mkdir()
        # The run's own connection: `ident` in memory, spilling only into the private folder.
        con = connect(work / "main.duckdb", work, engine or Engine())
        ctx = RunContext(manifest=manifest, rules=rules, linkage=linkage, work_dir=work,
                         stage_out=work / "out", pseudonym_key=secrets.token_bytes(32),
                         review_db=Path(review_db) if review_db else None)
        try:
            _run_until_link(con, ctx, console)
            chart = tune_dir / "match_weights.html"
            m_u = tune_dir / "m_u_parameters.csv"
            write_model_files(con, ctx, stored_model(con), chart, m_u)
            curve = threshold_curve(con, ctx, thresholds, console)
            curve_csv = tune_dir / "threshold_curve.csv"
            curve_html = tune_dir / "threshold_curve.html"
            _write_csv(curve_csv, curve)
            _write_curve_chart(curve_html, curve, linkage.threshold,
                               [c.name for c in rules.categories])
            review = tune_dir / REVIEW_FILE
            write_clerical_review(con, linkage, review, review_pairs)
        finally:
            con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = TuneResult(chart, m_u, curve_csv, curve_html, review, curve)
    record_written(tune_dir, "tuning", [chart, m_u, curve_csv, curve_html, review])
    return result


def _run_until_link(con: duckdb.DuckDBPyConnection, ctx, console=None) -> None:
    from mpg.pipeline.runner import run_stages
    from mpg.pipeline.stages import until
    run_stages(con, ctx, until("link"), console)


# ------------------------------------------------------------------------ model files

def write_model_files(con: duckdb.DuckDBPyConnection, ctx, model: dict, chart: Path,
                      m_u_csv: Path) -> None:
    """Splink's match weights chart (inline scripts: opens offline) and the m/u table."""
    rows = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append({"comparison": comparison["output_column_name"],
                         "level": level.get("label_for_charts", level["sql_condition"]),
                         "m_probability": m, "u_probability": u,
                         "match_weight": round(math.log2(m / u), 3) if m and u else None,
                         "term_frequency_column": level.get("tf_adjustment_column")})
    _write_csv(m_u_csv, rows)
    settings = ctx.linkage
    from mpg.linkage.probabilistic import _input_tables
    with inside_ident(con):
        _, n_persons = _input_tables(con)
        linker, db_api = build_linker(con, settings, n_persons, model=model)
        try:
            chart.write_text(linker.visualisations.match_weights_chart().to_html(inline=True),
                             encoding="utf-8")
        finally:
            db_api.delete_tables_created_by_splink_from_db()


# --------------------------------------------------------------------- threshold curve

def threshold_curve(con: duckdb.DuckDBPyConnection, ctx, thresholds, console=None
                    ) -> list[dict]:
    """Per threshold: links made and the resulting count (pipeline.recount). The link
    stage's own passes run again at each threshold (`linkage.link.run_passes`), the
    probabilistic one on the scores it already made."""
    from mpg.pipeline import recount
    con.execute("CREATE OR REPLACE TABLE ident._tune_base AS SELECT * FROM ident.links")
    curve = []
    try:
        for index, threshold in enumerate(sorted(thresholds), start=1):
            if console is not None:
                console.print(f"  threshold curve {index}/{len(thresholds)}: {threshold}")
            run_passes(con, ctx, threshold=threshold, rescore=False)
            total, linked, probabilistic, households = con.execute("""
                SELECT count(*), count(person_id),
                       count(person_id) FILTER (WHERE match_key = 'probabilistic'),
                       count(household_id)
                FROM ident.links""").fetchall()[0]
            summary = recount(con, ctx)
            by_category = summary.get("by_category", {})
            curve.append({"threshold": threshold, "records": total, "links": linked,
                          "probabilistic_links": probabilistic,
                          "household_links": households,
                          "linkage_rate": round(linked / total, 4) if total else None,
                          "mpg_total": summary.get("mpg_total"),
                          **{name: n for name, n in by_category.items()},
                          "unlinked_records": summary.get("not_counted", {}).get(
                              "unlinked_records")})
    finally:
        con.execute("CREATE OR REPLACE TABLE ident.links AS SELECT * FROM ident._tune_base")
        con.execute("DROP TABLE IF EXISTS ident._tune_base")
    return curve


def _write_curve_chart(path: Path, curve: list[dict], threshold: float,
                      categories: list[str]) -> None:
    """Links made and MPG count against the threshold, as a self-contained HTML page."""
    from splink.internals.html_utils import chart_html
    values = []
    for row in curve:
        measures = ("links", "household_links", "mpg_total", *categories)
        for measure in measures:
            if row.get(measure) is not None:
                values.append({"threshold": row["threshold"], "measure": measure,
                               "value": row[measure]})
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"Links and MPG count by match-probability threshold (now {threshold})",
        "data": {"values": values},
        "facet": {"row": {"field": "measure", "type": "nominal", "title": None}},
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": 520, "height": 140,
            "layer": [
                {"mark": {"type": "line", "point": True},
                 "encoding": {"x": {"field": "threshold", "type": "quantitative",
                                    "scale": {"domain": [0.5, 1]}},
                              "y": {"field": "value", "type": "quantitative", "title": None},
                              "tooltip": [{"field": "threshold"}, {"field": "value"}]}},
                {"mark": {"type": "rule", "color": "firebrick", "strokeDash": [4, 3]},
                 "encoding": {"x": {"datum": threshold, "type": "quantitative"}}},
            ]},
    }
    path.write_text(chart_html(spec, inline=True, fullhtml=True), encoding="utf-8")


# ------------------------------------------------------------------- clerical review

def write_clerical_review(con: duckdb.DuckDBPyConnection, settings, path: Path,
                          n_pairs: int) -> int:
    """The best (and, when close, second best) candidate of the records whose decision is
    nearest the threshold, as names and dates side by side. Returns the number of pairs."""
    threshold_weight = probability_to_weight(settings.threshold)
    rows = con.execute(f"""
        WITH candidates AS (
            SELECT s.record_key, s.person_id, s.match_weight, s.match_probability,
                   s.pair_probability, s.rank, s.weight_margin,
                   -- the decision is taken on match_probability: its distance in bits
                   log2(least(greatest(s.match_probability, 1e-12), 1 - 1e-12)
                        / (1 - least(greatest(s.match_probability, 1e-12), 1 - 1e-12)))
                       AS decision_weight
            FROM {SCORES} s
            JOIN ident.links l USING (record_key)
            WHERE (l.match_key IS NULL OR NOT list_contains($deterministic, l.match_key))
              AND (s.rank = 1 OR (s.rank = 2 AND s.match_weight >= $threshold_weight
                                                                  - $min_margin))),
        nearest AS (
            SELECT record_key, min(abs(decision_weight - $threshold_weight)) AS distance
            FROM candidates WHERE rank = 1 GROUP BY record_key
            ORDER BY distance, record_key LIMIT $n_pairs)
        SELECT r.agency, r.file, r.record_id, c.person_id,
               round(c.match_probability, 6) AS match_probability,
               round(c.pair_probability, 6) AS pair_probability,
               round(c.match_weight, 3) AS match_weight, c.rank AS candidate_rank,
               (l.person_id IS NOT DISTINCT FROM c.person_id) AS linked_now,
               -- the record counts for the household of its candidates, this one among them
               coalesce(list_contains(l.candidate_ids, c.person_id), false)
                   AS household_now,
               l.household_id AS record_household_id,
               rec.surname AS record_surname, rec.prefix AS record_prefix,
               rec.given_names AS record_given_names, rec.birth_date AS record_birth_date,
               rec.sex AS record_sex, rec.postcode AS record_postcode,
               rec.house_number AS record_house_number, rec.contact_date AS record_contact_date,
               p.surname AS person_surname, p.prefix AS person_prefix,
               p.given_names AS person_given_names, p.birth_date AS person_birth_date,
               p.sex AS person_sex,
               (SELECT string_agg(a.postcode || ' ' || a.house_number, '; '
                                  ORDER BY a.start_date)
                  FROM ident.person_addresses a WHERE a.person_id = c.person_id)
                   AS person_addresses,
               (r.bsn IS NOT NULL AND ps.bsn IS NOT NULL) AS both_have_valid_bsn,
               (r.bsn = ps.bsn) AS bsn_agrees,
               '' AS decision
        FROM nearest n
        JOIN candidates c USING (record_key)
        JOIN ident.records_std r USING (record_key)
        JOIN ident.records rec USING (record_key)
        JOIN ident.register_persons p ON p.person_id = c.person_id
        JOIN ident.persons_std ps ON ps.person_id = c.person_id
        JOIN ident.links l USING (record_key)
        ORDER BY n.distance, c.record_key, c.rank
    """, {"deterministic": list(DETERMINISTIC_KEYS), "threshold_weight": threshold_weight,
          "min_margin": settings.min_margin, "n_pairs": int(n_pairs)}).df()
    rows.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return len(rows)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if not rows:
            fh.write("")
            return
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
