"""The Splink model of the probabilistic pass: linkage settings -> Splink's settings dict.

The settings file holds the comparisons and blocking rules in Splink's own format (the
format of the saved model). What this module adds is ours: the u priors of `scale_u` levels
scaled to the register's size (each comparison's ELSE level taking the u that is left), the
prior match probability from expected_link_rate, and the base dialect of the SQL, so that
Splink translates it (through sqlglot) when the Linker runs on Spark.
"""
from __future__ import annotations

import math
from typing import Any

from mpg.pipeline.config import LinkageSettings, SplinkComparison

BASE_DIALECT = "duckdb"  # the dialect the SQL in the settings file is written in
UNIQUE_ID = "uid"
RECORDS = "records"  # dataset names (source_dataset column)
PERSONS = "persons"


def prior_u(comparison: SplinkComparison, scaled: set[str], n_persons: int,
            reference_size: int) -> list[float | None]:
    """u of each level, `scaled` levels (by label) scaled to the register size; the ELSE
    level takes what is left so the u of a comparison add up to 1. In a register so small
    that the scaled levels would take more than half of all random pairs, they are scaled
    less, keeping their ratios: chance agreement on an address cannot leave "another
    address" rarer than the address itself (it would then count as evidence FOR a match)."""
    factor = reference_size / max(n_persons, 1)
    base = sum(level.u_probability for level in comparison.comparison_levels
               if not level.is_null_level and level.label_for_charts in scaled)
    if base > 0:
        factor = min(factor, 0.5 / base)
    us: list[float | None] = []
    for level in comparison.comparison_levels:
        if level.is_null_level:
            us.append(None)
        elif level.label_for_charts in scaled:
            us.append(level.u_probability * factor)
        else:
            us.append(level.u_probability)
    rest = 1 - sum(u for u in us[:-1] if u is not None)
    us[-1] = max(rest, 1e-6)
    return us


def comparison_dicts(settings: LinkageSettings, n_persons: int) -> list[dict[str, Any]]:
    out = []
    for comparison in settings.splink.comparisons:
        scaled = {entry.partition("/")[2].strip() for entry in settings.priors.scale_u
                  if entry.partition("/")[0].strip() == comparison.output_column_name}
        us = prior_u(comparison, scaled, n_persons, settings.priors.reference_register_size)
        levels = []
        for level, u in zip(comparison.comparison_levels, us):
            spec = level.model_dump(exclude_none=True)
            if u is not None:
                spec["u_probability"] = u
            if level.sql_condition.strip().upper() != "ELSE":
                # sqlglot parses conditions only; ELSE is Splink's own keyword
                spec["base_dialect_str"] = BASE_DIALECT
            levels.append(spec)
        out.append({"output_column_name": comparison.output_column_name,
                    "comparison_description": comparison.comparison_description
                    or comparison.output_column_name,
                    "comparison_levels": levels})
    return out


def blocking_rule_dicts(settings: LinkageSettings) -> list[dict[str, Any]]:
    out = []
    for rule in settings.splink.blocking_rules_to_generate_predictions:
        spec: dict[str, Any] = {"blocking_rule": rule.blocking_rule,
                                "sql_dialect": rule.sql_dialect}
        if rule.arrays_to_explode:
            spec["arrays_to_explode"] = list(rule.arrays_to_explode)
        out.append(spec)
    return out


def prior_match_probability(settings: LinkageSettings, n_persons: int) -> float:
    """Probability that a random record-person pair is one person: each record has (with
    probability expected_link_rate) one person among n_persons."""
    return min(settings.expected_link_rate / max(n_persons, 1), 0.5)


def splink_settings(settings: LinkageSettings, n_persons: int) -> dict[str, Any]:
    """Splink's settings dict; dialect-free: the Linker picks the backend."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": UNIQUE_ID,
        "comparisons": comparison_dicts(settings, n_persons),
        "blocking_rules_to_generate_predictions": blocking_rule_dicts(settings),
        "probability_two_random_records_match": prior_match_probability(settings, n_persons),
        "max_iterations": settings.training.em_max_iterations,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def probability_to_weight(p: float) -> float:
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log2(p / (1 - p))
