"""The Splink model of the probabilistic pass, built from LinkageSettings.

Only Splink's own comparison levels (written for every backend) and SQL in DuckDB's dialect
(translated by Splink through sqlglot) are used, so one settings file runs on DuckDB and on
Spark. `splink_settings(..)` is dialect-free: the Linker picks the backend.
"""
from __future__ import annotations

import math

import splink.comparison_level_library as cll
from splink import SettingsCreator
from splink.blocking_rule_library import CustomRule
from splink.comparison_library import CustomComparison

from mpg.pipeline.config import ComparisonLevelSpec, ComparisonSpec, LinkageSettings

BASE_DIALECT = "duckdb"  # the dialect the SQL in the settings file is written in
UNIQUE_ID = "uid"
RECORDS = "records"  # dataset names (source_dataset column)
PERSONS = "persons"


def _level(spec: ComparisonLevelSpec, u: float | None):
    if spec.kind == "null":
        level = (cll.NullLevel(spec.column) if not spec.sql else
                 cll.CustomLevel(spec.sql, spec.label, base_dialect_str=BASE_DIALECT)
                 .configure(is_null_level=True))
    elif spec.kind == "exact":
        level = cll.ExactMatchLevel(spec.column)
    elif spec.kind == "jaro_winkler":
        level = cll.JaroWinklerLevel(spec.column, spec.threshold)
    elif spec.kind == "damerau_levenshtein":
        level = cll.DamerauLevenshteinLevel(spec.column, spec.distance)
    elif spec.kind == "array_intersect":
        level = cll.ArrayIntersectLevel(spec.column, 1)
    elif spec.kind == "custom":
        level = cll.CustomLevel(spec.sql, spec.label, base_dialect_str=BASE_DIALECT)
    else:
        level = cll.ElseLevel()
    if spec.label:
        level.configure(label_for_charts=spec.label)
    if spec.kind != "null":
        level.configure(m_probability=spec.m, u_probability=u)
        if spec.fix_m:
            level.configure(fix_m_probability=True)
    if spec.tf_column:
        # The level's own u is the average the frequency adjustment is measured against
        # (Splink would otherwise look for a plain exact-match level on the column).
        level.configure(tf_adjustment_column=spec.tf_column, tf_adjustment_weight=1.0,
                        tf_minimum_u_value=spec.tf_minimum_u,
                        disable_tf_exact_match_detection=True)
    return level


def prior_u(comparison: ComparisonSpec, n_persons: int, reference_size: int) -> list[float | None]:
    """u of each level, `scale_u` levels scaled to the register size; the else level takes
    what is left so the u of a comparison add up to 1."""
    factor = reference_size / max(n_persons, 1)
    us: list[float | None] = []
    for spec in comparison.levels:
        if spec.kind == "null":
            us.append(None)
        elif spec.scale_u:
            us.append(min(spec.u * factor, 0.5))
        else:
            us.append(spec.u)
    rest = 1 - sum(u for u, s in zip(us[:-1], comparison.levels[:-1]) if u is not None)
    us[-1] = max(rest, 1e-6)
    return us


def comparisons(settings: LinkageSettings, n_persons: int) -> list[CustomComparison]:
    out = []
    for comparison in settings.comparisons:
        us = prior_u(comparison, n_persons, settings.reference_register_size)
        out.append(CustomComparison(
            comparison_levels=[_level(spec, u) for spec, u in zip(comparison.levels, us)],
            output_column_name=comparison.name,
            comparison_description=comparison.description or comparison.name))
    return out


def blocking_rules(settings: LinkageSettings) -> list[CustomRule]:
    return [CustomRule(rule.sql, sql_dialect=BASE_DIALECT,
                       arrays_to_explode=list(rule.explode) or None)
            for rule in settings.blocking_rules]


def prior_match_probability(settings: LinkageSettings, n_persons: int) -> float:
    """Probability that a random record-person pair is one person: each record has (with
    probability expected_link_rate) one person among n_persons."""
    return min(settings.expected_link_rate / max(n_persons, 1), 0.5)


def splink_settings(settings: LinkageSettings, n_persons: int) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name=UNIQUE_ID,
        comparisons=comparisons(settings, n_persons),
        blocking_rules_to_generate_predictions=blocking_rules(settings),
        probability_two_random_records_match=prior_match_probability(settings, n_persons),
        max_iterations=settings.training.em_max_iterations,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def probability_to_weight(p: float) -> float:
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log2(p / (1 - p))
