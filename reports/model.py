"""From one run's OUT to the protected tables that the workbook and the report show.

`load_run` reads OUT (outputs.md). `protect_run` turns its exact numbers into cells with the
relations a reader can use between them and applies disclosure control to all of them at
once, so a number shown in two places (the MPG total of the city in the summary and under
the neighbourhood table) is treated the same everywhere. The `*_table` functions render
published values only: the exact numbers never leave this module.

The categories are those of the run (`RunData.categories`): the rules it recorded in
summary.json, in their order of precedence, with their labels and which are profiled. A
category's counts are the cells ("nb", code, "cat.NAME"), beside the neighbourhood's
family households and MPG total; a run of the previous version, whose rules have no
categories, has the default rule set's.

The prevalence estimate (summary.json "estimate", when the run has one): the families on at
least one capture list ("est", "observed") and the list table ("capture", pattern) are
counts like any other, protected in the same pass with their relations to the categories;
the estimates themselves are model outcomes, published rounded by `estimate_view`, which
also checks that they single out no kept-back count.
"""
from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from mpg.pipeline import mse
from mpg.pipeline.config import AGENCY_LIST_PREFIX, Category, Rules, load_rules
from mpg.pipeline.errors import MpgError, UsageError
from mpg.reports.disclosure import (DisclosureError, Protection, Relation, Status, alternatives,
                                display_count, is_small, protect, round_estimate, share)
from mpg.reports.labels import Labels, agency_name

Key = Hashable
CITY = "__city__"  # the total row of a table
UNKNOWN = "__unknown__"  # what a breakdown misses of its total (no neighbourhood, ...)
HOUSEHOLD_TYPES = ("single_parent", "two_adults", "more_adults")
LINES = ("anonymous_zorgnetwerk", "unlinked_records", "no_family_household", "outside_window")


class OutError(MpgError):
    """OUT is missing or does not hold what outputs.md describes."""


def cat_key(category: Category | str) -> str:
    """The id of a category's count: in cell keys ("nb", code, cat_key) and as the column of
    a table. Prefixed, so that no category name can be taken for another column."""
    return f"cat.{category if isinstance(category, str) else category.name}"


@functools.lru_cache(maxsize=1)
def _default_categories() -> tuple[Category, ...]:
    return load_rules().categories


def run_categories(summary: dict[str, Any]) -> tuple[Category, ...]:
    """The categories a run was counted with, in order of precedence: those of the rules it
    recorded in summary.json. A run of the previous version recorded rules without
    categories (its three were code): the default rule set's, with that run's min_agencies
    and precedence."""
    rules = summary.get("rules")
    rules = rules if isinstance(rules, dict) else {}
    recorded = rules.get("categories")
    if recorded is None:
        categories = _previous_version_categories(rules)
    else:
        try:
            categories = tuple(Category.model_validate(c) for c in recorded)
        except (ValidationError, TypeError) as exc:
            raise OutError(f"summary.json: the categories of the rules are not readable "
                           f"({exc})") from None
    names = [c.name for c in categories]
    if not names or len(set(names)) != len(names):
        raise OutError("summary.json: the rules name no categories, or one twice")
    unknown = [n for n in summary.get("by_category") or {} if n not in names]
    if unknown:
        raise OutError(f"summary.json: by_category counts {', '.join(map(str, unknown))}, "
                       "which the rules of the run do not describe")
    return categories


def _previous_version_categories(rules: dict[str, Any]) -> tuple[Category, ...]:
    categories = _default_categories()
    old = rules.get("min_agencies")
    if isinstance(old, int) and not isinstance(old, bool) and old >= 1:
        categories = tuple(c.model_copy(update={"min_agencies": old})
                           if c.min_agencies is not None else c for c in categories)
    precedence = rules.get("precedence")
    if (isinstance(precedence, list)
            and sorted(map(str, precedence)) == sorted(c.name for c in categories)):
        categories = tuple(sorted(categories, key=lambda c: precedence.index(c.name)))
    return categories


def union_categories(runs: Iterable["RunData"]) -> tuple[Category, ...]:
    """Every category of the runs, in the first run's order; a category the first run does
    not have follows, as the next run that has it describes it."""
    seen: dict[str, Category] = {}
    for run in runs:
        for category in run.categories:
            seen.setdefault(category.name, category)
    return tuple(seen.values())


# --------------------------------------------------------------------------- reading OUT
@dataclass
class RunData:
    out_dir: Path
    summary: dict[str, Any]
    neighbourhoods: pd.DataFrame
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def run(self) -> str:
        return str(self.summary["run"])

    @property
    def reference_date(self) -> str:
        return str(self.summary["reference_date"])

    @functools.cached_property
    def categories(self) -> tuple[Category, ...]:
        return run_categories(self.summary)

    @property
    def profiled(self) -> tuple[Category, ...]:
        """The categories whose families the profile describes."""
        return tuple(c for c in self.categories if c.profiled)

    @property
    def by_agencies(self) -> tuple[Category, ...]:
        """The categories with a min_agencies clause: agency_combinations breaks them down."""
        return tuple(c for c in self.categories if c.min_agencies is not None)

    @property
    def nb_counts(self) -> dict[str, str]:
        """The counts of a neighbourhood: cell id -> its column in neighbourhoods.csv."""
        return {"family_households": "family_households",
                **{cat_key(c): c.column for c in self.categories}, "mpg_total": "mpg_total"}

    def households(self) -> pd.DataFrame:
        path = self.out_dir / "households.parquet"
        if not path.is_file():
            raise OutError(f"{self.out_dir} has no households.parquet; it is written by "
                           "`mpg run` and needed to follow households between counts")
        return pd.read_parquet(path)


def load_run(out_dir: str | Path) -> RunData:
    out_dir = Path(out_dir)
    summary_path = out_dir / "summary.json"
    if not summary_path.is_file():
        raise UsageError(f"{out_dir} is not the output folder of a run (no summary.json); "
                         "give the folder that `mpg run --out` wrote")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        neighbourhoods = pd.read_csv(out_dir / "neighbourhoods.csv",
                                     dtype={"neighbourhood_code": str, "neighbourhood_name": str},
                                     keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise OutError(f"{out_dir} cannot be read as the output of a run: {exc}") from None
    run_info: dict[str, Any] = {}
    if (out_dir / "run.json").is_file():
        try:
            run_info = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        except ValueError:
            run_info = {}  # run.json is informative only: the version shown in the method
    run = RunData(out_dir, summary, neighbourhoods, run_info)
    run.categories  # noqa: B018 - a summary.json whose categories cannot be read stops here
    missing = [c for c in ("neighbourhood_code", *run.nb_counts.values())
               if c not in neighbourhoods]
    if missing:
        raise OutError(f"{out_dir / 'neighbourhoods.csv'} lacks the column(s) {missing}")
    return run


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Settings:
    """What the publication needs of the rule set."""

    min_cell: int
    rounding_base: int
    rules: dict[str, Any]  # the rule set the count was made with (for the method text)


def resolve_settings(run: RunData, rules: Rules | str | Path | None = None) -> Settings:
    """Disclosure settings from `rules` when given (an analyst may publish more strictly),
    else from the rule set the run recorded in summary.json, else the default rule set."""
    recorded = run.summary.get("rules")
    if isinstance(rules, (str, Path)):
        rules = load_rules(rules)
    if rules is not None:
        chosen = rules.model_dump(mode="json")
    elif isinstance(recorded, dict) and "min_cell" in recorded:
        chosen = recorded
    else:
        chosen = load_rules().model_dump(mode="json")
    count_rules = recorded if isinstance(recorded, dict) else chosen
    return Settings(int(chosen.get("min_cell", 5)), int(chosen.get("rounding_base", 0)),
                    count_rules)


# --------------------------------------------------------------------------- cells
class Cells:
    """Exact counts plus the relations between them, before protection."""

    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.relations: list[Relation] = []
        self.hidden: set[Key] = set()
        self.keep: set[Key] = set()

    def add(self, key: Key, value: Any, *, hidden: bool = False, keep: bool = False) -> Key:
        value = int(value)
        if key in self.values and self.values[key] != value:
            raise OutError(f"two different numbers for {key!r}: {self.values[key]} and {value}")
        self.values[key] = value
        if hidden:
            self.hidden.add(key)
        if keep:
            self.keep.add(key)
        return key

    def total(self, total: Key, parts: Iterable[Key], weights: Iterable[int] | None = None) -> None:
        self.relations.append(Relation.total(total, parts, weights))

    def without(self, groups: Iterable[str]) -> "Cells":
        """These cells minus the groups (first part of the key) that are not published."""
        groups = set(groups)
        out = Cells()
        out.values = {k: v for k, v in self.values.items() if k[0] not in groups}
        out.relations = [r for r in self.relations if all(k[0] not in groups for k in r.cells)]
        out.hidden = {k for k in self.hidden if k in out.values}
        out.keep = {k for k in self.keep if k in out.values}
        return out


def _residual(what: str, total: int, parts: dict[str, int]) -> dict[str, int]:
    """The parts of a breakdown, plus an "unknown" part for what they miss of the total."""
    missing = total - sum(parts.values())
    if missing < 0:
        raise OutError(f"summary.json: the {what} add up to {sum(parts.values())}, more than "
                       f"their total {total}")
    return {**parts, UNKNOWN: missing} if missing else dict(parts)


def run_cells(run: RunData) -> Cells:
    """Every count the publication shows of one run, with the relations between them."""
    s = run.summary
    cells = Cells()
    nb = run.neighbourhoods
    counts = run.nb_counts  # cell id -> column of neighbourhoods.csv
    by_category = {c.name: int(s["by_category"].get(c.name, 0)) for c in run.categories}
    city = {"family_households": int(s["family_households"]), "mpg_total": int(s["mpg_total"]),
            **{cat_key(c): n for c, n in by_category.items()}}
    columns = list(nb.columns)
    rows = {str(r[columns.index("neighbourhood_code")]):
            {c: int(r[columns.index(col)]) for c, col in counts.items()}
            for r in nb.itertuples(index=False, name=None)}
    # Households without a neighbourhood code (if any) still belong to the city totals.
    unknown = {c: city[c] - sum(r[c] for r in rows.values()) for c in counts}
    if any(v < 0 for v in unknown.values()):
        raise OutError(f"{run.out_dir}: neighbourhoods.csv adds up to more than summary.json")
    if any(unknown.values()):
        rows[UNKNOWN] = unknown
    for code, row in {**rows, CITY: city}.items():
        for c in counts:
            cells.add(("nb", code, c), row[c], keep=code == CITY)
        # Families that are not MPG are not shown, but a reader can subtract.
        cells.add(("nb", code, "other_families"), row["family_households"] - row["mpg_total"],
                  hidden=True)
        cells.total(("nb", code, "mpg_total"),
                    [("nb", code, cat_key(c)) for c in run.categories])
        cells.total(("nb", code, "family_households"),
                    [("nb", code, "mpg_total"), ("nb", code, "other_families")])
    for c in (*counts, "other_families"):
        cells.total(("nb", CITY, c), [("nb", code, c) for code in rows])

    # The profile describes the profiled categories (BIB and MULTI_AGENCY by default) together.
    profiled = [cat_key(c) for c in run.profiled]
    base = cells.add(("profile", "base"), sum(city[c] for c in profiled), keep=True)
    cells.total(base, [("nb", CITY, c) for c in profiled])
    types = _residual("household types", cells.values[base],
                      {t: int(s["household_types"].get(t, 0)) for t in HOUSEHOLD_TYPES})
    cells.total(base, [cells.add(("types", t), n) for t, n in types.items()])

    per_household = {int(k): int(v) for k, v in s["children"]["per_household"].items()}
    per_household = dict(sorted(per_household.items()))
    if sum(per_household.values()) != cells.values[base]:
        raise OutError("summary.json: children.per_household does not add up to the "
                       "households of the profiled categories "
                       f"({', '.join(c.name for c in run.profiled)})")
    if sum(k * n for k, n in per_household.items()) != int(s["children"]["total"]):
        raise OutError("summary.json: children.total differs from children.per_household")
    keys = [cells.add(("children", k), n) for k, n in per_household.items()]
    cells.total(base, keys)
    cells.total(cells.add(("children", "total"), s["children"]["total"], keep=True), keys,
                list(per_household))

    on_bijstand = int(s["bijstand_households"])
    cells.total(base, [cells.add(("bijstand", "yes"), on_bijstand),
                       cells.add(("bijstand", "no"), cells.values[base] - on_bijstand)])

    for role, scopes in (s.get("origin") or {}).items():
        counted = {str(k): int(v) for k, v in scopes.get("counted", {}).items()}
        city_o = {str(k): int(v) for k, v in scopes.get("city", {}).items()}
        codes = sorted(set(counted) | set(city_o), key=lambda c: (-city_o.get(c, 0), c))
        for code in codes:
            a = cells.add(("origin", role, code, "counted"), counted.get(code, 0))
            b = cells.add(("origin", role, code, "city"), city_o.get(code, 0))
            rest = city_o.get(code, 0) - counted.get(code, 0)
            if rest >= 0:  # the counted parents are among the city's parents
                cells.total(b, [a, cells.add(("origin", role, code, "rest"), rest, hidden=True)])
        for scope, numbers in (("counted", counted), ("city", city_o)):
            total = cells.add(("origin", role, CITY, scope), sum(numbers.values()), keep=True)
            cells.total(total, [("origin", role, code, scope) for code in codes])

    # agency_combinations breaks down the households of the categories with min_agencies
    # (MULTI_AGENCY by default); with several, their sum is a cell of its own.
    if run.by_agencies:
        total = combinations_total(run)
        if total[0] == "comb":
            cells.add(total, sum(city[cat_key(c)] for c in run.by_agencies), keep=True)
            cells.total(total, [("nb", CITY, cat_key(c)) for c in run.by_agencies])
        combinations = _residual("agency combinations", cells.values[total],
                                 {str(k): int(v) for k, v in s["agency_combinations"].items()
                                  if int(v)})
        cells.total(total, [cells.add(("comb", k), n) for k, n in combinations.items()])

    # zorgnetwerk_identified (outputs.md) is what the category ZORGNETWERK qualifies: its
    # count plus those counted in a category before it.
    identified = cells.add(("line", "zorgnetwerk_identified"), s["zorgnetwerk_identified"])
    if "ZORGNETWERK" in by_category:
        zorgnetwerk = ("nb", CITY, cat_key("ZORGNETWERK"))
        overlap = int(s["zorgnetwerk_identified"]) - by_category["ZORGNETWERK"]
        if not _before(run, "ZORGNETWERK"):
            if overlap == 0:  # nothing comes first: every one is counted as ZORGNETWERK
                cells.total(identified, [zorgnetwerk])
        elif overlap >= 0:
            cells.total(identified, [zorgnetwerk,
                                     cells.add(("line", "zorgnetwerk_overlap"), overlap)])
    cells.add(("line", "bib_without_children"), s["bib_without_children"])
    for line in LINES:
        cells.add(("line", line), s["not_counted"].get(line, 0))
    cells.add(("line", "rejects"), s.get("rejects", 0))
    _estimate_cells(run, cells)
    return cells


def _before(run: RunData, name: str) -> tuple[Category, ...]:
    """The categories that come before `name` in the order of precedence."""
    names = [c.name for c in run.categories]
    return run.categories[:names.index(name)] if name in names else ()


def combinations_total(run: RunData) -> Key:
    """The cell that agency_combinations adds up to: the count of the one category with
    min_agencies, or the sum of several."""
    if len(run.by_agencies) == 1:
        return ("nb", CITY, cat_key(run.by_agencies[0]))
    return ("comb", CITY)


@dataclass
class PublishedRun:
    """One run after disclosure control: what may be shown of each cell."""

    run: RunData
    settings: Settings
    cells: Cells
    protection: Protection
    withheld: frozenset[str] = frozenset()  # cell groups left out to protect the rest
    full: Cells | None = None  # every cell and relation, also of the groups left out

    def has(self, key: Key) -> bool:
        return key in self.cells.values

    def status(self, key: Key) -> Status:
        return self.protection.status[key]

    def count(self, key: Key) -> int | str:
        """The published value: a (rounded) count, "<5" or "x"."""
        return display_count(self.cells.values[key], self.status(key), self.settings.min_cell,
                             self.settings.rounding_base)


# When a small city's tables cannot all be protected (three agency combinations of one
# family each pin the multi-agency count of the only neighbourhood that has any), the most
# detailed tables are withheld, one step at a time, rather than publishing nothing.
WITHHOLD_STEPS = ((), ("capture",), ("comb",), ("children",), ("types",),
                  ("bijstand", "profile"), ("origin",), ("line",))


def protect_run(run: RunData, settings: Settings) -> PublishedRun:
    try:
        cells = run_cells(run)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OutError(f"{run.out_dir / 'summary.json'} does not hold what outputs.md "
                       f"describes ({type(exc).__name__}: {exc})") from None
    withheld: tuple[str, ...] = ()
    for step in WITHHOLD_STEPS:
        withheld += step
        kept = cells.without(withheld)
        try:
            protection = protect(kept.values, kept.relations, settings.min_cell,
                                 hidden=kept.hidden, keep=kept.keep)
        except DisclosureError:
            continue
        if CAPTURE not in withheld and any(k[0] == CAPTURE for k in kept.values):
            kept, protection, withheld = _list_table_costs_nothing(kept, protection, withheld,
                                                                   settings)
        return PublishedRun(run, settings, kept, protection, frozenset(withheld), cells)
    raise DisclosureError(f"run {run.run}: even the neighbourhood table alone cannot be "
                          "protected; nothing was published")


def _list_table_costs_nothing(kept: Cells, protection: Protection, withheld: tuple[str, ...],
                              settings: Settings) -> tuple[Cells, Protection, tuple[str, ...]]:
    """The estimate's list table is the least of the publication: when showing it would
    keep back a number elsewhere that is shown without it, it is left out instead."""
    plain = kept.without((CAPTURE,))
    try:
        without = protect(plain.values, plain.relations, settings.min_cell,
                          hidden=plain.hidden, keep=plain.keep)
    except DisclosureError:
        return kept, protection, withheld
    if any(protection.status[k] is not Status.SHOWN and without.status[k] is Status.SHOWN
           for k in plain.values):
        return plain, without, withheld + (CAPTURE,)
    return kept, protection, withheld


# --------------------------------------------------------------------------- the estimate
EST = "est"  # ("est", "observed"): the families on at least one capture list
CAPTURE = "capture"  # ("capture", pattern): the list table, one cell per combination
ALL_COMBINATIONS = 4  # up to this many lists the list table shows every combination


def estimate_section(run: RunData) -> dict[str, Any] | None:
    """summary.json's "estimate"; None when the run has none (made by an earlier version,
    or with the estimate switched off in the rules)."""
    est = run.summary.get("estimate")
    return est if isinstance(est, dict) else None


def list_table(est: dict[str, Any]) -> tuple[tuple[str, ...], dict[tuple[int, ...], int]]:
    """The capture lists and the observed list table: pattern (one 0/1 per list) -> count."""
    lists = tuple(str(name) for name in est["lists"])
    counts: dict[tuple[int, ...], int] = {}
    for row in est.get("table") or []:
        pattern = tuple(int(row[name]) for name in lists)
        counts[pattern] = counts.get(pattern, 0) + int(row["count"])
    return lists, counts


def list_patterns(k: int, counts: dict[tuple[int, ...], int]) -> list[tuple[int, ...]]:
    """The rows of the list table: every combination of up to ALL_COMBINATIONS lists (a 0
    is shown as one), else those with anyone on them; one list first, then two, ..."""
    if k <= ALL_COMBINATIONS:
        patterns = [p for p in itertools.product((1, 0), repeat=k) if any(p)]
    else:
        patterns = [p for p, n in counts.items() if n]
    return sorted(patterns, key=lambda p: (sum(p), tuple(-v for v in p)))


def _estimate_cells(run: RunData, cells: Cells) -> None:
    """The observed count and the list table as cells, with every relation a reader can
    use: they add up to the observed count; with the categories as lists, a category's
    count is the families on its list and on none before it in precedence, the MPG total
    is the observed count, and the ZORGNETWERK list is the identified care-network reports.
    A relation is added only where the numbers of the run satisfy it. Nothing when the run
    has no estimate, or an error instead of one (the section then shows no number)."""
    est = estimate_section(run)
    if est is None or "error" in est:
        return
    lists, counts = list_table(est)
    observed = int(est["observed"])
    if observed != sum(counts.values()):
        raise OutError("summary.json: estimate.table does not add up to estimate.observed")
    obs = cells.add((EST, "observed"), observed, keep=True)
    patterns = list_patterns(len(lists), counts)
    keys = {p: cells.add((CAPTURE, p), counts.get(p, 0)) for p in patterns}
    cells.total(obs, list(keys.values()))
    position = {name: i for i, name in enumerate(lists)}

    def relate(total: Key, parts: list[Key]) -> None:
        if total in cells.values and cells.values[total] == sum(cells.values[k] for k in parts):
            cells.total(total, parts)

    earlier: list[int] = []
    for category in run.categories:  # in order of precedence
        if category.name not in position:
            break
        i = position[category.name]
        relate(("nb", CITY, cat_key(category)),
               [keys[p] for p in patterns if p[i] and not any(p[j] for j in earlier)])
        earlier.append(i)
    if set(lists) == {c.name for c in run.categories}:
        relate(("nb", CITY, "mpg_total"), [obs])
    if "ZORGNETWERK" in position:
        i = position["ZORGNETWERK"]
        relate(("line", "zorgnetwerk_identified"), [keys[p] for p in patterns if p[i]])


@dataclass
class SensitivityRow:
    left_out: str
    total: int | str | None = None
    low: int | str | None = None
    high: int | str | None = None
    error: str | None = None


@dataclass
class EstimateView:
    """What the publication shows of the estimate: published values only (rounded
    estimates, protected counts); None where a figure is not shown."""

    lists: tuple[str, ...]
    error: str | None = None  # why no estimate exists (then nothing else is shown)
    observed: int | str | None = None
    total: int | str | None = None
    ci80: tuple[Any, Any] = (None, None)
    ci95: tuple[Any, Any] = (None, None)
    unseen: int | str | None = None
    ratio: float | None = None  # unseen / observed, from the published values
    linkage_count: tuple[Any, Any] | None = None  # the count under linkage alone
    sensitivity: list[SensitivityRow] | None = None
    withheld: tuple[str, ...] = ()  # "unseen", "sensitivity", "estimate", "old_run"
    flags: tuple[tuple[str, dict[str, Any]], ...] = ()  # signs not to trust it, with fields
    intervals: str = "all"  # "all" | "no_linkage_off" | "no_linkage_certain" | "none"
    stratified_by: Any = None
    list_table_shown: bool = True


@dataclass(frozen=True)
class _Plan:
    """Which estimate figures are published. The number unseen and the ratio follow from
    the published total and count (no figure of their own for the audit); they need the
    count shown."""

    total: bool
    unseen: bool
    sensitivity: bool


@dataclass(frozen=True)
class _Reader:
    """What a reader needs to redo an estimate from a list table (the rules' defaults and
    the run's recorded settings)."""

    lists: tuple[str, ...]
    criterion: str
    bootstrap: int
    seed: int
    total: bool  # the total follows from the whole-city table (no strata)


AUDIT_ESTIMATES = 60  # candidate tables estimated at most, per plan
AUDIT_BOOTSTRAPS = 6  # of which with the bootstrap (intervals) at most


def _r1(x: Any) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 1)


def _shown(x: Any, settings: Settings, direction: str = "nearest") -> int | str | None:
    return round_estimate(None if x is None else float(x), settings.min_cell,
                          settings.rounding_base, direction)


def _interval(pair: Any, settings: Settings) -> tuple[Any, Any]:
    lo, hi = (list(pair) + [None, None])[:2] if isinstance(pair, (list, tuple)) else (None, None)
    return _shown(lo, settings, "down"), _shown(hi, settings, "up")


def _published(est: dict[str, Any], plan: _Plan, settings: Settings) -> dict[str, Any]:
    """The estimate figures a plan publishes, as published."""
    out: dict[str, Any] = {}
    if plan.total:
        out["total"] = _shown(est.get("total"), settings)
        for level in ("80", "95"):
            out[f"ci{level}_low"], out[f"ci{level}_high"] = _interval(est.get(f"ci{level}"),
                                                                      settings)
    if plan.sensitivity:
        rows = []
        for entry in est.get("sensitivity") or []:
            if "error" in entry:
                rows.append((str(entry["left_out"]), "error"))
            else:
                rows.append((str(entry["left_out"]), _shown(entry.get("total"), settings),
                             *_interval(entry.get("profile_ci95"), settings)))
        out["sensitivity"] = tuple(rows)
    return out


class _Redo:
    """The figures a reader gets from a list table (only those a reader can redo: not the
    total of a stratified estimate), each table estimated once."""

    def __init__(self, reader: _Reader, settings: Settings) -> None:
        self.reader, self.settings = reader, settings
        self.cache: dict[tuple, Any] = {}

    def _table(self, counts: dict[tuple[int, ...], int]) -> mse.ListTable:
        return mse.ListTable(self.reader.lists, {p: n for p, n in counts.items() if n})

    def total(self, counts: dict[tuple[int, ...], int], intervals: bool) -> dict[str, Any]:
        key = ("total", intervals, tuple(sorted(counts.items())))
        if key not in self.cache:
            reader, settings = self.reader, self.settings
            try:
                result = mse.estimate(self._table(counts), criterion=reader.criterion,
                                      bootstrap=reader.bootstrap if intervals else 0,
                                      seed=reader.seed, levels=(0.80, 0.95))
            except mse.EstimateError:
                out: dict[str, Any] = {"total": "error"}
            else:
                out = {"total": _shown(_r1(result.total), settings)}
                if intervals:
                    for level, lv in (("80", 0.80), ("95", 0.95)):
                        out[f"ci{level}_low"], out[f"ci{level}_high"] = _interval(
                            [_r1(x) for x in result.ci[lv]], settings)
            self.cache[key] = out
        return self.cache[key]

    def sensitivity(self, counts: dict[tuple[int, ...], int]) -> dict[str, Any]:
        key = ("sensitivity", tuple(sorted(counts.items())))
        if key not in self.cache:
            table, rows = self._table(counts), []
            for i, name in enumerate(self.reader.lists):
                try:
                    result = mse.estimate(table.without(i), criterion=self.reader.criterion,
                                          bootstrap=0, levels=(0.95,))
                except mse.EstimateError:
                    rows.append((name, "error"))
                    continue
                rows.append((name, _shown(_r1(result.total), self.settings),
                             *_interval([_r1(x) for x in result.profile_ci[0.95]],
                                        self.settings)))
            self.cache[key] = {"sensitivity": tuple(rows)}
        return self.cache[key]

    def figures(self, counts: dict[tuple[int, ...], int], plan: _Plan,
                intervals: Iterable[str] | bool = ()) -> dict[str, Any]:
        """The figures of `plan`; of the interval limits those named in `intervals`
        (True: all four)."""
        out: dict[str, Any] = {}
        if plan.total and self.reader.total:
            limits = self.total(counts, bool(intervals))
            out["total"] = limits["total"]
            if intervals is True:
                intervals = INTERVAL_LIMITS
            out.update({k: v for k, v in limits.items() if k in (intervals or ())})
        if plan.sensitivity:
            out.update(self.sensitivity(counts))
        return out


INTERVAL_LIMITS = ("ci80_low", "ci80_high", "ci95_low", "ci95_high")


def _agrees(redone: dict[str, Any], published: dict[str, Any]) -> bool:
    return all(published.get(k) == v for k, v in redone.items())


def _audit(pub: PublishedRun, est: dict[str, Any], plan: _Plan, redo: _Redo) -> bool:
    """Can the figures of `plan` be published? Every estimate is a function of the list
    table; where a cell of it is kept back (or the table left out), a reader could try each
    table the published counts allow and keep those that give the published figures (a
    two-list estimate n1 * n2 / m gives the overlap m back almost exactly). The figures may
    be published when, for every small count the list table touches, some table the reader
    cannot rule out gives the very same figures with that count at another value. The
    search is bounded (AUDIT_*); when it runs out, the answer is no."""
    settings = pub.settings
    full = pub.full or pub.cells
    status = pub.protection.status
    hidden = set(pub.cells.hidden) | {k for k in full.values if k not in pub.cells.values}

    def unknown(k: Key) -> bool:
        return k in hidden or status.get(k, Status.SHOWN) is not Status.SHOWN

    capture = [k for k in full.values if k[0] == CAPTURE]
    start = [k for k in capture + [(EST, "observed")] if k in full.values and unknown(k)]
    if not start:
        return True  # every figure follows from shown counts: nothing new to learn
    by_cell: dict[Key, list[Relation]] = {}
    for rel in full.relations:
        for k in rel.cells:
            by_cell.setdefault(k, []).append(rel)
    component, queue = set(start), list(start)
    while queue:
        for rel in by_cell.get(queue.pop(), ()):
            for k in rel.cells:
                if k not in component and unknown(k):
                    component.add(k)
                    queue.append(k)
    relations = [r for r in full.relations if any(k in component for k in r.cells)]
    involved = component | {k for r in relations for k in r.cells}
    values = {k: v for k, v in full.values.items() if k in involved}
    targets = [k for k in values if k in component and is_small(values[k], settings.min_cell)]
    if not targets:
        return True
    truth = {k[1]: full.values[k] for k in capture}
    published = _published(est, plan, settings)
    if not _agrees(redo.figures(truth, plan), published):
        return False  # the figures cannot be redone here: publish none rather than guess
    reader = redo.reader
    # An interval limit counts when a reader can redo it: no strata, and the run's linkage
    # draws did not move it beyond the rounding (else the bootstrap of no table gives it).
    intervals: tuple[str, ...] | None = (
        None if plan.total and reader.total and reader.bootstrap > 0 else ())
    estimates, bootstraps = AUDIT_ESTIMATES, AUDIT_BOOTSTRAPS
    near = [k for k in capture if k in component]
    for target in targets:
        for assignment in alternatives(values, relations, status, settings.min_cell, target,
                                       near, hidden=hidden & set(values)):
            counts = {k[1]: assignment.get(k, full.values[k]) for k in capture}
            if counts == truth:
                break  # the list table stays as it is: so do the figures
            estimates -= 1
            if estimates < 0:
                return False
            if not _agrees(redo.figures(counts, plan), published):
                continue
            if intervals is None:
                redone = redo.figures(truth, plan, True)
                intervals = tuple(k for k in INTERVAL_LIMITS if redone.get(k) == published[k])
            if intervals:
                bootstraps -= 1
                if bootstraps < 0:
                    return False
                if not _agrees(redo.figures(counts, plan, intervals), published):
                    continue
            break
        else:
            return False
    return True


def estimate_view(pub: PublishedRun) -> EstimateView | None:
    """The estimate as published (None: the run has no estimate). Of the figures, the
    sensitivity table is left out first, then the estimate itself, until `_audit` finds
    that what is left singles out no kept-back count."""
    est = estimate_section(pub.run)
    if est is None:
        return None
    lists = tuple(str(x) for x in est.get("lists") or ())
    if "error" in est:
        return EstimateView(lists, error=str(est["error"]))
    settings = pub.settings
    observed_key = (EST, "observed")
    observed = pub.count(observed_key)
    observed_shown = pub.status(observed_key) is Status.SHOWN
    rules_estimate = (settings.rules.get("estimate") or {}) if isinstance(settings.rules,
                                                                       dict) else {}
    reader = _Reader(lists, str(est.get("criterion_requested")
                                or rules_estimate.get("criterion") or "auto"),
                     int(est.get("bootstrap_replicates") or 0), int(est.get("seed") or 0),
                     est.get("strata") is None and est.get("stratified_by") is None)
    has_sensitivity = isinstance(est.get("sensitivity"), list)
    plans = [_Plan(True, observed_shown, has_sensitivity)]
    if has_sensitivity:
        plans.append(_Plan(True, observed_shown, False))
    plans.append(_Plan(False, False, False))
    redo = _Redo(reader, settings)
    plan = next(p for p in plans if not p.total or _audit(pub, est, p, redo))
    withheld = []
    if not has_sensitivity:
        withheld.append("old_run")
    elif not plan.sensitivity:
        withheld.append("sensitivity")
    if not plan.total:
        withheld.append("estimate")
    elif not plan.unseen:
        withheld.append("unseen")
    view = EstimateView(lists, observed=observed, withheld=tuple(withheld),
                        stratified_by=est.get("stratified_by"),
                        list_table_shown=CAPTURE not in pub.withheld)
    linkage = est.get("linkage") or {}
    bootstrap = int(est.get("bootstrap_replicates") or 0)
    if not bootstrap:
        view.intervals = "none"
    elif not int(linkage.get("draws") or 0) or not int(linkage.get("records_drawn") or 0):
        view.intervals = ("no_linkage_off" if not int(linkage.get("draws") or 0)
                          and linkage.get("mpg_total") is None else "no_linkage_certain")
    if plan.total:
        view.total = _shown(est.get("total"), settings)
        view.ci80 = _interval(est.get("ci80"), settings)
        view.ci95 = _interval(est.get("ci95"), settings)
        if plan.unseen and isinstance(view.total, int) and isinstance(observed, int):
            # From the published total and count, so that it tells nothing they do not
            # (rounded on its own it would narrow the total down).
            # (A rounded total at or below the count: the number unseen is small.)
            view.unseen = _shown(max(view.total - observed, 0.5), settings)
            if observed:
                view.ratio = round(max(view.total - observed, 0) / observed, 1)
    count = linkage.get("mpg_total")
    if (observed_shown and isinstance(count, list) and len(count) == 2
            and None not in count
            and set(lists) == {c.name for c in pub.run.categories}):
        view.linkage_count = tuple(display_count(int(v), Status.SMALL if is_small(
            int(v), settings.min_cell) else Status.SHOWN, settings.min_cell,
            settings.rounding_base) for v in count)
    if plan.sensitivity:
        view.sensitivity = [
            SensitivityRow(str(e["left_out"]), error=str(e["error"])) if "error" in e
            else SensitivityRow(str(e["left_out"]), _shown(e.get("total"), settings),
                                *_interval(e.get("profile_ci95"), settings))
            for e in est["sensitivity"]]
    view.flags = tuple(_flags(view, est, pub.run))
    return view


SENSITIVE_CHANGE = 0.25  # a list left out moves the estimate by more than a quarter


def change(row: SensitivityRow, total: Any) -> float | None:
    """The change of the estimate with a list left out, from the published values."""
    if isinstance(row.total, int) and isinstance(total, int) and total:
        return row.total / total - 1
    return None


def _flags(view: EstimateView, est: dict[str, Any], run: RunData
           ) -> list[tuple[str, dict[str, Any]]]:
    """The signs not to trust the estimate that this run shows, from published values."""
    flags: list[tuple[str, dict[str, Any]]] = []
    if view.total is None:
        return flags
    lo, hi = view.ci95
    if lo is not None and hi is None and est.get("ci95", [None, None])[0] is not None:
        flags.append(("unbounded", {}))
    elif isinstance(lo, int) and isinstance(hi, int) and hi > 2 * lo:
        flags.append(("wide", {}))
    if est.get("warnings"):
        flags.append(("warnings", {"n": len(est["warnings"])}))
    if view.sensitivity:
        moved = [r.left_out for r in view.sensitivity
                 if r.error is None and (c := change(r, view.total)) is not None
                 and abs(c) > SENSITIVE_CHANGE]
        failed = [r.left_out for r in view.sensitivity if r.error is not None]
        if moved:
            flags.append(("sensitive", {"lists": moved}))
        if failed and len(view.lists) > 2:
            flags.append(("no_estimate_without", {"lists": failed}))
    lists, counts = list_table(est)
    pairs = [(lists[i], lists[j]) for i, j in itertools.combinations(range(len(lists)), 2)
             if not any(n for p, n in counts.items() if p[i] and p[j])]
    if pairs:
        flags.append(("no_overlap", {"pairs": pairs}))
    return flags


def estimate_reason(text: str) -> str:
    """The kind of reason mse gives for no estimate (the key of its plain words)."""
    text = text or ""
    if "nobody is on two lists" in text:
        return "no_overlap"
    if "list has anyone on it" in text:
        return "one_list"
    if "needs at least two lists" in text:
        return "too_few_lists"
    if "no model gives an estimate" in text:
        return "no_model"
    if "counts nobody" in text:
        return "nobody"
    return "other"


def list_name(name: str, run: RunData, lab: Labels) -> str:
    """A capture list as the reader knows it: the category's short label, or the agency."""
    if name.startswith(AGENCY_LIST_PREFIX):
        return lab("est.agency_list", agency=agency_name(name.removeprefix(AGENCY_LIST_PREFIX)))
    for category in run.categories:
        if category.name == name:
            return lab.category_short(category)
    return name


def interval_text(pair: tuple[Any, Any], lab: Labels) -> str:
    """"90–150"; "90 – geen bovengrens"; "" when not computed."""
    lo, hi = pair
    if lo is None and hi is None:
        return ""
    text = lambda v: v if isinstance(v, str) else lab.number(v)  # noqa: E731
    if hi is None:
        return f"{text(lo)} \u2013 {lab('est.no_upper')}"
    return f"{text(lo)}\u2013{text(hi)}"


def estimate_tables(pub: PublishedRun, view: EstimateView, lab: Labels) -> list[Table]:
    """The figures, the estimate with each list left out, and the list table."""
    if view.error is not None:
        return []
    run = pub.run
    count_cols = [Column("value", lab("est.value")),
                  Column("ci80_low", lab("est.ci80_low")), Column("ci80_high", lab("est.ci80_high")),
                  Column("ci95_low", lab("est.ci95_low")), Column("ci95_high", lab("est.ci95_high"))]
    figures = Table("estimate", lab("est.figures_title"),
                    [Column("label", lab("est.figure"), "text"), *count_cols],
                    note=lab("est.figures_note"))
    status = pub.status((EST, "observed"))
    figures.add({"label": lab("est.observed"), "value": view.observed}, {"value": status})
    if view.linkage_count is not None:
        figures.add({"label": lab("est.linkage"), "ci95_low": view.linkage_count[0],
                     "ci95_high": view.linkage_count[1]})
    if "estimate" not in view.withheld:
        figures.add({"label": lab("est.total"), "value": view.total,
                     "ci80_low": view.ci80[0], "ci80_high": view.ci80[1],
                     "ci95_low": view.ci95[0], "ci95_high": view.ci95[1]})
        if view.unseen is not None:
            figures.add({"label": lab("est.unseen"), "value": view.unseen})
        if view.ratio is not None:
            figures.add({"label": lab("est.ratio"), "value": lab.number(view.ratio, 1)})
    tables = [figures]

    sens = Table("estimate_sensitivity", lab("est.sens_title"),
                 [Column("label", lab("est.left_out"), "text"),
                  Column("total", lab("est.sens_total")), Column("low", lab("est.sens_low")),
                  Column("high", lab("est.sens_high")),
                  Column("change", lab("est.sens_change"), "text"),
                  Column("remark", lab("est.sens_remark"), "text")],
                 note=lab("est.sens_note"))
    if view.sensitivity is not None:
        for row in view.sensitivity:
            values: dict[str, Any] = {"label": list_name(row.left_out, run, lab)}
            if row.error is not None:
                key = estimate_reason(row.error)
                values["remark"] = lab(f"est.sens_reason.{key}")
            else:
                c = change(row, view.total)
                values.update(total=row.total, low=row.low, high=row.high,
                              change="" if c is None else lab.signed_percent(c))
                if row.high is None and row.low is not None:
                    values["remark"] = lab("est.no_upper")
            sens.add(values)
        sens.add({"label": lab("est.sens_all"), "total": view.total})
        sens.totals = 1
        tables.append(sens)

    lists_tab = Table("estimate_lists", lab("est.lists_title"),
                      [Column("label", lab("est.lists_col"), "text"),
                       Column("n", lab("families"))],
                      note=lab("est.lists_note") + (
                          " " + lab("est.lists_note_zero") if len(view.lists) > ALL_COMBINATIONS
                          else ""))
    if CAPTURE in pub.withheld:
        lists_tab.withhold(lab)
    else:
        for key in [k for k in pub.cells.values if k[0] == CAPTURE]:
            names = [list_name(n, run, lab) for n, v in zip(view.lists, key[1]) if v]
            label = lab("est.only", name=names[0]) if len(names) == 1 else " + ".join(names)
            values, statuses = _counts(pub, {"n": key})
            lists_tab.add({"label": label, **values}, statuses)
        values, statuses = _counts(pub, {"n": (EST, "observed")})
        lists_tab.add({"label": lab("est.lists_total"), **values}, statuses)
        lists_tab.totals = 1
    tables.append(lists_tab)
    return tables


def estimate_paragraphs(pub: PublishedRun, view: EstimateView, lab: Labels
                        ) -> list[tuple[str, str]]:
    """The text of the section: (heading, text) pairs."""
    if view.error is not None:
        reason = lab(f"est.reason.{estimate_reason(view.error)}")
        return [("", lab("est.error", reason=reason))]
    run, settings = pub.run, pub.settings
    lines: list[tuple[str, str]] = []
    for key in view.withheld:
        lines.append(("", lab(f"est.withheld.{key}")))
    if "estimate" not in view.withheld:
        intervals = lab(f"est.intervals.{view.intervals}")
        if view.stratified_by is not None:
            intervals += " " + lab("est.intervals.strata", strata=_strata_words(view, lab))
        lines.append((lab("est.intervals"), intervals))
    stratum = _strata_words(view, lab) if view.stratified_by is not None else lab("est.city")
    lines.append((lab("est.assumptions"), lab("est.assumptions_text", stratum=stratum)))
    if "estimate" not in view.withheld:
        lines.append((lab("est.this_run"), _flags_text(view, run, lab)))
    small = max(5, settings.rounding_base)
    large = max(10, settings.rounding_base)
    lines.append((lab("est.rounding"), lab("est.rounding_text", small=small, large=large,
                                            min_cell=settings.min_cell)))
    return lines


def _strata_words(view: EstimateView, lab: Labels) -> str:
    if view.stratified_by == "household_type":
        return lab("est.stratum.household_type")
    return lab("est.stratum.neighbourhoods")


def _flags_text(view: EstimateView, run: RunData, lab: Labels) -> str:
    if not view.flags:
        return lab("est.flags_none")
    parts = []
    for key, fields in view.flags:
        if key in ("sensitive", "no_estimate_without"):
            fields = {"lists": lab.join([list_name(n, run, lab) for n in fields["lists"]], "or")}
        elif key == "no_overlap":
            fields = {"pairs": lab.join([lab("est.pair", a=list_name(a, run, lab),
                                             b=list_name(b, run, lab))
                                         for a, b in fields["pairs"]])}
        elif key == "warnings":
            fields = {}
        parts.append(lab(f"est.flag.{key}", **fields))
    text = "; ".join(parts)
    return lab("est.flags", flags=text[:1].upper() + text[1:])


# --------------------------------------------------------------------------- tables
@dataclass
class Column:
    id: str
    label: str
    kind: str = "count"  # text | count | share | index | change


@dataclass
class Table:
    """A published table: display values only, plus the status of each count cell."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Status]] = field(default_factory=list)
    totals: int = 0  # the last `totals` rows are totals (set apart, never sorted)
    note: str = ""
    withheld: bool = False  # left out as a whole to protect the other tables

    def withhold(self, lab: Labels) -> "Table":
        self.rows, self.statuses, self.totals = [], [], 0
        self.withheld, self.note = True, lab("withheld")
        return self

    def add(self, values: dict[str, Any], statuses: dict[str, Status] | None = None) -> None:
        self.rows.append(values)
        self.statuses.append(statuses or {})


def _counts(pub: PublishedRun, keys: dict[str, Key]) -> tuple[dict[str, Any], dict[str, Status]]:
    values, statuses = {}, {}
    for col, key in keys.items():
        values[col] = pub.count(key)
        statuses[col] = pub.status(key)
    return values, statuses


def category_table(pub: PublishedRun, lab: Labels) -> Table:
    table = Table("count", lab("count_heading"),
                  [Column("label", lab("category"), "text"), Column("n", lab("households"))])
    for category in pub.run.categories:
        values, statuses = _counts(pub, {"n": ("nb", CITY, cat_key(category))})
        table.add({"label": lab.category(category), **values}, statuses)
    values, statuses = _counts(pub, {"n": ("nb", CITY, "mpg_total")})
    table.add({"label": lab("mpg_total"), **values}, statuses)
    values, statuses = _counts(pub, {"n": ("nb", CITY, "family_households")})
    table.add({"label": lab("family_households_city"), **values}, statuses)
    table.totals = 2
    return table


def lines_table(pub: PublishedRun, lab: Labels) -> Table:
    table = Table("lines", lab("other_lines"),
                  [Column("label", lab("line"), "text"), Column("n", lab("number"))])
    keys = ["zorgnetwerk_identified", "zorgnetwerk_overlap", "anonymous_zorgnetwerk",
            "bib_without_children", "unlinked_records", "no_family_household", "outside_window",
            "rejects"]
    if "line" in pub.withheld:
        return table.withhold(lab)
    for line in keys:
        if pub.has(("line", line)):
            values, statuses = _counts(pub, {"n": ("line", line)})
            label = overlap_label(pub.run, lab) if line == "zorgnetwerk_overlap" else lab(line)
            table.add({"label": label, **values}, statuses)
    return table


def overlap_label(run: RunData, lab: Labels) -> str:
    """"of whom already BIB or known at several agencies": named after the categories that
    come before ZORGNETWERK (the contract's words when those are BIB and MULTI_AGENCY)."""
    before = _before(run, "ZORGNETWERK")
    if [c.name for c in before] == ["BIB", "MULTI_AGENCY"]:
        return lab("zorgnetwerk_overlap")
    return lab("zorgnetwerk_overlap_of",
               categories=lab.join([lab.category_short(c) for c in before], "or"))


def neighbourhood_table(pub: PublishedRun, lab: Labels) -> Table:
    columns = [Column("code", lab("nb.code"), "text"), Column("name", lab("nb.name"), "text"),
               Column("family_households", lab("nb.family_households")),
               *[Column(cat_key(c), lab.category_short(c)) for c in pub.run.categories],
               Column("mpg_total", lab("mpg_short")),
               Column("share_families", lab("nb.share_families"), "share"),
               Column("share_mpg", lab("nb.share_mpg"), "share"),
               Column("index", lab("nb.index"), "index")]
    table = Table("neighbourhoods", lab("nb.title"), columns, note=lab("nb.index_note"))
    names = dict(zip(pub.run.neighbourhoods["neighbourhood_code"].astype(str),
                     pub.run.neighbourhoods.get("neighbourhood_name",
                                                pub.run.neighbourhoods["neighbourhood_code"])))
    codes = [k[1] for k in pub.cells.values if k[0] == "nb" and k[2] == "mpg_total"]
    city_fam = pub.count(("nb", CITY, "family_households"))
    city_mpg = pub.count(("nb", CITY, "mpg_total"))
    for code in codes:
        values, statuses = _counts(pub, {c: ("nb", code, c) for c in pub.run.nb_counts})
        if code == CITY:
            label = {"code": "", "name": lab("nb.total")}
            values.update(share_families=None, share_mpg=None, index=None)
        else:
            label = {"code": "" if code == UNKNOWN else code,
                     "name": lab("nb.unknown") if code == UNKNOWN else (names.get(code) or code)}
            share_families = share(values["family_households"], city_fam)
            share_mpg = share(values["mpg_total"], city_mpg)
            index = (round(100 * share_mpg / share_families)
                     if share_mpg is not None and share_families else None)
            values.update(share_families=share_families, share_mpg=share_mpg, index=index)
        table.add({**label, **values}, statuses)
    table.totals = 1
    return table


def _profile_rows(table: Table, pub: PublishedRun, rows: list[tuple[str, Key]], base: Key) -> None:
    denominator = pub.count(base)
    for label, key in rows:
        values, statuses = _counts(pub, {"n": key})
        table.add({"label": label, **values, "share": share(values["n"], denominator)}, statuses)


def profile_title(run: RunData, lab: Labels) -> str:
    """"Profiel van de gezinnen (BIB en Meerdere instanties samen)": the profiled categories."""
    shorts = [lab.category_short(c) for c in run.profiled]
    if not shorts:
        return lab("profile.title_none")
    return lab("profile.title" if len(shorts) > 1 else "profile.title_one",
               categories=lab.join(shorts))


def profile_base(run: RunData, lab: Labels) -> str:
    """"Gezinnen (BIB en Meerdere instanties)": the row the profile's shares are of."""
    shorts = [lab.category_short(c) for c in run.profiled]
    return lab("profile.base", categories=lab.join(shorts)) if shorts else lab(
        "profile.base_none")


def profile_tables(pub: PublishedRun, lab: Labels) -> list[Table]:
    base = ("profile", "base")
    columns = lambda first: [Column("label", first, "text"),  # noqa: E731
                             Column("n", lab("families")), Column("share", lab("share"), "share")]
    base_row = [(profile_base(pub.run, lab), base)]

    types = Table("household_types", lab("types.title"), columns(lab("types.title")))
    if "types" in pub.withheld:
        types.withhold(lab)
    else:
        type_keys = [k for k in pub.cells.values if k[0] == "types"]
        _profile_rows(types, pub, [(lab("type.unknown") if k[1] == UNKNOWN
                                    else lab.household_type(k[1]), k) for k in type_keys]
                      + base_row, base)
        types.rows[-1]["share"] = None
        types.totals = 1

    children = Table("children", lab("children.title"), columns(lab("children.title")))
    if "children" in pub.withheld:
        children.withhold(lab)
    else:
        child_keys = [k for k in pub.cells.values if k[0] == "children" and k[1] != "total"]
        _profile_rows(children, pub, [(lab.children(k[1]), k) for k in child_keys] + base_row,
                      base)
        children.rows[-1]["share"] = None
        values, statuses = _counts(pub, {"n": ("children", "total")})
        children.add({"label": lab("children.total"), **values, "share": None}, statuses)
        children.totals = 2

    bijstand = Table("bijstand", lab("bijstand.title"), columns(lab("bijstand.title")))
    if "bijstand" in pub.withheld:
        bijstand.withhold(lab)
    else:
        _profile_rows(bijstand, pub, [(lab("bijstand.yes"), ("bijstand", "yes")),
                                      (lab("bijstand.no"), ("bijstand", "no"))] + base_row, base)
        bijstand.rows[-1]["share"] = None
        bijstand.totals = 1
    return [types, children, bijstand, *origin_tables(pub, lab)]


def origin_tables(pub: PublishedRun, lab: Labels) -> list[Table]:
    tables: list[Table] = []
    if "origin" in pub.withheld:
        return [Table("origin", lab("origin"), [Column("label", lab("origin"), "text")])
                .withhold(lab)]
    for role in ("mothers", "fathers"):
        codes = [k[2] for k in pub.cells.values
                 if k[0] == "origin" and k[1] == role and k[3] == "counted"]
        if not codes:
            continue
        table = Table(f"origin_{role}", lab(f"origin.{role}"),
                      [Column("label", lab("origin"), "text"),
                       Column("counted", lab("origin.counted")),
                       Column("counted_share", lab("origin.counted_share"), "share"),
                       Column("city", lab("origin.city")),
                       Column("city_share", lab("origin.city_share"), "share")])
        totals = {scope: pub.count(("origin", role, CITY, scope)) for scope in ("counted", "city")}
        for code in codes:
            values, statuses = _counts(pub, {scope: ("origin", role, code, scope)
                                             for scope in ("counted", "city")})
            label = lab("origin.total") if code == CITY else lab.origin(code)
            shares = {f"{scope}_share": None if code == CITY else share(values[scope],
                                                                       totals[scope])
                      for scope in ("counted", "city")}
            table.add({"label": label, **values, **shares}, statuses)
        table.totals = 1
        tables.append(table)
    return tables


def combinations_table(pub: PublishedRun, lab: Labels) -> Table | None:
    """The agency combinations of the categories with min_agencies; None without such a
    category (then the rules count nobody by agencies)."""
    if not pub.run.by_agencies:
        return None
    table = Table("agency_combinations", lab("combinations.title"),
                  [Column("label", lab("combination"), "text"), Column("n", lab("families")),
                   Column("share", lab("share"), "share")])
    if "comb" in pub.withheld:
        return table.withhold(lab)
    keys = [k for k in pub.cells.values if k[0] == "comb" and k[1] != CITY]
    # Largest first; kept-back combinations last (their size is not to be hinted at).
    keys.sort(key=lambda k: (isinstance(pub.count(k), str), -_sort_value(pub.count(k)), k[1]))
    total = combinations_total(pub.run)
    by_agencies = pub.run.by_agencies
    total_label = (lab.category(by_agencies[0]) if len(by_agencies) == 1
                   else lab.join([lab.category_short(c) for c in by_agencies]))
    rows = [(lab("combination.unknown") if k[1] == UNKNOWN else lab.agencies(k[1]), k)
            for k in keys]
    _profile_rows(table, pub, rows + [(total_label, total)], total)
    table.rows[-1]["share"] = None
    table.totals = 1
    return table


def _sort_value(v: int | str) -> int:
    return v if isinstance(v, int) else 0


def trend_categories(runs: Sequence[PublishedRun]) -> tuple[Category, ...]:
    """The categories of a trend: those of every run, in the order of the last one given
    (the run being published)."""
    return union_categories(p.run for p in reversed(runs))


def trend_rows(runs: list[PublishedRun]) -> list[dict[str, Any]]:
    """The city totals per run (published values), in order of reference date; a category
    a run does not have counts 0 there."""
    categories = trend_categories(runs)
    rows = []
    for pub in sorted(runs, key=lambda p: (p.run.reference_date, p.run.run)):
        row: dict[str, Any] = {"run": pub.run.run, "reference_date": pub.run.reference_date}
        for category in categories:
            key = ("nb", CITY, cat_key(category))
            row[cat_key(category)] = pub.count(key) if pub.has(key) else 0
        row["MPG"] = pub.count(("nb", CITY, "mpg_total"))
        rows.append(row)
    return rows


def trend_table(runs: list[PublishedRun], lab: Labels) -> Table:
    categories = trend_categories(runs)
    counts = [*map(cat_key, categories), "MPG"]
    table = Table("trend", lab("trend.title"),
                  [Column("run", lab("trend.run"), "text"),
                   Column("reference_date", lab("trend.reference_date"), "text"),
                   *[Column(cat_key(c), lab.category_short(c)) for c in categories],
                   Column("MPG", lab("mpg_short"))])
    for row in trend_rows(runs):
        row = {**row, "reference_date": lab.date(row["reference_date"])}
        table.add(row, {c: (Status.SHOWN if isinstance(row[c], int) else
                            Status.SMALL if row[c].startswith("<") else Status.SECONDARY)
                        for c in counts})
    return table


def notes_table(tables: list[Table], lab: Labels, min_cell: int) -> Table:
    """Every kept-back cell of the publication and why."""
    notes = Table("notes", lab("notes.title"),
                  [Column("table", lab("notes.table"), "text"),
                   Column("row", lab("notes.row"), "text"),
                   Column("column", lab("notes.column"), "text"),
                   Column("reason", lab("notes.reason"), "text")])
    for table in tables:
        if table.withheld:
            notes.add({"table": table.title, "row": "", "column": "",
                       "reason": lab("reason.withheld")})
            continue
        labels = {c.id: c.label for c in table.columns}
        text_cols = [c.id for c in table.columns if c.kind == "text"]
        for row, statuses in zip(table.rows, table.statuses):
            row_label = " ".join(str(row[c]) for c in text_cols if row.get(c))
            for col, status in statuses.items():
                if status is Status.SHOWN:
                    continue
                reason = lab("reason.small" if status is Status.SMALL else "reason.secondary",
                             min_cell=min_cell)
                notes.add({"table": table.title, "row": row_label, "column": labels[col],
                           "reason": reason})
    return notes


def method_lines(pub: PublishedRun, lab: Labels) -> list[tuple[str, str]]:
    """The method in plain words: (heading, text) pairs. The rules: one numbered line per
    category, in order of precedence, from its description in the rules file; then how the
    agencies count (for the categories with min_agencies) and that a family counts once."""
    s = pub.run.summary
    rules = pub.settings.rules
    agencies: dict[str, Any] = rules.get("agencies") or {}
    rule_lines = [(lab("method.rules") if n == 1 else "",
                   lab("method.rule_first" if n == 1 else "method.rule_next", n=n,
                       short=lab.category_short(category),
                       description=lab.category_description(category)))
                  for n, category in enumerate(pub.run.categories, 1)]
    mjd = ""
    for name, rule in agencies.items():
        sources = rule.get("sources") or []
        if int(rule.get("min_records", 1)) > 1:
            mjd += lab("method.mjd", agency=agency_name(name), n=rule["min_records"])
        if len(sources) > 1:
            parts = [src.removeprefix(f"{name}_").replace("_", " ").title() for src in sources]
            mjd += lab("method.jeugdzorg", agency=agency_name(name), sources=", ".join(parts))
    if not pub.run.by_agencies:
        mjd = ""  # no category counts agencies: how they count does not matter
    rounding = (lab("method.rounding", base=pub.settings.rounding_base)
                if pub.settings.rounding_base else "")
    lines = [
        (lab("method.period"), lab("method.period_text", window=lab.window(s["window"]))),
        (lab("method.reference_date"),
         lab("method.reference_date_text", reference_date=lab.date(s["reference_date"]))),
        (lab("method.family"), lab("method.family_text", adult_age=rules.get("adult_age", 18))),
        *rule_lines,
        ("", mjd + lab("method.once")),
        (lab("method.lower_bound"), lab("method.lower_bound_text")),
        (lab("method.disclosure"), lab("method.disclosure_text",
                                        min_cell=pub.settings.min_cell, rounding=rounding)),
    ]
    version = pub.run.run_info.get("tool_version")
    if version:
        lines.append((lab("method.made_with"), lab("method.made_with_text", version=version)))
    return lines


