"""Which register person is known at which agency, and when: the TRUE agency records.

Records are generated over a whole timeline (from about four years before the first window
to the last export) so that one set of records serves every quarter of `make_quarters`: a
quarter's delivery is the part an agency would export on that day. Three layers, as in a real city:
- background: persons known at one agency, at rates rising with the household's risk
  (deprived neighbourhood, single parent, migrant origin);
- problem episodes of households: BIB families, families at 3+ agencies, care-network
  reports, near misses (2 agencies, one MJD contact, Jeugdzorg twice), singles at several
  agencies, BIB families whose children are all grown up;
- records of people who are not in the register, anonymous care-network reports, and
  records on the truly ambiguous people (twins, father and son with one name, namesakes).
Rows get their identifying fields (with noise) in `noise.py`.
"""
from __future__ import annotations

import random

import numpy as np
import pandas as pd

from mpg.data_fixtures.population import (ADULT_CHILDREN, COUPLE, ELDERLY, FAMILY_TYPES, GRANDMOTHER,
                                      MAN, NO_DAY, SHARED, SINGLE, SINGLE_HH, SINGLE_PARENT,
                                      THREE_GENERATIONS, TWO_PARENT, WOMAN, YEAR, Town)

SIX = ("MJD", "GELDZORG", "JEUGDZORG", "ZAR", "WOONKANS", "OGGZ")
_SIX_WEIGHT = np.array([0.75, 0.65, 0.7, 0.3, 0.2, 0.35])
# Single parents are most of the multi-problem families (113 of 168 in the original study).
_KIND_RISK = {SINGLE_HH: 1.2, COUPLE: 0.5, ELDERLY: 0.4, TWO_PARENT: 0.7, SINGLE_PARENT: 5.0,
              THREE_GENERATIONS: 1.5, ADULT_CHILDREN: 1.2, SHARED: 0.6}
_ORIGIN_RISK = {"NL": 1.0, "MA": 1.6, "TR": 1.6, "SR": 1.4, "ANT": 1.7, "other": 1.3}

# Episodes a year per household of risk 1 (calibrated: at 60k persons a few hundred MPG).
EPISODE_RATE = {"bib": 0.0028, "multi": 0.0075, "zorg": 0.0080, "near": 0.016}
SINGLES_MULTI_RATE = 0.004
GROWN_BIB_RATE = 0.002
# Background: (source, min age, max age (exclusive), records a year per person of risk 1).
BACKGROUND = [
    ("MJD", 18, 120, 0.010), ("GELDZORG", 18, 120, 0.005),
    ("JEUGDZORG_TOEGANG", 0, 18, 0.010), ("JEUGDZORG_VOOGDIJ", 0, 18, 0.0008),
    ("JEUGDZORG_RECLASSERING", 12, 18, 0.002), ("ZAR", 5, 18, 0.005),
    ("WOONKANS", 18, 120, 0.0015), ("OGGZ", 18, 120, 0.003),
]


def household_risk(town: Town) -> np.ndarray:
    h = town.households
    first_member = town.persons.groupby("hh").head(1)
    origin = pd.Series(first_member["origin"].to_numpy(), index=first_member["hh"].to_numpy())
    origin = origin.reindex(np.arange(len(h))).fillna("NL").to_numpy()
    risk = (np.exp(2.2 * h["deprivation"].to_numpy())
            * h["kind"].map(_KIND_RISK).to_numpy()
            * pd.Series(origin).map(_ORIGIN_RISK).to_numpy())
    return risk / risk[h["kind"].isin(FAMILY_TYPES).to_numpy()].mean()


class _Records:
    """Collects record rows as columns: person, source, contact and end day, and `why` (the
    layer or episode the record comes from, kept in the truth for diagnostics)."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {"person": [], "source": [], "contact": [], "end": [],
                                      "why": []}

    def add(self, person, source, contact, end, why) -> None:
        n = len(np.atleast_1d(contact))
        for key, value in (("person", person), ("source", source), ("contact", contact),
                           ("end", end), ("why", why)):
            v = np.atleast_1d(value)
            self.cols[key].append(np.repeat(v, n) if len(v) == 1 and n != 1 else v)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: np.concatenate(v) if v else [] for k, v in self.cols.items()})


# Even a tiny test city has a few of each: these many episodes start inside the first window.
GUARANTEED_EPISODES = {"bib": 2, "multi": 2, "zorg": 2, "near": 2, "singles_multi": 2,
                       "bib_grown": 2}


def true_records(town: Town, t0: int, t1: int, rng: np.random.Generator,
                 focus: tuple[int, int]) -> pd.DataFrame:
    """All agency records of the timeline (t0, t1] with the true person (-1 = not in the
    register: an identity is made up for them in noise.py). `focus` is the first run's
    window: the guaranteed cases fall inside it."""
    p = town.persons
    n = len(p)
    risk_h = household_risk(town)
    hh = p["hh"].to_numpy()
    mother = p["mother"].to_numpy()
    # Babies born during the run have no generated household: they share their mother's.
    hh_eff = np.where(hh >= 0, hh, hh[np.maximum(mother, 0)])
    risk_p = risk_h[hh_eff]
    birth = p["birth"].to_numpy()
    first_start = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_start, town.res_person, town.res_start)
    ends = np.where(town.res_end == NO_DAY, np.iinfo(np.int64).max, town.res_end)
    last_end = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_end, town.res_person, ends)
    out = _Records()

    # Background: one agency, Poisson over the time a person lived in the city.
    lo = np.maximum(first_start, t0)
    hi = np.minimum(last_end, t1)
    exposure = np.clip(hi - lo, 0, None) / YEAR
    single_hh = town.households["kind"].to_numpy()[hh_eff] == SINGLE_HH
    for source, a_min, a_max, rate in BACKGROUND:
        lam = rate * risk_p * exposure * (np.where(single_hh, 2.0, 1.0) if source == "OGGZ" else 1)
        k = rng.poisson(lam)
        who = np.repeat(np.arange(n), k)
        day = lo[who] + (rng.random(len(who)) * (hi[who] - lo[who])).astype(np.int64)
        age = (day - birth[who]) / YEAR
        ok = (age >= a_min) & (age < a_max)
        who, day = who[ok], day[ok]
        if source == "MJD":  # a client has one to three contacts within half a year
            extra = rng.choice([0, 1, 2], size=len(who), p=[0.55, 0.3, 0.15])
            rep = np.repeat(np.arange(len(who)), extra + 1)
            step = np.where(np.arange(len(rep)) == np.searchsorted(rep, rep), 0,
                            rng.integers(7, 180, size=len(rep)))
            who, day = who[rep], day[rep] + step  # past t1 is dropped below
        out.add(who, source, day, _end_dates(rng, source, day), "background")

    troubled = _episodes(town, risk_h, t0, t1, rng, out, focus)
    _ambiguous_cases(town, t0, t1, rng, out)
    records = out.frame()
    records["person"] = records["person"].astype(np.int64)
    records["contact"] = records["contact"].astype(np.int64)
    records["end"] = records["end"].astype(np.int64)
    # A record falls between the person's birth or first registration here and the day
    # they left the city (or died).
    pr = records["person"].to_numpy()
    c = records["contact"].to_numpy()
    ok = (c >= np.maximum(first_start[pr], birth[pr])) & (c <= last_end[pr]) & (c <= t1)
    records = records[ok]

    records = pd.concat([records, _bijstand(town, risk_h, troubled, t0, t1, rng, first_start,
                                            last_end),
                         _unregistered(town, records, t0, t1, rng, focus)], ignore_index=True)
    anonymous = _anonymous_reports(town, records, t0, t1, rng, focus)
    records = pd.concat([records, anonymous], ignore_index=True)
    return records.sort_values(["source", "contact"], kind="stable").reset_index(drop=True)


# How long a registration lasts (shortest, longest, in days). Every case ends some day; an
# export shows the end date empty while it is still in the future (delivery.py), so the
# share of open cases is the same in every quarter.
_SPANS = {
    "MJD": (0, 90), "GELDZORG": (200, 1400), "JEUGDZORG_VOOGDIJ": (365, 2500),
    "JEUGDZORG_RECLASSERING": (180, 720), "WOONKANS": (180, 900), "OGGZ": (30, 500),
    "BIB": (365, 1500), "BIJSTAND": (90, 3000),
}


def _end_dates(rng: np.random.Generator, source: str, day: np.ndarray) -> np.ndarray:
    """True end dates; NO_DAY for point events without an end date (Toegang, ZAR and
    care-network reports)."""
    if source not in _SPANS:
        return np.full(len(day), NO_DAY)
    lo, hi = _SPANS[source]
    return day + rng.integers(lo, hi + 1, size=len(day))


def _end_date(r: random.Random, source: str, day: int) -> int:
    """`_end_dates` for one record (the episode loop runs in plain Python for speed)."""
    if source not in _SPANS:
        return NO_DAY
    lo, hi = _SPANS[source]
    return day + r.randint(lo, hi)


def _episodes(town: Town, risk_h: np.ndarray, t0: int, t1: int, rng: np.random.Generator,
              out: _Records, focus: tuple[int, int]) -> dict[int, int]:
    """Problem episodes of households: the multi-problem families and their near misses.
    Returns {household: episode start} of the BIB, multi-agency and care-network episodes.

    An episode starts on a random day of the timeline and lasts half a year to two years;
    its records fall inside it, on the household members an agency serves (MJD mostly the
    mother, Jeugdzorg a child, ZAR a pupil, the care network a young child)."""
    h = town.households
    p = town.persons
    kind = h["kind"].to_numpy()
    years = (t1 - t0) / YEAR
    family = np.isin(kind, FAMILY_TYPES)
    plan_h, plan_ep = [], []
    rates = [(ep, rate, family) for ep, rate in EPISODE_RATE.items()] + [
        ("singles_multi", SINGLES_MULTI_RATE, kind == SINGLE_HH),
        ("bib_grown", GROWN_BIB_RATE, kind == ADULT_CHILDREN)]
    forced: list[tuple[int, str]] = []
    at_home = np.zeros(len(h), dtype=bool)
    hh_p = p["hh"].to_numpy()
    ok = (hh_p >= 0)
    ok[ok] = town.current_address[ok] == h["address"].to_numpy()[hh_p[ok]]
    at_home[hh_p[ok]] = True
    for ep, rate, mask in rates:
        k = rng.poisson(rate * years * risk_h * mask)
        plan_h.append(np.repeat(np.arange(len(h)), k))
        plan_ep += [ep] * int(k.sum())
        # The guaranteed ones: households of which someone still lives at their address.
        pool = np.flatnonzero(mask & at_home)
        if len(pool):
            forced += [(int(x), ep) for x in rng.choice(pool, size=GUARANTEED_EPISODES[ep])]
    plan_h = np.concatenate(plan_h).tolist() + [x for x, _ in forced]
    plan_ep += [ep for _, ep in forced]
    n_random = len(plan_h) - len(forced)

    # Members of each generated household (births during the run are not in it).
    real = p.index.to_numpy()[p["hh"].to_numpy() >= 0]
    hh_real = p["hh"].to_numpy()[real]
    order = np.argsort(hh_real, kind="stable")
    members_sorted = real[order].tolist()
    bounds = np.searchsorted(hh_real[order], np.arange(len(h) + 1)).tolist()
    role = p["role"].to_numpy().tolist()
    birth = p["birth"].to_numpy().tolist()
    r = random.Random(int(rng.integers(1 << 62)))
    rows: list[tuple[int, str, int, int, str]] = []
    troubled: dict[int, int] = {}

    def some(m: int, exclude: tuple[str, ...] = ()) -> list[str]:
        """m of the six agencies, weighted, without replacement (Efraimidis-Spirakis)."""
        keys = [(r.random() ** (1.0 / w), a) for a, w in zip(SIX, _SIX_WEIGHT) if a not in exclude]
        return [a for _, a in sorted(keys, reverse=True)[:m]]

    for i, (hid, ep) in enumerate(zip(plan_h, plan_ep)):
        members = members_sorted[bounds[hid]:bounds[hid + 1]]
        if i < n_random:
            # Uniform over the timeline, also for households that moved in later: records
            # from before a person lived here are dropped with the others outside their
            # residence.
            start = r.randint(t0 - 180, t1)
            length = r.randint(180, 719)
        else:  # a guaranteed episode: all its records inside the first window
            start = r.randint(focus[0], focus[0] + (focus[1] - focus[0]) // 3)
            length = (focus[1] - focus[0]) // 2
        age = {m: (start - birth[m]) / YEAR for m in members}
        adults = [m for m in members if age[m] >= 18]
        if not adults:
            continue
        women = [m for m in adults if role[m] == WOMAN]
        men = [m for m in adults if role[m] == MAN]
        heads = (women + men) or adults
        kids = [m for m in members if 0 <= age[m] < 18]
        pupils = [m for m in kids if age[m] >= 5 and age[m] < 17]
        young = [m for m in kids if age[m] < 12]
        teens = {m for m in kids if age[m] >= 12 and age[m] < 17.5}
        if ep in ("bib", "multi", "zorg"):
            troubled[hid] = start

        def when(k: int = 1) -> list[int]:
            return sorted(start + r.randrange(length) for _ in range(k))

        def add(person: int, source: str, days: list[int]) -> None:
            for d in days:
                rows.append((person, source, d, _end_date(r, source, d), ep))

        def agency(name: str, contacts: int = 0) -> None:
            if name == "MJD":
                who = r.choice(women) if women and r.random() < 0.7 else r.choice(heads)
                k = contacts or r.choices([2, 3, 4, 5], weights=[0.45, 0.3, 0.15, 0.1])[0]
                add(who, "MJD", when(k))
            elif name == "GELDZORG":
                who = r.choice(men) if men and r.random() < 0.5 else r.choice(heads)
                add(who, "GELDZORG", when(1 + (r.random() < 0.15)))
            elif name == "JEUGDZORG" and kids:
                child = r.choice(kids)
                sub = ["JEUGDZORG_TOEGANG"]
                if r.random() < 0.25:
                    sub.append("JEUGDZORG_VOOGDIJ")
                if child in teens and r.random() < 0.3:
                    sub.append("JEUGDZORG_RECLASSERING")
                if len(sub) > 1 and r.random() < 0.2:  # known to Voogdij/Reclassering only
                    sub = sub[1:]
                for s_ in sub:
                    add(child, s_, when())
            elif name == "ZAR" and pupils:
                add(r.choice(pupils), "ZAR", when())
            elif name == "WOONKANS":
                add(r.choice(heads), "WOONKANS", when())
            elif name == "OGGZ":
                who = r.choice(men) if men and r.random() < 0.6 else r.choice(adults)
                add(who, "OGGZ", when(1 + (r.random() < 0.3)))
            elif name == "BIB":
                add(r.choice(women) if women else r.choice(heads), "BIB", [start])
            elif name == "ZORGNETWERK":
                who = r.choice(young) if young and r.random() < 0.7 else r.choice(heads)
                add(who, "ZORGNETWERK", when())

        if ep == "bib":
            agency("BIB")
            for a_ in some(r.choices([0, 1, 2, 3], weights=[0.3, 0.3, 0.25, 0.15])[0]):
                agency(a_)
            if r.random() < 0.15:
                agency("ZORGNETWERK")
        elif ep == "multi":
            for a_ in some(r.choices([3, 4, 5], weights=[0.55, 0.3, 0.15])[0]):
                # Now and then MJD has one contact only, so it does not count.
                agency(a_, contacts=1 if a_ == "MJD" and r.random() < 0.12 else 0)
            if r.random() < 0.15:
                agency("ZORGNETWERK")
        elif ep == "zorg":
            agency("ZORGNETWERK")
            for a_ in some(r.choices([0, 1, 2], weights=[0.45, 0.35, 0.2])[0]):
                agency(a_)
        elif ep == "near":
            variant = r.randrange(3)
            if variant == 0:  # two agencies
                for a_ in some(2):
                    agency(a_)
            elif variant == 1:  # one MJD contact and two other agencies
                agency("MJD", contacts=1)
                for a_ in some(2, exclude=("MJD",)):
                    agency(a_)
            elif kids:  # Jeugdzorg Toegang and Voogdij (one agency) and one more
                child = r.choice(kids)
                add(child, "JEUGDZORG_TOEGANG", when())
                add(child, "JEUGDZORG_VOOGDIJ", when())
                for a_ in some(1, exclude=("JEUGDZORG",)):
                    agency(a_)
        elif ep == "singles_multi":
            for a_ in r.sample(["MJD", "GELDZORG", "OGGZ", "WOONKANS"], r.randint(2, 4)):
                agency(a_)
        elif ep == "bib_grown":
            agency("BIB")
            for a_ in some(r.randint(0, 2), exclude=("JEUGDZORG", "ZAR")):
                agency(a_)
    if rows:
        person, source, contact, end, why = zip(*rows)
        out.add(np.array(person), np.array(source, dtype=object), np.array(contact),
                np.array(end), np.array(why, dtype=object))
    return troubled


def _bijstand(town: Town, risk_h: np.ndarray, troubled: dict[int, int], t0: int, t1: int,
              rng: np.random.Generator, first_start: np.ndarray,
              last_end: np.ndarray) -> pd.DataFrame:
    """Social assistance periods: one recipient per household, more often where risk is high
    and in most multi-problem families (124 of 168 in the original study), for whom the
    period runs into their problem episode. A single mother receives it herself; in other
    households a random adult head does."""
    h = town.households
    p = town.persons
    kind = h["kind"].to_numpy()
    share = np.clip(0.035 * risk_h * np.where(kind == SINGLE_PARENT, 2.5, 1.0), 0, 0.75)
    episode = np.full(len(h), NO_DAY)
    if troubled:
        episode[list(troubled)] = list(troubled.values())
        share[list(troubled)] = 0.75
    receiving = rng.random(len(h)) < share
    heads = p[p["role"].isin([MAN, WOMAN, SINGLE, GRANDMOTHER]) & (p["hh"] >= 0)]
    hh = heads["hh"].to_numpy()
    heads = heads[receiving[hh]]
    hh = heads["hh"].to_numpy()
    key = rng.random(len(heads))
    key[(kind[hh] == SINGLE_PARENT) & (heads["role"].to_numpy() == WOMAN)] = -1.0
    order = np.lexsort((key, hh))
    person = heads.index.to_numpy()[order][np.r_[True, np.diff(hh[order]) != 0]]
    start = rng.integers(t0 - int(3 * YEAR), t1, size=len(person))
    ep = episode[p["hh"].to_numpy()[person]]
    start = np.where(ep != NO_DAY, ep - rng.integers(0, int(2 * YEAR), size=len(person)), start)
    start = np.maximum(start, np.maximum(first_start[person],
                                         p["birth"].to_numpy()[person] + int(18 * YEAR)))
    keep = start <= np.minimum(last_end[person], t1)
    person, start = person[keep], start[keep]
    end = _end_dates(rng, "BIJSTAND", start)
    end = np.where(ep[keep] != NO_DAY, np.maximum(end, ep[keep] + 365), end)
    end = np.minimum(end, last_end[person])  # assistance stops when the recipient leaves
    return pd.DataFrame({"person": person, "source": "BIJSTAND", "contact": start,
                         "end": end, "why": "bijstand"})


def _unregistered(town: Town, records: pd.DataFrame, t0: int, t1: int,
                  rng: np.random.Generator, focus: tuple[int, int]) -> pd.DataFrame:
    """Clients who are not in this register (homeless, living in the next town, moved away
    before the register extract began): about 1% of the records of the six agencies."""
    n = max(3, int(0.01 * (records["source"] != "BIJSTAND").sum()))
    sources = rng.choice(["MJD", "GELDZORG", "OGGZ", "WOONKANS", "JEUGDZORG_TOEGANG", "BIB"],
                         size=n, p=[0.35, 0.25, 0.2, 0.1, 0.08, 0.02])
    contact = rng.integers(t0, t1 + 1, size=n)
    contact[:3] = rng.integers(focus[0], focus[1] + 1, size=3)
    return pd.DataFrame({"person": -1, "source": sources, "contact": contact,
                         "end": NO_DAY, "why": "unregistered",
                         "fake": np.arange(n)})


def _anonymous_reports(town: Town, records: pd.DataFrame, t0: int, t1: int,
                       rng: np.random.Generator, focus: tuple[int, int]) -> pd.DataFrame:
    """Care-network reports with only a neighbourhood: about 0.7 per identified report."""
    n = max(2, int(0.7 * (records["source"] == "ZORGNETWERK").sum()))
    w = town.neighbourhoods["weight"].to_numpy() * (0.3 + town.neighbourhoods["deprivation"])
    wijk = rng.choice(len(w), size=n, p=(w / w.sum()).to_numpy())
    contact = rng.integers(t0, t1 + 1, size=n)
    contact[:2] = rng.integers(focus[0], focus[1] + 1, size=2)
    return pd.DataFrame({"person": -1, "source": "ZORGNETWERK", "contact": contact,
                         "end": NO_DAY,
                         "why": "anonymous", "wijk": wijk})


def _ambiguous_cases(town: Town, t0: int, t1: int, rng: np.random.Generator,
                     out: _Records) -> None:
    """Records on the people a linker can confuse, so every city exercises them: one twin,
    a father or his namesake son, a namesake with the same birth date."""
    p = town.persons
    t_mid = (t0 + t1) // 2

    def days(k: int) -> np.ndarray:
        return rng.integers(t_mid - 200, t1 + 1, size=k)

    twins = np.flatnonzero(p["twin"].to_numpy() & (p["hh"].to_numpy() >= 0))
    twins = twins[rng.random(len(twins)) < 0.5][:40]
    src = rng.choice(["JEUGDZORG_TOEGANG", "ZAR"], size=len(twins))
    for s in np.unique(src):
        d = days(int((src == s).sum()))
        out.add(twins[src == s], s, d, NO_DAY, "case:twin")
    sons = np.flatnonzero(p["named_after_father"].to_numpy())[:40]
    who = np.where(rng.random(len(sons)) < 0.5, sons, p["father"].to_numpy()[sons])
    d = days(len(who))
    out.add(who, "MJD", d, _end_dates(rng, "MJD", d), "case:father_son")
    namesakes = np.flatnonzero(p["same_name_as"].to_numpy() >= 0)
    who = np.where(rng.random(len(namesakes)) < 0.5, namesakes,
                   p["same_name_as"].to_numpy()[namesakes])
    d = days(len(who))
    out.add(who, "GELDZORG", d, _end_dates(rng, "GELDZORG", d), "case:namesake")
