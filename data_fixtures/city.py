"""`make_city` and `make_quarters`: a synthetic city's delivery plus the truth about it.

Layout of one city:   FOLDER/delivery/delivery.toml (+ the files it names)
                      FOLDER/truth/truth.json, truth_neighbourhoods.csv, truth_links.csv,
                                   truth_records.csv, truth_households.csv,
                                   truth_rejects.csv, cases.json
Quarters:             FOLDER/<run>/delivery/... and FOLDER/<run>/truth/... per quarter.

The truth is the oracle (oracle.py, an independent pandas reading of definitions.md) applied
to the register extract and the usable agency rows of the delivery with their TRUE persons.
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
from mpg.data_fixtures.agencies import true_records
from mpg.data_fixtures.delivery import (EXPORT_LAG, EXPORT_LOOKBACK, assign_ids, write_manifest,
                                    write_register, write_sources)
from mpg.data_fixtures.noise import render
from mpg.data_fixtures.population import NO_DAY, Town, day_number

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
    truth: dict  # shaped exactly like OUT/summary.json
    truth_neighbourhoods: pd.DataFrame  # shaped like OUT/neighbourhoods.csv
    truth_links: pd.DataFrame  # agency, file, record_id, person_id (None: no register person)
    truth_records: pd.DataFrame  # truth_links + why (how the record arose) + noise tags
    truth_households: pd.DataFrame  # counted households: address_id, category, ... agencies
    cases: dict[str, pd.DataFrame] = field(repr=False)  # ambiguous people, by kind
    timings: dict[str, float] = field(default_factory=dict, repr=False)

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
    records = true_records(town, t0, t1, rng_records, focus)
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
        summary, table, counted = oracle.count(period, persons, residences, neighbourhoods,
                                               written.records, links, len(written.rejects),
                                               detail=True)
        lap("truth")
        cases = _cases(town, ref)
        truth_records = written.truth_records.merge(
            written.records[["file", "record_id", "contact_date", "end_date"]],
            on=["file", "record_id"], how="left")
        _write_truth(truth_dir, summary, table, links, truth_records, written.rejects, cases,
                     counted)
        lap("write_truth")
        cities.append(City(
            name=period.name, folder=city_folder, manifest_path=manifest, period=period,
            difficulty=difficulty, seed=seed, n_persons=len(persons), truth=summary,
            truth_neighbourhoods=table, truth_links=links.reset_index(drop=True),
            truth_records=truth_records, truth_households=counted, cases=cases,
            timings=dict(timings)))
    return cities


def _write_truth(folder: Path, summary: dict, table: pd.DataFrame, links: pd.DataFrame,
                 truth_records: pd.DataFrame, rejects: pd.DataFrame,
                 cases: dict[str, pd.DataFrame], counted: pd.DataFrame) -> None:
    (folder / "truth.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    table.to_csv(folder / "truth_neighbourhoods.csv", index=False)
    links.to_csv(folder / "truth_links.csv", index=False)
    truth_records.to_csv(folder / "truth_records.csv", index=False)
    rejects.to_csv(folder / "truth_rejects.csv", index=False)
    counted.to_csv(folder / "truth_households.csv", index=False)
    (folder / "cases.json").write_text(json.dumps(
        {k: v.to_dict(orient="records") for k, v in cases.items()}, indent=1), encoding="utf-8")


def _cases(town: Town, day: int) -> dict[str, pd.DataFrame]:
    """The truly ambiguous people on `day`, found in the register itself: twins at one
    address, father and son with the same first given name at one address, and namesakes
    (same surname, first given name and birth date) at different addresses."""
    persons, residences = town.register_on(day)
    live = residences[(residences["end"] == NO_DAY) | (residences["end"] > day)]
    where = np.full(len(town.persons), -1)
    where[live["person"].to_numpy()] = live["address"].to_numpy()
    p = persons[["surname", "prefix", "given_names", "birth", "mother", "father"]].assign(
        address=where[persons.index.to_numpy()])
    p = p[p["address"] >= 0]
    ids = town.persons["person_id"].to_numpy()

    def pairs(left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"person_id": ids[left], "other_person_id": ids[right]})

    def first_names(frame: pd.DataFrame) -> pd.Series:
        return frame["given_names"].str.split(" ").str[0]

    kids = p[(p["mother"] >= 0) & p.duplicated(["mother", "birth"], keep=False)]
    twins = kids.reset_index(names="idx").merge(kids.reset_index(names="idx"),
                                                on=["mother", "birth", "address"])
    twins = twins[twins["idx_x"] < twins["idx_y"]]
    sons = p[(p["father"] >= 0) & (where[np.maximum(p["father"].to_numpy(), 0)]
                                   == p["address"].to_numpy())]
    dad_first = first_names(town.persons.loc[sons["father"]]).to_numpy()
    same = sons[first_names(sons).to_numpy() == dad_first]
    key = ["surname", "prefix", "birth"]
    named = p[p.duplicated(key, keep=False)]  # self-join only the candidates
    named = named.assign(first=first_names(named)).reset_index(names="idx")
    namesakes = named.merge(named, on=key + ["first"])
    namesakes = namesakes[(namesakes["idx_x"] < namesakes["idx_y"])
                          & (namesakes["address_x"] != namesakes["address_y"])]
    return {"twins": pairs(twins["idx_x"].to_numpy(), twins["idx_y"].to_numpy()),
            "father_son_same_name": pairs(same.index.to_numpy(), same["father"].to_numpy()),
            "namesakes_same_birth_date": pairs(namesakes["idx_x"].to_numpy(),
                                               namesakes["idx_y"].to_numpy())}
