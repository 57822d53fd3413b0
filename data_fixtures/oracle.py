"""An independent, deliberately plain pandas reading of ../shared/spec/definitions.md.

This is the test oracle: tests compare the SQL pipeline against what this module computes
from the TRUE links of a synthetic city. It must therefore not share code with the product
(nothing from pipeline/, sources/, linkage/ or reports/ is imported) and it favours
obviousness over speed. It is checked against the worked example in
../shared/spec/example (tests/test_fixtures.py).

Readings of the spec that the worked example settles:
- BIJSTAND is a profile source: its records are never in `not_counted` (U-3 in the example
  ended before the window and is not among the 2 records outside the window).
- `no_family_household` and `unlinked_records` count records in the window, so the three
  `not_counted` record counts exclude one another.
Readings the example does not settle (the generator avoids depending on them):
- `anonymous_zorgnetwerk` counts anonymous reports in the window (the care networks'
  exports written by the generator only hold reports from the window).
- `agency_combinations` describes MULTI_AGENCY households only (outputs.md: "the agencies a
  MULTI_AGENCY household is known at").
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ADULT_AGE = 18
MIN_AGENCIES = 3
# The six agencies of the multi-agency rule: source code -> agency.
SIX_AGENCIES = {
    "MJD": "MJD", "GELDZORG": "GELDZORG", "JEUGDZORG_TOEGANG": "JEUGDZORG",
    "JEUGDZORG_VOOGDIJ": "JEUGDZORG", "JEUGDZORG_RECLASSERING": "JEUGDZORG", "ZAR": "ZAR",
    "WOONKANS": "WOONKANS", "OGGZ": "OGGZ",
}
MIN_RECORDS = {"MJD": 2}  # one MJD contact is a referral, not a signal
# The capture lists of the prevalence estimate: each family household's membership of the
# three selection rules BEFORE precedence (a BIB family known at 3 agencies is on two lists).
LISTS = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")


@dataclass(frozen=True)
class Period:
    name: str
    reference_date: dt.date
    window_start: dt.date
    window_end: dt.date


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip().fillna("") == "")


def age_on(birth: pd.Series, day: dt.date) -> pd.Series:
    """Completed years on `day` (the birthday itself counts)."""
    b = pd.to_datetime(birth)
    before_birthday = (b.dt.month * 100 + b.dt.day) > (day.month * 100 + day.day)
    return day.year - b.dt.year - before_birthday.astype(int)


def lists_of(usable: pd.DataFrame) -> pd.DataFrame:
    """Which of the three lists (LISTS) each household is on, from its usable records
    (agency, address_id: named records in the window, of family households): one row per
    household on at least one list, indexed by address_id, 0/1 columns BIB, MULTI_AGENCY,
    ZORGNETWERK, plus `agencies` (the counting agencies of the six, joined with "+")."""
    bib = set(usable.loc[usable["agency"] == "BIB", "address_id"])
    zorgnetwerk = set(usable.loc[usable["agency"] == "ZORGNETWERK", "address_id"])
    six = usable[usable["agency"].isin(SIX_AGENCIES)].assign(
        agency6=lambda d: d["agency"].map(SIX_AGENCIES))
    per_agency = six.groupby(["address_id", "agency6"]).size().reset_index(name="n")
    per_agency = per_agency[per_agency["n"] >= per_agency["agency6"].map(MIN_RECORDS).fillna(1)]
    agencies_of = per_agency.groupby("address_id")["agency6"].agg(lambda a: "+".join(sorted(a)))
    n_agencies = per_agency.groupby("address_id").size()
    multi = set(n_agencies[n_agencies >= MIN_AGENCIES].index)
    index = pd.Index(sorted(bib | multi | zorgnetwerk), name="address_id", dtype="object")
    out = pd.DataFrame({"BIB": index.isin(bib), "MULTI_AGENCY": index.isin(multi),
                        "ZORGNETWERK": index.isin(zorgnetwerk)}, index=index).astype(int)
    out["agencies"] = agencies_of.reindex(index).fillna("").astype(str).to_numpy()
    return out


def category_of(lists: pd.DataFrame) -> pd.Series:
    """The one category of each household on a list: BIB before MULTI_AGENCY before
    ZORGNETWERK (definitions.md's precedence)."""
    return pd.Series(np.where(lists["BIB"] == 1, "BIB", np.where(
        lists["MULTI_AGENCY"] == 1, "MULTI_AGENCY", "ZORGNETWERK")), index=lists.index,
        dtype="object")


def list_table(lists: pd.DataFrame) -> list[dict]:
    """The observed list table: the count of households per pattern of the three lists, for
    every pattern a household can be seen in (the 7 besides "on no list"; zero counts kept)."""
    counts = lists.groupby(list(LISTS)).size()
    table = []
    for pattern in [(b, m, z) for b in (0, 1) for m in (0, 1) for z in (0, 1)][1:]:
        table.append({**dict(zip(LISTS, pattern)), "count": int(counts.get(pattern, 0))})
    return table


def count(period: Period, persons: pd.DataFrame, residences: pd.DataFrame,
          neighbourhoods: pd.DataFrame | None, records: pd.DataFrame, links: pd.DataFrame,
          rejects: int, detail: bool = False, extras: bool = False) -> tuple:
    """summary.json and neighbourhoods.csv of outputs.md, from canonical tables; with
    `detail`, also the counted households (address_id, category, neighbourhood_code,
    n_adults, n_children, agencies, bijstand, and the 0/1 list columns BIB, MULTI_AGENCY,
    ZORGNETWERK before precedence), like OUT/households.parquet. With `extras` (implies
    `detail`), a fourth item: {"family_households": the family households' address_ids,
    "usable": the records that select (file, record_id, person_id, agency, address_id)}.

    persons: person_id, birth_date. residences: person_id, address_id, neighbourhood_code,
    start_date, end_date. records (usable rows only): agency, file, record_id, contact_date,
    end_date, bsn, surname, birth_date. links: file, record_id, person_id (None = no person).
    """
    ref = pd.Timestamp(period.reference_date)
    ws, we = pd.Timestamp(period.window_start), pd.Timestamp(period.window_end)

    # Households: who lives at which address on the reference date.
    start = pd.to_datetime(residences["start_date"])
    end = pd.to_datetime(residences["end_date"])
    current = residences[(start <= ref) & (end.isna() | (end > ref))]
    if current["person_id"].duplicated().any():
        raise ValueError("a person has two residences on the reference date")
    members = current[["person_id", "address_id", "neighbourhood_code"]].merge(
        persons[["person_id", "birth_date"]], on="person_id", how="left")
    child = age_on(members["birth_date"], period.reference_date) < ADULT_AGE
    members["n_children"] = child.astype(int)
    members["n_adults"] = (~child).astype(int)
    households = members.groupby("address_id").agg(
        n_adults=("n_adults", "sum"), n_children=("n_children", "sum"),
        neighbourhood_code=("neighbourhood_code", "first"))
    households["family"] = (households["n_adults"] >= 1) & (households["n_children"] >= 1)
    family = households[households["family"]]

    # Records, their person and that person's household.
    rec = records.merge(links[["file", "record_id", "person_id"]],
                        on=["file", "record_id"], how="left", validate="one_to_one")
    contact = pd.to_datetime(rec["contact_date"])
    rec_end = pd.to_datetime(rec["end_date"])
    rec["in_window"] = (contact <= we) & ((contact >= ws) | rec_end.isna() | (rec_end >= ws))
    rec["anonymous"] = ((rec["agency"] == "ZORGNETWERK") & _blank(rec["surname"])
                        & _blank(rec["birth_date"]) & _blank(rec["bsn"]))
    linked = ~_blank(rec["person_id"])
    address_of = members.set_index("person_id")["address_id"]
    rec["address_id"] = rec["person_id"].map(address_of)
    rec["family"] = rec["address_id"].isin(family.index)

    selecting = rec["agency"] != "BIJSTAND"
    named = selecting & ~rec["anonymous"]
    not_counted = {
        "anonymous_zorgnetwerk": int((rec["anonymous"] & rec["in_window"]).sum()),
        "unlinked_records": int((named & rec["in_window"] & ~linked).sum()),
        "no_family_household": int((named & rec["in_window"] & linked & ~rec["family"]).sum()),
        "outside_window": int((named & ~rec["in_window"]).sum()),
    }

    usable = rec[named & rec["in_window"] & rec["family"]]
    lists = lists_of(usable)
    zorgnetwerk = set(lists.index[lists["ZORGNETWERK"] == 1])
    agencies_of = lists["agencies"][lists["agencies"] != ""]

    category = pd.Series(None, index=family.index, dtype="object")
    category[lists.index] = category_of(lists)
    counted = family.assign(category=category).dropna(subset=["category"])

    # Profile of the BIB and MULTI_AGENCY households.
    profiled = counted[counted["category"].isin(["BIB", "MULTI_AGENCY"])]
    bijstand = rec[(rec["agency"] == "BIJSTAND") & linked & (contact <= we)
                   & (rec_end.isna() | (rec_end >= ws))]
    bijstand_households = set(bijstand["address_id"].dropna())
    bib_any = set(rec.loc[named & rec["in_window"] & (rec["agency"] == "BIB"),
                          "address_id"].dropna())
    per_household = profiled["n_children"].value_counts()
    combinations = agencies_of[agencies_of.index.isin(
        counted.index[counted["category"] == "MULTI_AGENCY"])].value_counts()

    by_category = counted["category"].value_counts()
    summary = {
        "run": period.name,
        "reference_date": period.reference_date.isoformat(),
        "window": [period.window_start.isoformat(), period.window_end.isoformat()],
        "family_households": int(len(family)),
        "mpg_total": int(len(counted)),
        "by_category": {c: int(by_category.get(c, 0))
                        for c in ("BIB", "MULTI_AGENCY", "ZORGNETWERK")},
        "zorgnetwerk_identified": int(len(zorgnetwerk)),
        "bib_without_children": int(len(bib_any - set(family.index))),
        "household_types": {
            "single_parent": int((profiled["n_adults"] == 1).sum()),
            "two_adults": int((profiled["n_adults"] == 2).sum()),
            "more_adults": int((profiled["n_adults"] >= 3).sum()),
        },
        "children": {
            "total": int(profiled["n_children"].sum()),
            "per_household": {str(k): int(per_household[k]) for k in sorted(per_household.index)},
        },
        "agency_combinations": {k: int(combinations[k]) for k in sorted(combinations.index)},
        "bijstand_households": int(profiled.index.isin(bijstand_households).sum()),
        "not_counted": not_counted,
        "rejects": int(rejects),
    }

    # Neighbourhood table: every neighbourhood of the register, in code order.
    names = {} if neighbourhoods is None else dict(
        zip(neighbourhoods["neighbourhood_code"], neighbourhoods["neighbourhood_name"]))
    codes = sorted(set(names) | set(households["neighbourhood_code"]))
    table = pd.DataFrame({"neighbourhood_code": codes})
    table["neighbourhood_name"] = table["neighbourhood_code"].map(names).fillna("")
    table["family_households"] = table["neighbourhood_code"].map(
        family.groupby("neighbourhood_code").size()).fillna(0).astype(int)
    for cat, column in (("BIB", "bib"), ("MULTI_AGENCY", "multi_agency"),
                        ("ZORGNETWERK", "zorgnetwerk")):
        table[column] = table["neighbourhood_code"].map(
            counted[counted["category"] == cat].groupby("neighbourhood_code").size()
        ).fillna(0).astype(int)
    table["mpg_total"] = table["bib"] + table["multi_agency"] + table["zorgnetwerk"]
    total_fh, total_mpg = table["family_households"].sum(), table["mpg_total"].sum()
    table["share_of_family_households"] = (
        table["family_households"] / total_fh if total_fh else 0.0)
    table["share_of_mpg"] = table["mpg_total"] / total_mpg if total_mpg else 0.0
    table[["share_of_family_households", "share_of_mpg"]] = table[
        ["share_of_family_households", "share_of_mpg"]].astype(float).round(6)
    if not (detail or extras):
        return summary, table
    households_out = counted.reset_index()[["address_id", "category", "neighbourhood_code",
                                            "n_adults", "n_children"]]
    households_out["agencies"] = households_out["address_id"].map(agencies_of).fillna("")
    households_out["bijstand"] = households_out["address_id"].isin(bijstand_households)
    for name in LISTS:
        households_out[name] = households_out["address_id"].map(lists[name]).astype(int)
    households_out = households_out.sort_values("address_id", ignore_index=True)
    if not extras:
        return summary, table, households_out
    return summary, table, households_out, {
        "family_households": family.index,
        "usable": usable[["file", "record_id", "person_id", "agency", "address_id"]]}


# --- A minimal reader of delivery.md, so the oracle can run on any delivery folder ---------

@dataclass(frozen=True)
class Delivery:
    period: Period
    persons: pd.DataFrame
    residences: pd.DataFrame
    neighbourhoods: pd.DataFrame | None
    records: pd.DataFrame  # usable rows, canonical columns + agency, file, row
    rejects: pd.DataFrame  # file, row, reason


def _read_table(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object)
    return pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str,
                       keep_default_na=False, na_values=[])


def _canonical(frame: pd.DataFrame, columns: dict[str, str], fields: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for field in fields:
        name = columns.get(field, field)
        out[field] = frame[name] if name in frame.columns else None
    return out


def _dates(values: pd.Series, fmt: str) -> pd.Series:
    """Parse strings with `fmt`; date/datetime cells (xlsx, parquet) are taken as they are."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return pd.NaT
        if isinstance(v, (dt.date, pd.Timestamp)):
            return pd.Timestamp(v).normalize()
        v = str(v).strip()
        if not v:
            return pd.NaT
        try:
            return pd.Timestamp(dt.datetime.strptime(v, fmt))
        except ValueError:
            return pd.NaT
    return pd.to_datetime(values.map(one))


RECORD_FIELDS = ["record_id", "client_id", "bsn", "surname", "prefix", "given_names",
                 "birth_date", "sex", "postcode", "house_number", "house_number_addition",
                 "contact_date", "end_date", "neighbourhood_code"]


def read_delivery(manifest_path: str | Path) -> Delivery:
    manifest_path = Path(manifest_path)
    with open(manifest_path, "rb") as fh:
        manifest = tomllib.load(fh)
    folder = manifest_path.parent
    run = manifest["run"]
    day = lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v)  # noqa: E731
    period = Period(run["name"], day(run["reference_date"]), day(run["window_start"]),
                    day(run["window_end"]))
    reg = manifest["register"]
    persons = _canonical(_read_table(folder / reg["persons"]), reg.get("persons_columns", {}),
                         ["person_id", "birth_date"])
    persons["birth_date"] = _dates(persons["birth_date"], "%Y-%m-%d")
    residences = _canonical(_read_table(folder / reg["residences"]),
                            reg.get("residences_columns", {}),
                            ["person_id", "address_id", "neighbourhood_code", "start_date",
                             "end_date"])
    for c in ("start_date", "end_date"):
        residences[c] = _dates(residences[c], "%Y-%m-%d")
    neighbourhoods = None
    if reg.get("neighbourhoods"):
        neighbourhoods = _canonical(_read_table(folder / reg["neighbourhoods"]),
                                    reg.get("neighbourhoods_columns", {}),
                                    ["neighbourhood_code", "neighbourhood_name"])

    records, rejects = [], []
    for source in manifest.get("source", []):
        raw = _read_table(folder / source["path"], source.get("delimiter", ","),
                          source.get("encoding", "utf-8"))
        frame = _canonical(raw, source.get("columns", {}), RECORD_FIELDS)
        fmt = source.get("date_format", "%Y-%m-%d")
        frame["contact_date"] = _dates(frame["contact_date"], fmt)
        for c in ("end_date", "birth_date"):
            frame[c] = _dates(frame[c], fmt)
        frame["record_id"] = frame["record_id"].map(
            lambda v: None if v is None or pd.isna(v) or str(v).strip() == "" else str(v).strip())
        frame["row"] = np.arange(1, len(frame) + 1)
        reason = pd.Series(None, index=frame.index, dtype="object")
        reason[frame["contact_date"].isna()] = "contact_date missing or not a date"
        reason[frame["record_id"].duplicated() & frame["record_id"].notna()] = \
            "record_id seen earlier in the file"
        reason[frame["record_id"].isna()] = "no record_id"
        bad = reason.notna()
        rejects.append(pd.DataFrame({"file": source["path"], "row": frame.loc[bad, "row"],
                                     "reason": reason[bad]}))
        records.append(frame[~bad].assign(agency=source["agency"], file=source["path"]))
    return Delivery(period, persons, residences, neighbourhoods,
                    pd.concat(records, ignore_index=True),
                    pd.concat(rejects, ignore_index=True))


def count_delivery(manifest_path: str | Path, links: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """The oracle on a delivery folder and its true links (agency, file, record_id, person_id)."""
    d = read_delivery(manifest_path)
    links = links.assign(person_id=links["person_id"].map(
        lambda v: None if v is None or pd.isna(v) or str(v) == "" else str(v)),
        record_id=links["record_id"].astype(str))
    persons = d.persons.assign(person_id=d.persons["person_id"].astype(str))
    residences = d.residences.assign(person_id=d.residences["person_id"].astype(str))
    return count(d.period, persons, residences, d.neighbourhoods, d.records, links,
                 len(d.rejects))
