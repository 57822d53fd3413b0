"""The estimate stage on small in-memory towns: each household's capture lists, the list
tables, the error entry where no estimate exists, the rules' [estimate] checks, and the
linkage draws (a record whose candidates move a family in and out of a list).

Towns are built at the level `load` writes (tests/harness.py); the links are written by
hand into ident.links and ident.link_scores, as the link stage would, so that a test says
exactly which record is certain and which one the draws may move."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from harness import memory_context, memory_db
from mpg.linkage import standardise
from mpg.linkage.link import LINK_COLUMNS_SQL
from mpg.linkage.probabilistic import EMPTY_SCORES
from mpg.linkage.review import import_reviews
from mpg.pipeline import estimate, households, profile, pseudonymise, select
from mpg.pipeline.config import DEFAULT_RULES, load_rules
from mpg.pipeline.errors import ConfigError
from mpg.pipeline.runner import run_stage
from mpg.reports import outputs

ADULT, CHILD = dt.date(1970, 3, 3), dt.date(1995, 5, 5)
THREE = ("GELDZORG", "WOONKANS", "OGGZ")  # three agencies: the multi-agency rule
BOOTSTRAP = 100


class Town:
    """Households, agency records on their members and each record's link."""

    def __init__(self) -> None:
        self.persons: list[dict] = []
        self.residences: list[dict] = []
        self.records: list[dict] = []
        # record key -> (person_id, match_probability, match_key[, household_id])
        self.links: dict[int, tuple] = {}
        self.scores: list[tuple] = []

    def household(self, adults: int = 1, children: int = 1, code: str = "WK01") -> list[str]:
        address = f"A{len({r['address_id'] for r in self.residences}) + 1}"
        ids = []
        for born in [ADULT] * adults + [CHILD] * children:
            pid = f"P{len(self.persons) + 1}"
            self.persons.append({"person_id": pid, "birth_date": born, "sex": "V",
                                 "surname": f"S{pid}"})
            self.residences.append({"person_id": pid, "address_id": address,
                                    "neighbourhood_code": code,
                                    "start_date": dt.date(1998, 1, 1)})
            ids.append(pid)
        return ids

    def record(self, agency: str, person: str, times: int = 1) -> None:
        """Records linked for certain (as the BSN pass links)."""
        for _ in range(times):
            self.records.append({"agency": agency, "surname": "X"})
            self.links[len(self.records)] = (person, 1.0, "bsn")

    def scored(self, agency: str, candidates: list[tuple[str, float]],
               linked: str | None = None) -> int:
        """A record the probabilistic pass scored: candidates (person, match_probability),
        linked to `linked` (probabilistic) or to nobody (below_threshold)."""
        self.records.append({"agency": agency, "surname": "X"})
        key = len(self.records)
        best = max(p for _, p in candidates)
        self.links[key] = (linked, best, "probabilistic" if linked else "below_threshold")
        for rank, (person, p) in enumerate(sorted(candidates, key=lambda c: -c[1]), start=1):
            self.scores.append((key, person, 10.0 - rank, 0.99, p, rank, None))
        return key

    def at_household(self, agency: str, candidates: list[tuple[str, float]]) -> int:
        """A record resolved at household level (match_key household): its candidates all
        live at one address, its person unresolved."""
        key = self.scored(agency, candidates)
        address = {r["person_id"]: r["address_id"] for r in self.residences}[candidates[0][0]]
        self.links[key] = (None, sum(p for _, p in candidates), "household", address)
        return key

    def family_on(self, lists: str, code: str = "WK01", adults: int = 1) -> list[str]:
        """A family household on the lists named by letters: B(IB), M(ULTI_AGENCY),
        Z(ORGNETWERK)."""
        members = self.household(adults=adults, code=code)
        if "B" in lists:
            self.record("BIB", members[0])
        if "M" in lists:
            for agency in THREE:
                self.record(agency, members[0])
        if "Z" in lists:
            self.record("ZORGNETWERK", members[-1])
        return members


def rules_file(tmp_path: Path, estimate_toml: str) -> Path:
    """The default rules with another [estimate] section."""
    head = DEFAULT_RULES.read_text(encoding="utf-8").split("\n[estimate]\n")[0]
    path = tmp_path / "rules.toml"
    path.write_text(head + "\n[estimate]\n" + estimate_toml + "\n", encoding="utf-8")
    return path


def counted(town: Town, tmp_path: Path, rules=None, review_db=None):
    """Run the stages from standardise to estimate on `town`; (connection, context, the
    estimate stage's report)."""
    con = memory_db(town.persons, town.residences, town.records)
    if rules is None:  # the default [estimate], with a bootstrap small enough for a test
        rules = load_rules(rules_file(tmp_path, f"bootstrap = {BOOTSTRAP}"))
    ctx = memory_context(tmp_path, rules=rules, review_db=review_db)
    run_stage(con, ctx, standardise.STAGE)
    con.execute(f"CREATE TABLE ident.links ({LINK_COLUMNS_SQL})")
    con.executemany("INSERT INTO ident.links (record_key, person_id, match_probability, "
                    "match_key, household_id) VALUES (?, ?, ?, ?, ?)",
                    [(k, *v, None)[:5] for k, v in sorted(town.links.items())])
    con.execute(EMPTY_SCORES)
    if town.scores:
        con.executemany("INSERT INTO ident.link_scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                        town.scores)
    for stage in (pseudonymise.STAGE, households.STAGE, select.STAGE, profile.STAGE):
        run_stage(con, ctx, stage)
    report = run_stage(con, ctx, estimate.STAGE)
    return con, ctx, report


def section(con) -> dict:
    return estimate.stored_estimate(con)


def patterns(con) -> dict[tuple[str, ...], int]:
    return {tuple(lists): n for lists, n in con.execute(
        "SELECT lists, count FROM capture_counts WHERE draw = 0").fetchall()}


# A town whose table gives an estimate: 29 families over the seven patterns.
SPREAD = {"B": 6, "M": 8, "Z": 7, "BM": 2, "BZ": 3, "MZ": 2, "BMZ": 1}


def spread_town(extra=None) -> Town:
    town = Town()
    for lists, n in SPREAD.items():
        for _ in range(n):
            town.family_on(lists)
    if extra:
        extra(town)
    return town


# ------------------------------------------------------------------ the capture lists
def test_each_family_households_lists_before_precedence(tmp_path):
    town = Town()
    for lists in ("B", "BM", "MZ", "Z"):
        town.family_on(lists)
    two = town.household()  # two agencies and one MJD contact: on no list
    town.record("GELDZORG", two[0])
    town.record("OGGZ", two[0])
    town.record("MJD", two[0])
    adults = town.household(adults=2, children=0)  # BIB, but no family household
    town.record("BIB", adults[0])
    con, _, _ = counted(town, tmp_path)
    assert patterns(con) == {("BIB",): 1, ("BIB", "MULTI_AGENCY"): 1,
                             ("MULTI_AGENCY", "ZORGNETWERK"): 1, ("ZORGNETWERK",): 1}
    rows = con.execute("SELECT lists, stratum FROM capture_patterns ORDER BY ALL").fetchall()
    assert sorted(tuple(r[0]) for r in rows) == sorted([("BIB",), ("BIB", "MULTI_AGENCY"),
                                                        ("MULTI_AGENCY", "ZORGNETWERK"),
                                                        ("ZORGNETWERK",)])
    assert {r[1] for r in rows} == {"all"}
    # the count by precedence is the select stage's: BIB twice, MULTI_AGENCY, ZORGNETWERK
    assert dict(con.execute("SELECT category, count FROM linkage_draw_counts WHERE draw = 0"
                            ).fetchall()) == {"BIB": 2, "MULTI_AGENCY": 1, "ZORGNETWERK": 1}


def test_agencies_as_lists(tmp_path):
    town = Town()
    a = town.household()
    town.record("MJD", a[0], times=2)  # MJD counts from two contacts
    town.record("GELDZORG", a[0])
    b = town.household()
    town.record("MJD", b[0])  # one MJD contact: not known at MJD in the rule's sense
    town.record("OGGZ", b[0])
    c = town.household()
    town.record("JEUGDZORG_VOOGDIJ", c[1])  # Jeugdzorg's sources are one agency
    town.record("GELDZORG", c[0])
    rules = load_rules(rules_file(tmp_path, 'lists = ["agency:MJD", "agency:GELDZORG", '
                                            '"agency:JEUGDZORG", "agency:OGGZ"]\n'
                                            'bootstrap = 20'))
    con, _, _ = counted(town, tmp_path, rules=rules)
    assert patterns(con) == {("agency:MJD", "agency:GELDZORG"): 1, ("agency:OGGZ",): 1,
                             ("agency:GELDZORG", "agency:JEUGDZORG"): 1}
    assert section(con)["lists"] == ["agency:MJD", "agency:GELDZORG", "agency:JEUGDZORG",
                                     "agency:OGGZ"]


@pytest.mark.parametrize("toml,message", [
    ('lists = ["BIB", "SCHULDHULP"]', "'SCHULDHULP' is neither a category"),
    ('lists = ["BIB", "agency:BIB"]', "agency:GELDZORG"),  # the allowed names are listed
    ('lists = ["BIB"]', "at least two lists"),
    ('lists = ["BIB", "BIB"]', "appear twice"),
    ('strata = "wijk"', "household_type"),
    ('criterion = "R2"', "criterion"),
    ('linkage_draws = -1', "linkage_draws"),
    ('[estimate.strata]\nNoord = ["WK01"]\nZuid = ["wk01 "]', "both stratum Noord and Zuid"),
])
def test_estimate_settings_that_cannot_work_are_refused_naming_the_key(tmp_path, toml,
                                                                       message):
    with pytest.raises(ConfigError) as err:
        load_rules(rules_file(tmp_path, toml))
    assert "rules.toml" in str(err.value) and "estimate" in str(err.value)
    assert message in str(err.value), str(err.value)


def test_a_rules_file_without_estimate_uses_every_category(tmp_path):
    text = DEFAULT_RULES.read_text(encoding="utf-8").split("\n[estimate]\n")[0]
    path = tmp_path / "old.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    assert rules.estimate.enabled and rules.estimate_lists == ("BIB", "MULTI_AGENCY",
                                                               "ZORGNETWERK")


# ------------------------------------------------------------------ the estimate itself
def test_the_estimate_of_a_town_is_the_estimators_on_its_table(tmp_path):
    from mpg.pipeline import mse

    con, ctx, report = counted(spread_town(), tmp_path)
    est = section(con)
    lists = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")
    expected_table = {tuple(1 if name[0] in p else 0 for name in lists): n
                      for p, n in SPREAD.items()}
    assert {tuple(row[n] for n in lists): row["count"] for row in est["table"]} == \
        expected_table
    direct = mse.estimate(mse.ListTable(lists, expected_table), bootstrap=BOOTSTRAP,
                          seed=2004)
    assert est["observed"] == 29 and est["total"] == round(direct.total, 1)
    assert est["model"] == direct.model
    # without probabilistic links, linkage adds nothing: the run's bootstrap is the interval
    assert est["ci95"] == est["ci95_without_linkage"] == [round(x, 1) for x in direct.ci[0.95]]
    assert est["linkage"]["records_drawn"] == 0 and "no record" in est["linkage"]["note"]
    assert est["linkage"]["mpg_total"] == [29, 29]
    assert est["variance_shares"]["linkage"] == 0
    # summary.json gets it, last
    summary = outputs.summary(con, ctx)
    assert list(summary)[-1] == "estimate" and summary["estimate"] == est
    assert report.metrics["estimate"]["error"] is None


def test_an_estimate_that_cannot_exist_is_an_error_entry_not_a_number(tmp_path):
    town = Town()
    for lists in ("B", "B", "M", "Z", "Z"):  # nobody on two lists
        town.family_on(lists)
    con, ctx, report = counted(town, tmp_path)
    est = section(con)
    assert "overlap" in est["error"]
    for key in ("total", "unseen", "ci95", "ci80", "chao_lower_bound"):
        assert key not in est
    assert est["observed"] == 5 and est["lists"] == ["BIB", "MULTI_AGENCY", "ZORGNETWERK"]
    assert sum(row["count"] for row in est["table"]) == 5
    assert any("no estimate" in w and "overlap" in w for w in report.metrics["warnings"])
    assert outputs.summary(con, ctx)["mpg_total"] == 5  # the count stands


def test_one_list_is_an_error_entry(tmp_path):
    rules = load_rules(rules_file(tmp_path, 'lists = ["BIB", "ZORGNETWERK"]'))
    inputs = estimate.Inputs(("BIB",), ("BIB",), _counts({("BIB",): 4}), _draw_counts({}), 0,
                             0, 0)
    est, warnings = estimate.compute(inputs, rules.estimate)
    assert "at least two lists" in est["error"] and "total" not in est
    assert warnings and "at least two lists" in warnings[0]


def test_switched_off_the_estimate_is_absent(tmp_path):
    rules = load_rules(rules_file(tmp_path, "enabled = false"))
    con, ctx, report = counted(spread_town(), tmp_path, rules=rules)
    assert section(con) is None
    assert "estimate" not in outputs.summary(con, ctx)
    for table in estimate.TABLES:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    assert report.metrics == {}


# ------------------------------------------------------------------ linkage draws
def ambiguous_town(p_family: float = 0.5, p_other: float = 0.45):
    """The spread town plus a family known at two agencies and a WOONKANS record that is
    the family's mother (p_family) or an adult elsewhere (p_other), or nobody: the draws
    put the family on MULTI_AGENCY or not."""
    holder = {}

    def extra(town: Town) -> None:
        family = town.household()
        town.record("GELDZORG", family[0])
        town.record("OGGZ", family[0])
        elsewhere = town.household(adults=1, children=0)
        holder["record"] = town.scored("WOONKANS", [(family[0], p_family),
                                                    (elsewhere[0], p_other)])
        holder["mother"] = family[0]

    return spread_town(extra), holder


def test_an_ambiguous_record_moves_a_family_in_and_out_of_multi_agency(tmp_path):
    town, _ = ambiguous_town()
    con, ctx, _ = counted(town, tmp_path)
    est = section(con)
    summary = outputs.summary(con, ctx)
    assert summary["mpg_total"] == 29  # the run left the record unlinked
    per_draw = dict(con.execute("""SELECT draw, sum(count) FROM linkage_draw_counts
                                   WHERE draw > 0 GROUP BY draw""").fetchall())
    assert len(per_draw) == 50 and set(per_draw.values()) == {29, 30}
    assert 10 <= sum(v == 30 for v in per_draw.values()) <= 40  # about half the draws
    linkage = est["linkage"]
    assert linkage["draws"] == 50 and linkage["records_drawn"] == 1
    assert linkage["mpg_total"] == [29, 30]
    # by precedence MULTI_AGENCY holds the M and MZ families (BM and BMZ are BIB's)
    assert linkage["by_category"]["MULTI_AGENCY"] == [8 + 2, 8 + 2 + 1]
    assert linkage["by_category"]["BIB"] == [12, 12]
    # the family's pattern is (0, 1, 0) in the draws that link the mother
    tables = con.execute("""SELECT draw, count FROM capture_counts
                            WHERE lists = ['MULTI_AGENCY'] ORDER BY draw""").fetchall()
    assert {n for d, n in tables if d > 0} == {8, 9} and dict(tables)[0] == 8
    # a draw is the same every time (seeded hash of seed, record and draw)
    (tmp_path / "again").mkdir()
    con2, _, _ = counted(town, tmp_path / "again")
    assert con2.execute("SELECT * FROM linkage_draw_counts ORDER BY ALL").fetchall() == \
        con.execute("SELECT * FROM linkage_draw_counts ORDER BY ALL").fetchall()


def test_a_household_level_record_stays_with_its_household_in_every_draw(tmp_path):
    """The record's candidates (mother and daughter, one name) live in one household: each
    draw picks one of them, so the family keeps its third agency in every draw, also when
    another drawn record of the household makes the draws look at it again."""
    def extra(town: Town) -> None:
        family = town.household()
        town.record("GELDZORG", family[0])
        town.record("OGGZ", family[0])
        town.at_household("WOONKANS", [(family[0], 0.55), (family[1], 0.45)])
        town.scored("ZORGNETWERK", [(family[1], 1.0)], linked=family[1])

    con, ctx, _ = counted(spread_town(extra), tmp_path)
    run = dict(con.execute("SELECT category, count(*) FROM household_categories "
                           "WHERE category IS NOT NULL GROUP BY ALL").fetchall())
    assert run["MULTI_AGENCY"] == 8 + 2 + 1  # the family counts at household level
    counts = con.execute("SELECT draw, category, count FROM linkage_draw_counts "
                         "WHERE category = 'MULTI_AGENCY' AND draw > 0").fetchall()
    assert len(counts) == 50 and {n for _, _, n in counts} == {run["MULTI_AGENCY"]}
    assert section(con)["linkage"]["records_drawn"] == 2


def test_draws_of_a_certain_link_reproduce_the_run(tmp_path):
    """A scored record whose one candidate has probability 1 is in every draw what the run
    linked: every draw's list table and count is the run's (the draws' SQL and select's
    agree)."""
    def extra(town: Town) -> None:
        family = town.household()
        town.record("GELDZORG", family[0])
        town.record("OGGZ", family[0])
        town.scored("WOONKANS", [(family[1], 1.0)], linked=family[1])
        other = town.household()
        town.scored("BIB", [(other[0], 1.0)], linked=other[0])

    con, _, _ = counted(spread_town(extra), tmp_path)
    run = sorted(con.execute("SELECT household_type, neighbourhood_code, lists, count "
                             "FROM capture_counts WHERE draw = 0").fetchall())
    for d in (1, 17, 50):
        assert sorted(con.execute("SELECT household_type, neighbourhood_code, lists, count "
                                  "FROM capture_counts WHERE draw = ?", [d]).fetchall()) == run
    counts = con.execute("SELECT draw, category, count FROM linkage_draw_counts").fetchall()
    assert {(c, n) for d, c, n in counts if d > 0} == {(c, n) for d, c, n in counts if d == 0}
    assert patterns(con)[("MULTI_AGENCY",)] == 9 and patterns(con)[("BIB",)] == 7
    assert section(con)["linkage"]["mpg_total"] == [31, 31]


def test_a_pair_rejected_in_review_is_never_drawn(tmp_path):
    town, holder = ambiguous_town()
    review = tmp_path / "review.csv"
    review.write_text("agency,file,record_id,person_id,decision\n"
                      f"WOONKANS,f.csv,R{holder['record']},{holder['mother']},non_match\n",
                      encoding="utf-8")
    store = tmp_path / "reviews.duckdb"
    assert import_reviews(review, store)["non_match"] == 1
    con, _, _ = counted(town, tmp_path, review_db=store)
    assert section(con)["linkage"]["mpg_total"] == [29, 29]
    assert {n for (n,) in con.execute("SELECT sum(count) FROM linkage_draw_counts "
                                      "GROUP BY draw").fetchall()} == {29}


def test_linkage_draws_zero_switch_the_linkage_part_off(tmp_path):
    town, _ = ambiguous_town()
    rules = load_rules(rules_file(tmp_path, f"linkage_draws = 0\nbootstrap = {BOOTSTRAP}"))
    con, _, _ = counted(town, tmp_path, rules=rules)
    est = section(con)
    assert est["linkage"]["draws"] == 0 and est["linkage"]["mpg_total"] is None
    assert est["ci95"] == est["ci95_without_linkage"]
    assert "linkage_draws = 0" in est["interval_method"]
    assert con.execute("SELECT max(draw) FROM capture_counts").fetchall() == [(0,)]


def test_no_identifying_table_is_left_and_the_tables_hold_pseudonyms(tmp_path):
    town, _ = ambiguous_town()
    con, _, _ = counted(town, tmp_path)
    temp = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() "
                                      "WHERE table_name LIKE '%estimate%'").fetchall()}
    assert temp == {"prevalence_estimate"}
    text = json.dumps(con.execute("SELECT * FROM capture_patterns").fetchall())
    assert not any(p["person_id"] in text for p in town.persons)


# ------------------------------------------------------------------ strata (compute)
LISTS = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")
TRUTH_LIKE = {"Z": 53, "M": 92, "MZ": 39, "B": 19, "BZ": 27, "BM": 5, "BMZ": 12}


def _lists(letters: str) -> tuple[str, ...]:
    return tuple(name for name in LISTS if name[0] in letters)


def _counts(cells: dict, draw: int = 0, household_type: str = "single_parent",
            code: str = "WK01"):
    import pandas as pd

    return pd.DataFrame([{"draw": draw, "household_type": household_type,
                          "neighbourhood_code": code, "lists": list(k), "count": n}
                         for k, n in cells.items()])


def _draw_counts(by_draw: dict[int, dict[str, int]]):
    import pandas as pd

    return pd.DataFrame([{"draw": d, "category": c, "count": n}
                         for d, cats in by_draw.items() for c, n in cats.items()],
                        columns=["draw", "category", "count"])


def _inputs(frames, draws=0, draw_counts=None):
    import pandas as pd

    counts = pd.concat(frames, ignore_index=True)
    return estimate.Inputs(LISTS, LISTS, counts, draw_counts if draw_counts is not None
                           else _draw_counts({0: {"BIB": 1}}), draws, 1 if draws else 0, draws,
                           ("WK01", "WK02", "WK03"))


def _scaled(cells: dict[str, int], factor: float) -> dict[tuple[str, ...], int]:
    return {_lists(k): max(1, round(n * factor)) for k, n in cells.items()}


def _settings(**kw):
    from mpg.pipeline.config import EstimateRules

    return EstimateRules(**{"bootstrap": 60, "linkage_draws": 0, **kw})


def test_strata_are_estimated_apart_and_added_up():
    from mpg.pipeline import mse

    single, two = _scaled(TRUTH_LIKE, 1.0), _scaled(TRUTH_LIKE, 0.6)
    inputs = _inputs([_counts(single, household_type="single_parent"),
                      _counts(two, household_type="two_adults")])
    est, _ = estimate.compute(inputs, _settings(strata="household_type"))
    assert est["stratified_by"] == "household_type"
    # more_adults has nobody: merged with its neighbour, and the warnings say so
    assert set(est["strata"]) == {"single_parent", "two_adults+more_adults"}
    assert any("strata merged" in w and "two_adults+more_adults" in w for w in est["warnings"])
    parts = [mse.estimate(mse.ListTable(LISTS, {tuple(int(n in k) for n in LISTS): c
                                                for k, c in t.items()}), bootstrap=0)
             for t in (single, two)]
    assert est["total"] == round(sum(p.total for p in parts), 1)
    assert est["strata"]["single_parent"]["total"] == round(parts[0].total, 1)
    assert est["observed"] == sum(single.values()) + sum(two.values())
    assert est["profile_ci95"] == [None, None]  # a profile interval does not add up
    low, high = est["ci95"]
    assert low <= est["total"] <= high


def test_a_stratified_estimate_the_cells_do_not_allow_is_refused():
    from mpg.pipeline import mse

    tiny = {_lists("B"): 3, _lists("M"): 4, _lists("BM"): 1, _lists("Z"): 2, _lists("MZ"): 2}
    inputs = _inputs([_counts(tiny, household_type=t) for t in estimate.HOUSEHOLD_TYPES])
    est, warnings = estimate.compute(inputs, _settings(strata="household_type"))
    assert est["strata"] is None
    assert any("stratified estimate was refused" in w for w in est["warnings"])
    assert any("refused" in w for w in warnings)
    whole = mse.estimate(mse.ListTable(LISTS, {tuple(int(n in k) for n in LISTS): 3 * c
                                               for k, c in tiny.items()}), bootstrap=60,
                         seed=2004)
    assert est["total"] == round(whole.total, 1) and est["observed"] == 36


def test_neighbourhood_groups_and_the_other_neighbourhoods():
    cells = _scaled(TRUTH_LIKE, 1.0)
    inputs = _inputs([_counts(cells, code="WK01"), _counts(cells, code="WK02"),
                      _counts(cells, code="WK03")])
    from mpg.pipeline.config import EstimateRules

    settings = EstimateRules.model_validate({"bootstrap": 0, "linkage_draws": 0, "strata": {
        "Noord": [" wk01"], "Zuid": ["WK02", "WK99"]}})
    est, _ = estimate.compute(inputs, settings)
    assert any("Zuid" in w and "WK99 are not in the register" in w for w in est["warnings"])
    assert est["stratified_by"] == "neighbourhood groups"
    assert set(est["strata"]) == {"Noord", "Zuid", estimate.OTHER_NEIGHBOURHOODS}
    assert len({e["total"] for e in est["strata"].values()}) == 1  # the same table thrice
    assert est["observed"] == 3 * sum(cells.values())


# ------------------------------------------------------------------ intervals and shares
def _draws_inputs(perturb: bool):
    import numpy as np

    base = _scaled(TRUTH_LIKE, 1.0)
    rng = np.random.default_rng(5)
    frames = [_counts(base)]
    by_draw = {0: {"BIB": 63, "MULTI_AGENCY": 131, "ZORGNETWERK": 53}}
    for d in range(1, 21):
        cells = ({k: int(max(1, n + rng.integers(-6, 7))) for k, n in base.items()}
                 if perturb else base)
        frames.append(_counts(cells, draw=d))
        by_draw[d] = {"BIB": 63 + (d % 3), "MULTI_AGENCY": 131 - (d % 2), "ZORGNETWERK": 53}
    return _inputs(frames, draws=20, draw_counts=_draw_counts(by_draw))


@pytest.mark.parametrize("perturb", [True, False], ids=["draws_differ", "draws_alike"])
def test_the_combined_interval_contains_the_one_without_linkage(perturb):
    est, _ = estimate.compute(_draws_inputs(perturb), _settings(bootstrap=200,
                                                                  linkage_draws=20))
    for level in ("95", "80"):
        low, high = est[f"ci{level}"]
        wlow, whigh = est[f"ci{level}_without_linkage"]
        assert low <= wlow and (high is None or (whigh is not None and high >= whigh))
    shares = est["variance_shares"]
    assert set(shares) == {"sampling", "model_choice", "linkage"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0 <= v <= 1 for v in shares.values())
    if perturb:
        assert shares["linkage"] > 0.01
        lo, hi = est["linkage"]["total"]
        assert lo < hi
    else:
        assert shares["linkage"] == 0
    assert est["linkage"]["by_category"]["BIB"] == [63, 65]
    assert est["linkage"]["by_category"]["MULTI_AGENCY"] == [130, 131]
    assert "pooled over 20 linkage draws" in est["interval_method"]


def test_with_one_possible_model_model_choice_has_no_share():
    """Two lists allow one model only: the bootstrap that re-runs the search and the one
    with the model fixed see the same replicates (same seed) and give the same totals."""
    import numpy as np

    from mpg.pipeline import mse

    table = mse.ListTable(("A", "B"), {(1, 0): 40, (0, 1): 30, (1, 1): 15})
    run = mse.estimate(table, bootstrap=100, seed=11)
    fixed = estimate.fixed_model_totals(table, run.fit.terms, 100, 11)
    assert np.allclose(run.bootstrap_totals, fixed, rtol=1e-6)
    three = mse.ListTable(LISTS, {tuple(int(n in k) for n in LISTS): c
                                  for k, c in _scaled(TRUTH_LIKE, 1.0).items()})
    run3 = mse.estimate(three, bootstrap=100, seed=11)
    fixed3 = estimate.fixed_model_totals(three, run3.fit.terms, 100, 11)
    assert np.var(np.log(fixed3)) < np.var(np.log(run3.bootstrap_totals))
    # where a replicate's search keeps the model, the two totals are the same replicate's
    assert np.isclose(run3.bootstrap_totals, fixed3, rtol=1e-6).mean() > 0.3
