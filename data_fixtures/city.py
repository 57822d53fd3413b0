"""`make_city` and `make_quarters`: a synthetic city's delivery plus the truth about it.

Layout of one city:   FOLDER/delivery/delivery.toml (+ the files it names)
                      FOLDER/truth/truth.json, truth_neighbourhoods.csv, truth_links.csv,
                                   truth_records.csv, truth_households.csv,
                                   truth_rejects.csv, truth_capture.csv, cases.json
Quarters:             FOLDER/<run>/delivery/... and FOLDER/<run>/truth/... per quarter.

The truth is the oracle (oracle.py, an independent pandas reading of definitions.md) applied
to the register extract and the usable agency rows of the delivery with their TRUE persons.

truth.json is shaped like OUT/summary.json, plus `prevalence`, the families no list shows
(agencies.py has the capture model):
    {"lists": ["BIB", "MULTI_AGENCY", "ZORGNETWERK"],
     "observed": family households on at least one list (the oracle's, before precedence;
                 equal to mpg_total),
     "unseen": latent multi-problem families of the run on no list,
     "total": observed + unseen,
     "table": [{"BIB": 0, "MULTI_AGENCY": 0, "ZORGNETWERK": 1, "count": n}, ...] (the 7
              patterns one can be seen in, zero counts kept),
     "latent": latent families of the run (seen or not), "chance": seen families that are
     not latent, "capture_model": one sentence, "model": agencies.CAPTURE_MODEL}
A latent family of a run is an MPG career (agencies.py) whose period overlaps the window, of
a household that is a family household on the reference date; its household is the address
where most of its members live then. The true total is therefore every family household
seen with perfect linkage plus the latent ones nobody saw. truth_capture.csv has one row per
seen or latent family household: address_id, the three 0/1 lists (as seen), latent,
class ("engaged", "avoiding"; "guaranteed" for the few a tiny city is given; empty for a
family seen by chance), the drawn pattern drawn_BIB, drawn_MULTI_AGENCY,
drawn_ZORGNETWERK (empty when no career), and shape (the ambiguous kind, cases.json, one of
its defining records was put on).

cases.json (City.cases) lists the people a linker can confuse, by kind, as person_id and
other_person_id: twins, father_son_same_name, mother_daughter_same_name,
large_family_similar_names (siblings of 5+ children of one mother at one address whose
first names share an initial), namesakes_same_birth_date (strangers), all found in the
register on the reference date; baby_after_parent_record (a parent and the baby named after
them: one row per record of the parent in this delivery that began before the birth, with
agency, file, record_id); and deciding_records: the records on one member of such a
household without which a counted household would not be counted or be in another category.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mpg.data_fixtures import oracle
from mpg.data_fixtures.agencies import CAPTURE_MODEL, CAPTURE_MODEL_TEXT, true_records
from mpg.data_fixtures.delivery import (EXPORT_LAG, EXPORT_LOOKBACK, assign_ids, write_manifest,
                                    write_register, write_sources)
from mpg.data_fixtures.noise import render
from mpg.data_fixtures.population import LARGE_FAMILY, NO_DAY, Town, day_number, to_dates

WINDOW_MONTHS = 18
WARM_UP_QUARTERS = 10


@dataclass(frozen=True)
class City:
    """One delivery of the synthetic city and the truth about it."""

    name: str  # the run name, e.g. "2004Q2"
    folder: Path  # holds delivery/ and truth/
    manifest_path: Path
    period: oracle.Period
    difficulty: str
    seed: int
    n_persons: int  # persons in the register extract (living here now or in the past)
    truth: dict  # shaped like OUT/summary.json, plus "prevalence" (module docstring)
    truth_neighbourhoods: pd.DataFrame  # shaped like OUT/neighbourhoods.csv
    truth_links: pd.DataFrame  # agency, file, record_id, person_id (None: no register person)
    truth_records: pd.DataFrame  # truth_links + why (how the record arose) + noise tags
    truth_households: pd.DataFrame  # counted households: address_id, category, ... agencies
    cases: dict[str, pd.DataFrame] = field(repr=False)  # ambiguous people, by kind
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    # Seen and latent family households: address_id, BIB, MULTI_AGENCY, ZORGNETWERK, latent,
    # class, drawn_*, shape (module docstring).
    truth_capture: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def delivery_dir(self) -> Path:
        return self.manifest_path.parent

    @property
    def truth_dir(self) -> Path:
        return self.folder / "truth"


def quarter_period(quarter: str) -> oracle.Period:
    """"2004Q2" -> reference date 2004-06-30, window 2003-01-01..2004-06-30."""
    year, q = int(quarter[:4]), int(quarter[-1])
    month = 3 * q
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    return oracle.Period(quarter, end, _months_back(end, WINDOW_MONTHS), end)


def _months_back(end: dt.date, months: int) -> dt.date:
    """First day of the month `months - 1` months before `end`'s month."""
    index = end.year * 12 + end.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _next_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year + (q == 4)}Q{q % 4 + 1}"


def make_city(folder: str | Path, n_persons: int = 60_000, difficulty: str = "easy",
              seed: int = 0, reference_date: dt.date | str | None = None,
              quarter: str | None = None, window_start: dt.date | str | None = None,
              window_end: dt.date | str | None = None) -> City:
    """One delivery. By default the run is `quarter` ("2004Q2"): reference date its last day,
    window the 18 months ending then (the original study's window). `reference_date`,
    `window_start` and `window_end` override that (e.g. the study's own 2003-09-01).

    `n_persons` people live in the city when it is generated, 2.5 years before the run; on
    the reference date about as many still do (the city grows slowly), and the register
    extract also holds those who died or left since (about 15% more rows)."""
    period = quarter_period(quarter or "2004Q2")
    if reference_date or window_start or window_end:
        as_date = lambda v: dt.date.fromisoformat(v) if isinstance(v, str) else v  # noqa: E731
        ref = as_date(reference_date) or period.reference_date
        end = as_date(window_end) or ref
        start = as_date(window_start) or _months_back(end, WINDOW_MONTHS)
        period = oracle.Period(quarter or ref.isoformat(), ref, start, end)
    return _build(Path(folder), [period], n_persons, difficulty, seed, nested=False)[0]


def make_quarters(folder: str | Path, n_quarters: int = 4, n_persons: int = 60_000,
                  difficulty: str = "easy", seed: int = 0,
                  start_quarter: str = "2004Q1") -> list[City]:
    """Consecutive quarterly deliveries of the same city: the same register persons (plus
    births and arrivals), the register moved on by a quarter each time, agency records
    flowing through the sliding window. One City per quarter, in FOLDER/<run>/."""
    periods, q = [], start_quarter
    for _ in range(n_quarters):
        periods.append(quarter_period(q))
        q = _next_quarter(q)
    return _build(Path(folder), periods, n_persons, difficulty, seed, nested=True)


def _build(folder: Path, periods: list[oracle.Period], n_persons: int, difficulty: str,
           seed: int, nested: bool) -> list[City]:
    if difficulty not in ("easy", "hard"):
        raise ValueError(f"difficulty must be 'easy' or 'hard', not {difficulty!r}")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - clock, 3)
        clock = now

    streams = np.random.SeedSequence(seed).spawn(4 + len(periods))
    rng_town, rng_records, rng_noise, rng_ids = (np.random.default_rng(s) for s in streams[:4])
    refs = [day_number(p.reference_date) for p in periods]
    # The town is generated as it stood 2.5 years before the first run and lived through
    # those quarters (deaths, moves, departures), so the first delivery already has former
    # residents and recent movers, as every later one does.
    steps = [refs[0] - 91 * k for k in range(WARM_UP_QUARTERS, 0, -1)] + refs
    base_day = steps[0] - 91
    town = Town.build(rng_town, n_persons, base_day,
                      expected_growth=0.03 * len(steps) + 0.05)
    lap("register")
    previous = base_day
    for day in steps:
        town.advance(previous, day)
        previous = day
    lap("register_events")
    # Records start well before the first export's lookback, so that long cases that were
    # still open then exist in the first quarter as in every later one.
    t0 = day_number(periods[0].window_start) - EXPORT_LOOKBACK - 540
    # Agencies export a few weeks after the window ends (which may be after the reference
    # date, as in the original study); records run up to the last export.
    ends = [max(day_number(p.window_end), ref) for p, ref in zip(periods, refs)]
    t1 = ends[-1] + EXPORT_LAG
    focus = (day_number(periods[0].window_start), refs[0])
    records, careers = true_records(town, t0, t1, rng_records, focus)
    lap("agency_records")
    rendered = assign_ids(render(records, town, difficulty, rng_noise), rng_ids)
    lap("noise")

    cities = []
    for period, ref, stream in zip(periods, refs, streams[4:]):
        rng = np.random.default_rng(stream)
        city_folder = folder / period.name if nested else folder
        delivery_dir = city_folder / "delivery"
        truth_dir = city_folder / "truth"
        delivery_dir.mkdir(parents=True, exist_ok=True)
        truth_dir.mkdir(parents=True, exist_ok=True)
        persons, residences = write_register(town, delivery_dir, ref)
        lap("write_register")
        written = write_sources(rendered, delivery_dir, day_number(period.window_start),
                                day_number(period.window_end), rng)
        manifest = write_manifest(delivery_dir, period.name, period.reference_date,
                                  period.window_start, period.window_end)
        lap("write_sources")
        links = written.truth_records[["agency", "file", "record_id", "person_id"]]
        neighbourhoods = town.neighbourhoods.rename(
            columns={"code": "neighbourhood_code", "name": "neighbourhood_name"})
        summary, table, counted, extras = oracle.count(
            period, persons, residences, neighbourhoods, written.records, links,
            len(written.rejects), extras=True)
        live = _live(town, ref)
        capture = _capture(town, careers, period, live, counted, extras["family_households"])
        summary["prevalence"] = _prevalence(counted, capture)
        lap("truth")
        truth_records = written.truth_records.merge(
            written.records[["file", "record_id", "contact_date", "end_date"]],
            on=["file", "record_id"], how="left")
        cases = _cases(town, ref, live)
        cases["baby_after_parent_record"] = _babies_after_records(town, live, truth_records)
        cases["deciding_records"] = _deciding_records(cases, extras["usable"], counted)
        _write_truth(truth_dir, summary, table, links, truth_records, written.rejects, cases,
                     counted, capture)
        lap("write_truth")
        cities.append(City(
            name=period.name, folder=city_folder, manifest_path=manifest, period=period,
            difficulty=difficulty, seed=seed, n_persons=len(persons), truth=summary,
            truth_neighbourhoods=table, truth_links=links.reset_index(drop=True),
            truth_records=truth_records, truth_households=counted, cases=cases,
            timings=dict(timings), truth_capture=capture))
    return cities


def _write_truth(folder: Path, summary: dict, table: pd.DataFrame, links: pd.DataFrame,
                 truth_records: pd.DataFrame, rejects: pd.DataFrame,
                 cases: dict[str, pd.DataFrame], counted: pd.DataFrame,
                 capture: pd.DataFrame) -> None:
    (folder / "truth.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    table.to_csv(folder / "truth_neighbourhoods.csv", index=False)
    links.to_csv(folder / "truth_links.csv", index=False)
    truth_records.to_csv(folder / "truth_records.csv", index=False)
    rejects.to_csv(folder / "truth_rejects.csv", index=False)
    counted.to_csv(folder / "truth_households.csv", index=False)
    capture.to_csv(folder / "truth_capture.csv", index=False)
    (folder / "cases.json").write_text(json.dumps(
        {k: v.to_dict(orient="records") for k, v in cases.items()}, indent=1), encoding="utf-8")


def _homes(town: Town, hhs: np.ndarray, live: pd.DataFrame) -> np.ndarray:
    """For each generated household, the address (index) where most of its members (and
    the babies born to them) live (`live`: _live on a day); -1 when none of them does."""
    where = np.full(len(town.persons), -1)
    where[live.index.to_numpy()] = live["address"].to_numpy()
    hh = town.persons["hh"].to_numpy()
    mother = town.persons["mother"].to_numpy()
    hh_eff = np.where(hh >= 0, hh, np.where(mother >= 0, hh[np.maximum(mother, 0)], -1))
    wanted = np.zeros(len(town.households), dtype=bool)
    wanted[hhs] = True
    sel = np.flatnonzero((hh_eff >= 0) & (where >= 0))
    sel = sel[wanted[hh_eff[sel]]]
    best = (pd.DataFrame({"hh": hh_eff[sel], "address": where[sel]})
            .groupby(["hh", "address"]).size().reset_index(name="n")
            .sort_values(["hh", "n", "address"], ascending=[True, False, True])
            .drop_duplicates("hh"))
    return (pd.Series(best["address"].to_numpy(), index=best["hh"].to_numpy())
            .reindex(hhs).fillna(-1).astype(np.int64).to_numpy())


def _capture(town: Town, careers: pd.DataFrame, period: oracle.Period, live: pd.DataFrame,
             counted: pd.DataFrame, family_households: pd.Index) -> pd.DataFrame:
    """truth_capture.csv: the seen family households (with their lists, before precedence)
    and the latent families of this run (the careers whose period overlaps its window, at
    their household's address on the reference date if that is a family household)."""
    lists = list(oracle.LISTS)
    ws, we = day_number(period.window_start), day_number(period.window_end)
    active = careers[(careers["start"] <= we) & (careers["end"] >= ws)]
    home = _homes(town, active["hh"].to_numpy(), live)
    ids = town.addresses["address_id"].to_numpy()
    active = active.assign(address_id=np.where(home >= 0, ids[np.maximum(home, 0)], None))
    family = set(family_households.tolist())
    active = active[[a in family for a in active["address_id"]]]
    active = active.sort_values(["latent", "hh"], ascending=[False, True]).drop_duplicates(
        "address_id")
    drawn = active[["address_id", "latent", "class", *lists, "shape"]].rename(
        columns={name: "drawn_" + name for name in lists})
    out = counted[["address_id", *lists]].merge(drawn, on="address_id", how="outer")
    for name in lists:
        out[name] = out[name].fillna(0).astype(int)
        out["drawn_" + name] = out["drawn_" + name].astype("Int64")
    out["latent"] = out["latent"].eq(True)  # missing (outer join): not latent
    out["class"] = out["class"].fillna("").astype(str)
    out["shape"] = out["shape"].fillna("").astype(str)
    return out[["address_id", *lists, "latent", "class", *("drawn_" + n for n in lists),
                "shape"]].sort_values("address_id", ignore_index=True)


def _prevalence(counted: pd.DataFrame, capture: pd.DataFrame) -> dict:
    lists = list(oracle.LISTS)
    seen = capture[lists].sum(axis=1) > 0
    unseen = int((capture["latent"] & ~seen).sum())
    return {"lists": lists, "observed": int(len(counted)), "unseen": unseen,
            "total": int(len(counted)) + unseen,
            "table": oracle.list_table(counted[lists]),
            "latent": int(capture["latent"].sum()), "chance": int((seen & ~capture["latent"]).sum()),
            "capture_model": CAPTURE_MODEL_TEXT, "model": CAPTURE_MODEL}


def _live(town: Town, day: int) -> pd.DataFrame:
    """The register's persons on `day` with the address they live at (`address`)."""
    persons, residences = town.register_on(day)
    live = residences[(residences["end"] == NO_DAY) | (residences["end"] > day)]
    where = np.full(len(town.persons), -1)
    where[live["person"].to_numpy()] = live["address"].to_numpy()
    p = persons[["surname", "prefix", "given_names", "birth", "mother", "father", "sex"]].assign(
        address=where[persons.index.to_numpy()])
    return p[p["address"] >= 0]


def _babies_after_records(town: Town, p: pd.DataFrame,
                          truth_records: pd.DataFrame) -> pd.DataFrame:
    """A parent and the child of the same sex with the parent's first given name, living
    together (`p`: _live), where a record of the parent in this delivery began before the
    child was born: one row per such record (person_id = the parent, other_person_id = the
    baby, agency, file, record_id)."""
    ids = town.persons["person_id"].to_numpy()
    where = np.full(len(town.persons), -1)
    where[p.index.to_numpy()] = p["address"].to_numpy()
    parent = np.where(p["sex"].to_numpy() == "M", p["father"].to_numpy(), p["mother"].to_numpy())
    ok = parent >= 0
    ok[ok] = where[parent[ok]] == p["address"].to_numpy()[ok]
    child = p.index.to_numpy()[ok]
    parent = parent[ok]
    given = town.persons["given_names"].to_numpy()
    same = np.array([a.split(" ")[0] == b.split(" ")[0]
                     for a, b in zip(given[child], given[parent])], dtype=bool)
    kids = pd.DataFrame({"person_id": ids[parent[same]], "other_person_id": ids[child[same]],
                         "born": to_dates(town.persons["birth"].to_numpy()[child[same]])})
    records = truth_records[truth_records["person_id"].isin(kids["person_id"])].merge(
        kids, on="person_id")
    records = records[pd.to_datetime(records["contact_date"]) < pd.to_datetime(records["born"])]
    return records[["person_id", "other_person_id", "agency", "file", "record_id"]].reset_index(
        drop=True)


# Kinds of cases.json whose two people live in one household, so that one record can fit
# either: the ones `deciding_records` looks at.
_SAME_HOUSEHOLD = ("baby_after_parent_record", "father_son_same_name",
                   "mother_daughter_same_name", "twins", "large_family_similar_names")


def _deciding_records(cases: dict[str, pd.DataFrame], usable: pd.DataFrame,
                      counted: pd.DataFrame) -> pd.DataFrame:
    """The records of one of two members of a household that a linker can confuse (cases of
    the kinds in _SAME_HOUSEHOLD; for a baby only the parent's records from before the
    birth) without which their household would not be counted ("count") or would be in
    another category ("category"): the oracle's rules applied to the household's records
    with and without that member's. A linker that cannot tell the two apart fails on all of
    them alike. One row a record: kind, agency, file, record_id, person_id (the record's
    true person), other_person_id (the one it can be taken for), address_id, category,
    category_without, decides."""
    found = []
    for kind in _SAME_HOUSEHOLD:
        c = cases[kind]
        if kind == "baby_after_parent_record":
            found.append(usable.merge(c[["person_id", "other_person_id", "file", "record_id"]],
                                      on=["person_id", "file", "record_id"]).assign(kind=kind))
            continue
        both = pd.concat([c[["person_id", "other_person_id"]],
                          c.rename(columns={"person_id": "other_person_id",
                                            "other_person_id": "person_id"})])
        found.append(usable.merge(both, on="person_id").assign(kind=kind))
    columns = ["kind", "agency", "file", "record_id", "person_id", "other_person_id",
               "address_id", "category", "category_without", "decides"]
    cand = pd.concat(found, ignore_index=True)
    cand = cand[cand["address_id"].isin(counted["address_id"])]
    # One record once (the first kind it is of), and its member with it.
    cand = cand.drop_duplicates(["file", "record_id"]).reset_index(drop=True)
    if cand.empty:
        return pd.DataFrame(columns=columns)
    unit = cand[["kind", "person_id", "address_id"]].drop_duplicates().reset_index(drop=True)
    unit["key"] = np.arange(len(unit))
    cand = cand.merge(unit, on=["kind", "person_id", "address_id"])
    rest = unit[["key", "address_id"]].merge(usable, on="address_id")
    gone = rest.merge(cand[["key", "file", "record_id"]], on=["key", "file", "record_id"],
                      how="left", indicator=True)["_merge"].eq("both").to_numpy()
    rest = rest[~gone]
    without = oracle.category_of(oracle.lists_of(rest.assign(address_id=rest["key"])))
    cand["category"] = cand["address_id"].map(counted.set_index("address_id")["category"])
    cand["category_without"] = cand["key"].map(without).fillna("")
    cand["decides"] = np.where(cand["category_without"] == "", "count", np.where(
        cand["category_without"] != cand["category"], "category", ""))
    return cand.loc[cand["decides"] != "", columns].sort_values(
        ["kind", "file", "record_id"], ignore_index=True)


def _cases(town: Town, day: int, p: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The truly ambiguous people on `day`, found in the register itself: twins at one
    address, father and son and mother and daughter with the same first given name at one
    address, siblings (one of them a minor) of a large family (5+ children of one mother at
    one address) whose first given names share an initial, and namesakes (same surname,
    first given name and birth date) at different addresses. `p`: _live(town, day)."""
    where = np.full(len(town.persons), -1)
    where[p.index.to_numpy()] = p["address"].to_numpy()
    ids = town.persons["person_id"].to_numpy()

    def pairs(left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"person_id": ids[left], "other_person_id": ids[right]})

    first = np.array([g.partition(" ")[0] for g in town.persons["given_names"].to_numpy()],
                     dtype=object)

    def first_names(frame: pd.DataFrame) -> np.ndarray:  # frame indexed by person
        return first[frame.index.to_numpy()]

    kids = p[(p["mother"] >= 0) & p.duplicated(["mother", "birth"], keep=False)]
    twins = kids.reset_index(names="idx").merge(kids.reset_index(names="idx"),
                                                on=["mother", "birth", "address"])
    twins = twins[twins["idx_x"] < twins["idx_y"]]
    sons = p[(p["father"] >= 0) & (where[np.maximum(p["father"].to_numpy(), 0)]
                                   == p["address"].to_numpy())]
    same = sons[first_names(sons) == first[sons["father"].to_numpy()]]
    key = ["surname", "prefix", "birth"]
    named = p[p.duplicated(key, keep=False)]  # self-join only the candidates
    named = named.assign(first=first_names(named)).reset_index(names="idx")
    namesakes = named.merge(named, on=key + ["first"])
    namesakes = namesakes[(namesakes["idx_x"] < namesakes["idx_y"])
                          & (namesakes["address_x"] != namesakes["address_y"])]
    daughters = p[(p["mother"] >= 0) & (where[np.maximum(p["mother"].to_numpy(), 0)]
                                        == p["address"].to_numpy())]
    same_mother = daughters[first_names(daughters) == first[daughters["mother"].to_numpy()]]
    children = p[p["mother"] >= 0]
    big = children.groupby(["address", "mother"]).size()
    big = big[big >= LARGE_FAMILY].reset_index()[["address", "mother"]]
    large = children.reset_index(names="idx").merge(big, on=["address", "mother"])
    large = large.assign(initial=[f[:1] for f in first[large["idx"].to_numpy()]],
                         minor=(day - large["birth"]) < 18 * 365.25)
    siblings = large.merge(large, on=["address", "mother", "surname", "initial"])
    siblings = siblings[(siblings["idx_x"] < siblings["idx_y"])
                        & (siblings["minor_x"] | siblings["minor_y"])]
    return {"twins": pairs(twins["idx_x"].to_numpy(), twins["idx_y"].to_numpy()),
            "father_son_same_name": pairs(same.index.to_numpy(), same["father"].to_numpy()),
            "mother_daughter_same_name": pairs(same_mother.index.to_numpy(),
                                               same_mother["mother"].to_numpy()),
            "large_family_similar_names": pairs(siblings["idx_x"].to_numpy(),
                                                siblings["idx_y"].to_numpy()),
            "namesakes_same_birth_date": pairs(namesakes["idx_x"].to_numpy(),
                                               namesakes["idx_y"].to_numpy())}
