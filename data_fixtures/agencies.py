"""Which register person is known at which agency, and when: the TRUE agency records.

Records are generated over a whole timeline (from about four years before the first window
to the last export) so that one set of records serves every quarter of `make_quarters`: a
quarter's delivery is the part an agency would export on that day. Three layers, as in a real city:
- background: persons known at one agency, at rates rising with the household's risk
  (deprived neighbourhood, single parent, migrant origin, a large family);
- problem episodes of households: the careers of the multi-problem families (below), near
  misses of families that are not (2 agencies, one MJD contact, Jeugdzorg twice), singles at
  several agencies, BIB families whose children are all grown up;
- records of people who are not in the register, anonymous care-network reports, and
  records on the truly ambiguous people (twins, a parent and child with one name, namesakes).
Rows get their identifying fields (with noise) in `noise.py`.

The multi-problem families and their capture model
--------------------------------------------------
A family household has at most one MPG *career*: with probability
1 - exp(-CAREER_RATE * years * risk) a period of 6 to 18 months (CAREER_DAYS), starting on
a uniform day of the timeline, through which an adult and a minor of it live here. It is
a multi-problem family in every run whose window overlaps that period: the latent
population a prevalence estimate is after. Each career draws its pattern over the three
capture lists (oracle.LISTS: BIB, MULTI_AGENCY, ZORGNETWERK, before precedence) from
CAPTURE_MODEL:
- a latent class, independent of the household's risk: "engaged" (65%) or "avoiding"
  (35%, the care-avoiding families);
- within a class MULTI_AGENCY ~ Bernoulli(m) and ZORGNETWERK ~ Bernoulli(z) independently,
  and BIB ~ Bernoulli(b), or Bernoulli(b + (1 - b) * 0.15) after a care-network report (the
  networks refer families to BIB: a positive dependence between those two lists):
      class      share   BIB    MULTI_AGENCY   ZORGNETWERK
      engaged    0.65    0.18   0.38           0.50
      avoiding   0.35    0.04   0.34           0.12
  Care-avoiding families shun the voluntary services (BIB; the consultation bureaus and
  schools whose staff report to the care networks) but not the agencies that come to them
  (youth protection, debt collection, housing, school attendance), so their multi-agency
  probability is only a little lower.
- P(on no list | class) = (1-b)(1-m)(1-z): 0.254 engaged, 0.558 avoiding, 0.360 in all
  (hidden_share()): the true total is about 1.55 times the families seen.
The pattern is realised with records that keep the family on its lists through the whole
period, so that it is on them in every window that overlaps the period and in no other
(`defining` in _episodes): BIB, a registration from the period's first week to its last
day; MULTI_AGENCY, 3-5 of the six agencies, each a registration over the period (Geldzorg,
Woonkans, OGGz, Jeugdvoogdij, Jeugdreclassering) or contacts in its first and its last week
(MJD 2 at a time, Jeugdzorg Toegang, ZAR); ZORGNETWERK, an identified report in the first
and one in the last week. A family off the MULTI_AGENCY list is known at 0-2 counting
agencies during its period (by class), now and then with one MJD contact that does not
count: the families "on too few agencies", many of them hidden. A career's household has
no background records from a window before its period to a window after it, so its
records are its career's. A family is thus seen on the lists it drew (in a 60k city 98-99%
of them exactly), except where a member its records are on has moved out, or a window
overlaps the period by less than the week its first or last records fall in; what the
oracle sees is the truth.

What an estimator can and cannot recover. The referral is a BIB x ZORGNETWERK interaction;
the class heterogeneity, strong on BIB and ZORGNETWERK and weak on MULTI_AGENCY, is mostly
a BIB x ZORGNETWERK dependence as well, so the log-linear model with that term (which BIC
picks) is nearly right. What is left is a three-way interaction, from the avoiding
families' slightly lower MULTI_AGENCY probability, that no identifiable 3-list model can
capture: on the model's expected table such estimates are 2.4% low (`capture_probabilities`
gives the table). Families outside the latent population can reach a list by chance (a
near miss plus a background record, mostly MULTI_AGENCY only: 2-4% of the families seen):
they have no hidden counterparts and push estimates up by a few percent. Sampling error
(about 10% of the total for a 95% interval at 60k persons, 7% at 250k) dominates both in
the demo city; in large cities estimates that are a few percent off are no longer inside
the interval every time. The truth (city.py): total = the family households on at least
one list with perfect linkage (the oracle's observed lists) + the latent families of the
run that are family households on the reference date and on no list.
"""
from __future__ import annotations

import random

import numpy as np
import pandas as pd

from mpg.data_fixtures.population import (ADULT_CHILD, ADULT_CHILDREN, CHILD, COUPLE, ELDERLY,
                                      FAMILY_TYPES, GRANDMOTHER, LARGE_FAMILY, MAN, NO_DAY,
                                      SHARED, SINGLE, SINGLE_HH, SINGLE_PARENT,
                                      THREE_GENERATIONS, TWO_PARENT, WOMAN, YEAR, Town,
                                      _pick_name, first_name, with_first_name)

SIX = ("MJD", "GELDZORG", "JEUGDZORG", "ZAR", "WOONKANS", "OGGZ")
_SIX_WEIGHT = np.array([0.75, 0.65, 0.7, 0.3, 0.2, 0.35])
# Single parents are most of the multi-problem families (113 of 168 in the original study).
_KIND_RISK = {SINGLE_HH: 1.2, COUPLE: 0.5, ELDERLY: 0.4, TWO_PARENT: 0.7, SINGLE_PARENT: 5.0,
              THREE_GENERATIONS: 1.5, ADULT_CHILDREN: 1.2, SHARED: 0.6}
_ORIGIN_RISK = {"NL": 1.0, "MA": 1.6, "TR": 1.6, "SR": 1.4, "ANT": 1.7, "other": 1.3}
_LARGE_FAMILY_RISK = 3.0  # families with 5+ children are over-represented among the MPG

# The capture model of the multi-problem families (see the module docstring), as data.
CAPTURE_MODEL: dict = {
    "lists": ["BIB", "MULTI_AGENCY", "ZORGNETWERK"],
    "classes": {
        "engaged": {"share": 0.65, "BIB": 0.18, "MULTI_AGENCY": 0.38, "ZORGNETWERK": 0.50},
        "avoiding": {"share": 0.35, "BIB": 0.04, "MULTI_AGENCY": 0.34, "ZORGNETWERK": 0.12},
    },
    # After a care-network report: P(BIB) = b + (1 - b) * referral_to_bib.
    "referral_to_bib": 0.15,
    # A family on the MULTI_AGENCY list is known at 3, 4 or 5 of the six agencies...
    "agencies_on_multi": {"3": 0.55, "4": 0.30, "5": 0.15},
    # ...one off it at 0, 1 or 2 counting agencies, by class, and now and then has one MJD
    # contact (a referral, which does not count).
    "agencies_off_multi": {"engaged": [0.25, 0.35, 0.40], "avoiding": [0.45, 0.35, 0.20]},
    "mjd_referral_off_multi": 0.25,
}
CAPTURE_MODEL_TEXT = (
    "Two latent classes of multi-problem families, engaged (65%; P(BIB) 0.18, "
    "P(MULTI_AGENCY) 0.38, P(ZORGNETWERK) 0.50) and care-avoiding (35%; 0.04, 0.34, 0.12), "
    "lists independent within a class except that a care-network report raises P(BIB) to "
    "b + 0.15(1 - b) (referral to BIB); P(on no list) = 0.360.")
# MPG careers per family household-year at risk 1 (calibrated: at 60k persons about 250
# families are seen, as before the capture model).
CAREER_RATE = 0.042
CAREER_DAYS = (180, 540)  # how long a career's period lasts: at most one window
EDGE_DAYS = 7  # the records that open and close a period fall within its first/last week
QUIET_DAYS = 560  # a window (18 months) either side of a period: no background records

# Other episodes a year per household of risk 1.
EPISODE_RATE = {"near": 0.004}
SINGLES_MULTI_RATE = 0.004
GROWN_BIB_RATE = 0.002
# Background: (source, min age, max age (exclusive), records a year per person of risk 1).
BACKGROUND = [
    ("MJD", 18, 120, 0.010), ("GELDZORG", 18, 120, 0.005),
    ("JEUGDZORG_TOEGANG", 0, 18, 0.010), ("JEUGDZORG_VOOGDIJ", 0, 18, 0.0008),
    ("JEUGDZORG_RECLASSERING", 12, 18, 0.002), ("ZAR", 5, 18, 0.005),
    ("WOONKANS", 18, 120, 0.0015), ("OGGZ", 18, 120, 0.003),
]
# Households of the ambiguous kinds (cases.json) made sure of among the families seen in the
# first window: one per this many households of the city, at least one.
AMBIGUOUS_FAMILIES_PER = 7000


def capture_probabilities(model: dict = CAPTURE_MODEL) -> pd.DataFrame:
    """P(pattern | class) of the capture model: one row per class and pattern of the three
    lists (0/1 columns, the pattern on no list included), with `share` and `p`."""
    rho = model["referral_to_bib"]
    rows = []
    for name, c in model["classes"].items():
        for b in (0, 1):
            for m in (0, 1):
                for z in (0, 1):
                    pb = c["BIB"] + (1 - c["BIB"]) * rho if z else c["BIB"]
                    p = ((pb if b else 1 - pb) * (c["MULTI_AGENCY"] if m else 1 - c["MULTI_AGENCY"])
                         * (c["ZORGNETWERK"] if z else 1 - c["ZORGNETWERK"]))
                    rows.append({"class": name, "share": c["share"], "BIB": b,
                                 "MULTI_AGENCY": m, "ZORGNETWERK": z, "p": p})
    return pd.DataFrame(rows)


def hidden_share(model: dict = CAPTURE_MODEL) -> float:
    """P(on no list) of a latent family under the model."""
    p = capture_probabilities(model)
    hidden = p[(p["BIB"] == 0) & (p["MULTI_AGENCY"] == 0) & (p["ZORGNETWERK"] == 0)]
    return float((hidden["share"] * hidden["p"]).sum())


def household_risk(town: Town) -> np.ndarray:
    h = town.households
    first_member = town.persons.groupby("hh").head(1)
    origin = pd.Series(first_member["origin"].to_numpy(), index=first_member["hh"].to_numpy())
    origin = origin.reindex(np.arange(len(h))).fillna("NL").to_numpy()
    risk = (np.exp(2.2 * h["deprivation"].to_numpy())
            * h["kind"].map(_KIND_RISK).to_numpy()
            * pd.Series(origin).map(_ORIGIN_RISK).to_numpy()
            * np.where(h["n_children"].to_numpy() >= LARGE_FAMILY, _LARGE_FAMILY_RISK, 1.0))
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


# Even a tiny test city has a few of each: these many start inside the first window (for
# the careers: at least these many of each first list, topped up when chance gave fewer).
GUARANTEED_EPISODES = {"bib": 2, "multi": 2, "zorg": 2, "near": 2, "singles_multi": 2,
                       "bib_grown": 2}


def true_records(town: Town, t0: int, t1: int, rng: np.random.Generator,
                 focus: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All agency records of the timeline (t0, t1] with the true person (-1 = not in the
    register: an identity is made up for them in noise.py), and the MPG careers (one row a
    household: hh, start and end (day numbers of its period), class, latent, the drawn 0/1
    pattern BIB, MULTI_AGENCY, ZORGNETWERK, first, and `shape`, the ambiguous kind a
    defining record of it was put on). `focus` is the first run's window: the guaranteed
    cases fall inside it."""
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

    careers = _careers(town, risk_h, t0, t1, rng, focus, first_start, last_end)
    # A career's household has no background records that could fall in a window that
    # overlaps its period: its agency contacts then are the career's, so that its pattern
    # is the one drawn.
    c_from = np.full(len(town.households), NO_DAY)
    c_to = np.full(len(town.households), NO_DAY)
    c_from[careers["hh"].to_numpy()] = careers["start"].to_numpy() - QUIET_DAYS
    c_to[careers["hh"].to_numpy()] = careers["end"].to_numpy() + QUIET_DAYS
    quiet_from = np.where(hh_eff >= 0, c_from[np.maximum(hh_eff, 0)], NO_DAY)
    quiet_to = np.where(hh_eff >= 0, c_to[np.maximum(hh_eff, 0)], NO_DAY)
    career_p = quiet_from != NO_DAY

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
        end = _end_dates(rng, source, day)
        last = np.where(end == NO_DAY, day, end)
        busy = career_p[who] & (day <= quiet_to[who]) & (last >= quiet_from[who])
        out.add(who[~busy], source, day[~busy], end[~busy], "background")

    troubled, shapes = _episodes(town, risk_h, t0, t1, rng, out, focus, careers, first_start,
                                 last_end)
    careers["shape"] = careers["hh"].map(shapes).fillna("").astype(str)
    allowed = np.zeros(len(town.persons), dtype=bool)  # babies added since: of careers
    allowed[:n] = ~career_p
    _ambiguous_cases(town, t0, t1, rng, out, allowed)
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
    records = records.sort_values(["source", "contact"], kind="stable").reset_index(drop=True)
    return records, careers.drop(columns=["n_agencies", "mjd_referral"])


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


def _family_here(town: Town, hhs: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 first_start: np.ndarray, last_end: np.ndarray) -> np.ndarray:
    """Per (household, start, end): do an adult and a minor (on `start`) of the household
    live here from start to end?"""
    p = town.persons
    hh_p = p["hh"].to_numpy()
    birth = p["birth"].to_numpy()
    pos = np.full(len(town.households), -1)
    pos[hhs] = np.arange(len(hhs))
    sel = np.flatnonzero(hh_p >= 0)
    sel = sel[pos[hh_p[sel]] >= 0]
    i = pos[hh_p[sel]]
    a = starts[i]
    here = (first_start[sel] <= a) & (last_end[sel] >= ends[i]) & (birth[sel] <= a)
    age = (a - birth[sel]) / YEAR
    adult = np.zeros(len(hhs), dtype=bool)
    minor = np.zeros(len(hhs), dtype=bool)
    np.logical_or.at(adult, i[here & (age >= 18)], True)
    np.logical_or.at(minor, i[here & (age < 18)], True)
    return adult & minor


def _careers(town: Town, risk_h: np.ndarray, t0: int, t1: int, rng: np.random.Generator,
             focus: tuple[int, int], first_start: np.ndarray,
             last_end: np.ndarray) -> pd.DataFrame:
    """The MPG careers of the timeline (module docstring), one row a household: hh, start,
    end (its period), class, latent, the drawn pattern BIB, MULTI_AGENCY, ZORGNETWERK (0/1),
    first (the episode kind by precedence: bib, multi, zorg or hidden), n_agencies (of the
    six; counting ones off the MULTI_AGENCY list) and mjd_referral."""
    h = town.households
    H = len(h)
    model = CAPTURE_MODEL
    names = list(model["classes"])
    classes = [model["classes"][c] for c in names]
    b, m, z = (np.array([c[k] for c in classes]) for k in model["lists"])
    family = np.isin(h["kind"].to_numpy(), FAMILY_TYPES)
    years = (t1 - t0) / YEAR
    # Everything is drawn for every household, then kept for those with a career.
    has = family & (rng.random(H) < 1 - np.exp(-CAREER_RATE * years * risk_h))
    start = rng.integers(t0 - CAREER_DAYS[1], t1 + 1, size=H)
    length = rng.integers(CAREER_DAYS[0], CAREER_DAYS[1] + 1, size=H)
    cls = rng.choice(len(names), size=H, p=[c["share"] for c in classes])
    u = rng.random((H, 3))
    zorg = u[:, 2] < z[cls]
    multi = u[:, 1] < m[cls]
    bib = u[:, 0] < np.where(zorg, b[cls] + (1 - b[cls]) * model["referral_to_bib"], b[cls])
    on = model["agencies_on_multi"]
    n_on = rng.choice([int(k) for k in on], size=H, p=list(on.values()))
    off = np.cumsum(np.array([model["agencies_off_multi"][c] for c in names])[cls], axis=1)
    n_off = (rng.random((H, 1)) > off).sum(axis=1).clip(0, 2)
    frame = pd.DataFrame({
        "hh": np.arange(H), "start": start, "end": start + length,
        "class": np.array(names, dtype=object)[cls],
        "latent": True, "BIB": bib.astype(int), "MULTI_AGENCY": multi.astype(int),
        "ZORGNETWERK": zorg.astype(int), "n_agencies": np.where(multi, n_on, n_off),
        "mjd_referral": rng.random(H) < model["mjd_referral_off_multi"]})
    careers = frame[has]
    careers = careers[_family_here(town, careers["hh"].to_numpy(), careers["start"].to_numpy(),
                                   careers["end"].to_numpy(), first_start, last_end)]

    # A tiny city still has a few families first seen on each list in its first window:
    # topped up (as non-latent, "guaranteed" families) where chance gave fewer.
    p = town.persons
    hh_p = p["hh"].to_numpy()
    ok = hh_p >= 0
    ok[ok] = town.current_address[ok] == h["address"].to_numpy()[hh_p[ok]]
    at_home = np.zeros(H, dtype=bool)
    at_home[hh_p[ok]] = True
    seen = careers[(careers["start"] <= focus[1] - EDGE_DAYS)
                   & (careers["end"] >= focus[0] + EDGE_DAYS) & at_home[careers["hh"].to_numpy()]]
    pool = np.flatnonzero(family & at_home & ~has)
    extra = []
    for first, lists in (("bib", (1, 0, 0)), ("multi", (0, 1, 0)), ("zorg", (0, 0, 1))):
        name = list(model["lists"])[lists.index(1)]
        need = GUARANTEED_EPISODES[first] - int((seen[name] == 1).sum())
        if need <= 0 or not len(pool):
            continue
        pick = rng.choice(pool, size=min(len(pool), 4 * need), replace=False)
        days = rng.integers(focus[0], focus[0] + (focus[1] - focus[0]) // 3, size=len(pick))
        fits = _family_here(town, pick, days, days + 360, first_start, last_end)
        pick, days = pick[fits][:need], days[fits][:need]
        pool = np.setdiff1d(pool, pick)
        extra.append(pd.DataFrame({
            "hh": pick, "start": days, "end": days + 360, "class": "guaranteed",
            "latent": False, "BIB": lists[0], "MULTI_AGENCY": lists[1], "ZORGNETWERK": lists[2],
            "n_agencies": 3 if lists[1] else 1, "mjd_referral": False}))
    careers = pd.concat([careers, *extra], ignore_index=True)
    careers["first"] = np.where(careers["BIB"] == 1, "bib", np.where(
        careers["MULTI_AGENCY"] == 1, "multi", np.where(careers["ZORGNETWERK"] == 1, "zorg",
                                                        "hidden")))
    return careers.reset_index(drop=True)


# Kinds of households with two members one record can fit (cases.json), in the order a
# household of several kinds is taken as.
AMBIGUOUS_KINDS = ("baby_after_parent_record", "father_son_same_name",
                   "mother_daughter_same_name", "twins", "large_family_similar_names")


def _ambiguous_families(town: Town, careers: pd.DataFrame, focus: tuple[int, int],
                        rng: np.random.Generator, first_start: np.ndarray,
                        last_end: np.ndarray) -> dict[int, tuple[int, str, int]]:
    """Career households with two members a linker can confuse, and the member the records
    of one agency that put it on a list go to: {hh: (person, kind, before)}, `before` the
    day those records must start before (a baby's birth; NO_DAY: any day).

    The shapes arise in the register at their own low rates (population.py). This makes
    sure that among the families seen in the first window on one list only (where such a
    record decides the count) there are a few of each kind, one per AMBIGUOUS_FAMILIES_PER
    households of the city: a son renamed after his father or a daughter after her mother,
    a baby born during the period (named after the parent of its sex), the children of a
    large family renamed after the eldest's initial (a fifth child born to a family of
    four), a younger sibling given an elder's birth date (twins)."""
    p = town.persons
    hh = p["hh"].to_numpy()
    role = p["role"].to_numpy()
    sex = p["sex"].to_numpy()
    mother = p["mother"].to_numpy()
    father = p["father"].to_numpy()
    partner = p["partner"].to_numpy()
    origin = p["origin"].to_numpy()
    birth = p["birth"].to_numpy().copy()
    given = p["given_names"].to_numpy().copy()
    after_father = p["named_after_father"].to_numpy().copy()
    after_mother = p["named_after_mother"].to_numpy().copy()
    twin = p["twin"].to_numpy().copy()
    r = random.Random(int(rng.integers(1 << 62)))
    want = max(1, len(town.households) // AMBIGUOUS_FAMILIES_PER)

    career_of = np.full(len(town.households), -1)
    career_of[careers["hh"].to_numpy()] = np.arange(len(careers))
    start = careers["start"].to_numpy()
    end = careers["end"].to_numpy()
    n_lists = careers[list(CAPTURE_MODEL["lists"])].sum(axis=1).to_numpy()
    # A child's records: a care-network report or Jeugdzorg; records that must begin before
    # a baby's birth: a registration (BIB, or Geldzorg, Woonkans, OGGz of the six).
    child_ok = ((careers["ZORGNETWERK"] == 1) | (careers["MULTI_AGENCY"] == 1)).to_numpy()
    registered = ((careers["BIB"] == 1) | (careers["MULTI_AGENCY"] == 1)).to_numpy()
    # Seen in the first window on one list only, and (multi-agency) at exactly 3 agencies: a
    # record on the ambiguous member then decides whether the family is counted.
    decisive = (n_lists == 1) & ((careers["MULTI_AGENCY"] == 0)
                                 | (careers["n_agencies"] == 3)).to_numpy()
    focus_ok = (start <= focus[1] - EDGE_DAYS) & (end >= focus[0] + EDGE_DAYS) & decisive
    # Members of each career household (generated ones), and the babies born to them.
    def by_household(people: np.ndarray, home: np.ndarray) -> dict[int, list[int]]:
        order = np.argsort(home, kind="stable")
        keys, first = np.unique(home[order], return_index=True)
        return {int(k): v.tolist() for k, v in zip(keys, np.split(people[order], first[1:]))}

    sel = np.flatnonzero((hh >= 0) & (career_of[np.maximum(hh, 0)] >= 0))
    members = by_household(sel, hh[sel])
    sel = np.flatnonzero((hh < 0) & (mother >= 0))
    home = hh[mother[sel]]
    keep = (home >= 0) & (career_of[np.maximum(home, 0)] >= 0)
    babies = by_household(sel[keep], home[keep])
    # Households that may be of a kind already (find() decides).
    maybe = {"baby_after_parent_record": set(babies),
             "father_son_same_name": set(hh[after_father & (hh >= 0)].tolist()),
             "mother_daughter_same_name": set(hh[after_mother & (hh >= 0)].tolist()),
             "twins": set(hh[twin & (hh >= 0)].tolist()),
             "large_family_similar_names": set(np.flatnonzero(
                 town.households["n_children"].to_numpy() >= LARGE_FAMILY - 1).tolist())}
    new_babies: list[tuple[int, int, int, str, str, str]] = []

    def minor(m: int, day: int) -> bool:
        return 0 <= day - birth[m] < 18 * YEAR

    def here(m: int, c: int) -> bool:
        return first_start[m] <= start[c] and last_end[m] >= end[c] and birth[m] <= start[c]

    def kids_of(hid: int) -> list[int]:
        """The children (minor or grown up) living at home through the period, eldest first."""
        c = career_of[hid]
        return sorted((k for k in members.get(hid, []) if role[k] in (CHILD, ADULT_CHILD)
                       and here(k, c)), key=lambda k: birth[k])

    def alike(k: int, lead: str, used: set[str], sex_: str, day: int) -> str:
        year = int(str(np.datetime64(int(day), "D"))[:4])
        stems, pool = town.bank.alike(origin[k], sex_, year, lead[:1], lead)
        return _pick_name(r, stems, pool, used)

    def find(kind: str, hid: int) -> tuple[int, int] | None:
        """(person the records are about, before) when household `hid` is of `kind`."""
        c = career_of[hid]
        mine = members.get(hid, [])
        if kind == "baby_after_parent_record" and registered[c]:
            for b in babies.get(hid, []):
                parent = father[b] if after_father[b] else mother[b] if after_mother[b] else -1
                if parent >= 0 and hh[parent] == hid and birth[b] > start[c] + EDGE_DAYS:
                    return int(parent), int(birth[b])
        elif kind == "father_son_same_name":
            for s in mine:
                if after_father[s] and father[s] in mine:
                    return int(father[s]), NO_DAY
        elif kind == "mother_daughter_same_name":
            for d in mine:
                if after_mother[d] and mother[d] in mine:
                    return int(mother[d]), NO_DAY
        elif kind == "twins" and child_ok[c]:
            kids = [k for k in mine if twin[k] and minor(k, start[c])]
            if kids:
                return kids[0], NO_DAY
        elif kind == "large_family_similar_names" and child_ok[c]:
            kids = kids_of(hid) + [b for b in babies.get(hid, []) if birth[b] <= focus[1]]
            initials = [given[k][:1] for k in kids]
            for k, i in zip(kids, initials):
                if (len(kids) >= LARGE_FAMILY and initials.count(i) > 1
                        and minor(k, start[c]) and minor(k, focus[1])):
                    return k, NO_DAY
        return None

    def new_baby(hid: int, name_after_parent: bool) -> tuple[int, int, int, str] | None:
        """A baby to be born in household `hid` during its period (before the first run's
        reference date): (mother, father, day, sex), or None when nobody can have it."""
        c = career_of[hid]
        lo, hi = start[c] + EDGE_DAYS + 8, min(end[c], focus[1])
        if hi <= lo:
            return None
        day = r.randint(lo, hi)
        mums = [m for m in members.get(hid, []) if role[m] == WOMAN and here(m, c)
                and 18 * YEAR <= day - birth[m] < 43 * YEAR]
        if not mums:
            return None
        mum = mums[0]
        dad = int(partner[mum]) if partner[mum] in members.get(hid, []) else -1
        boy = dad >= 0 and r.random() < 0.5 if name_after_parent else r.random() < 0.51
        return mum, dad, day, "M" if boy else "V"

    def plant(kind: str, hid: int) -> tuple[int, int] | None:
        """Give household `hid` the shape `kind` if its members allow it; (person, before)."""
        c = career_of[hid]
        mine = members.get(hid, [])
        if kind == "baby_after_parent_record" and registered[c]:
            for b in babies.get(hid, []):
                parent = father[b] if sex[b] == "M" else mother[b]
                if (parent >= 0 and hh[parent] == hid and birth[b] > start[c] + EDGE_DAYS
                        and birth[b] <= focus[1]):
                    given[b] = with_first_name(given[b], first_name(given[parent]))
                    (after_father if sex[b] == "M" else after_mother)[b] = True
                    return int(parent), int(birth[b])
            baby = new_baby(hid, name_after_parent=True)
            if baby:
                mum, dad, day, sex_ = baby
                parent = dad if sex_ == "M" else mum
                new_babies.append((mum, dad, day, sex_, first_name(given[parent]),
                                   "named_after_father" if sex_ == "M" else "named_after_mother"))
                return parent, day
        elif kind in ("father_son_same_name", "mother_daughter_same_name"):
            boys = kind == "father_son_same_name"
            for k in mine:
                parent = father[k] if boys else mother[k]
                if (role[k] in (CHILD, ADULT_CHILD) and sex[k] == ("M" if boys else "V")
                        and parent in mine and origin[parent] == origin[k]):
                    given[k] = with_first_name(given[k], first_name(given[parent]))
                    (after_father if boys else after_mother)[k] = True
                    return int(parent), NO_DAY
        elif kind == "twins" and child_ok[c]:
            kids = [k for k in kids_of(hid) if role[k] == CHILD and focus[1] - birth[k] < 15 * YEAR
                    and minor(k, focus[0] - 365)]
            for older, younger in zip(kids, kids[1:]):
                if birth[younger] - birth[older] < 3 * YEAR and mother[older] == mother[younger]:
                    rows = (town.res_person == younger) & (town.res_start == birth[younger])
                    town.res_start[rows] = birth[older]
                    birth[younger] = birth[older]
                    twin[[older, younger]] = True
                    return older, NO_DAY
        elif kind == "large_family_similar_names" and child_ok[c]:
            kids = kids_of(hid)
            if not any(minor(k, start[c]) and minor(k, focus[1]) for k in kids):
                return None
            baby = new_baby(hid, name_after_parent=False) if len(kids) == LARGE_FAMILY - 1 else None
            if len(kids) < LARGE_FAMILY and not baby:
                return None
            lead = first_name(given[kids[0]])
            used = {lead}
            for k in kids[1:]:
                pick = alike(k, lead, used, sex[k], birth[k])
                if pick:
                    given[k] = with_first_name(given[k], pick)
                    used.add(pick)
            if baby:
                mum, dad, day, sex_ = baby
                new_babies.append((mum, dad, day, sex_,
                                   alike(mum, lead, used, sex_, day) or lead, ""))
            hit = find(kind, hid)
            if hit:
                return hit
            return next(((k, NO_DAY) for k in kids
                         if minor(k, start[c]) and minor(k, focus[1])), None)
        return None

    targets: dict[int, tuple[int, str, int]] = {}
    hids = careers["hh"].to_numpy()
    order = np.lexsort((rng.random(len(careers)), ~decisive))
    for kind in AMBIGUOUS_KINDS:
        found = 0
        for c in order:
            hid = int(hids[c])
            if hid in targets or hid not in maybe[kind]:
                continue
            hit = find(kind, hid)
            if hit:
                targets[hid] = (hit[0], kind, hit[1])
                found += bool(focus_ok[c])
        for c in order:
            if found >= want:
                break
            hid = int(hids[c])
            if focus_ok[c] and hid not in targets:
                hit = plant(kind, hid)
                if hit:
                    targets[hid] = (hit[0], kind, hit[1])
                    found += 1
    p["given_names"] = given
    p["named_after_father"] = after_father
    p["named_after_mother"] = after_mother
    p["twin"] = twin
    p["birth"] = birth
    if new_babies:
        mum, dad, day, sex_, name, flag = (np.array(x) for x in zip(*new_babies))
        who = town.add_babies(mum.astype(np.int64), dad.astype(np.int64), day.astype(np.int64),
                              sex_, name.astype(object))
        for flag_ in ("named_after_father", "named_after_mother"):
            town.persons.loc[who[flag == flag_], flag_] = True
    return targets


def _episodes(town: Town, risk_h: np.ndarray, t0: int, t1: int, rng: np.random.Generator,
              out: _Records, focus: tuple[int, int], careers: pd.DataFrame,
              first_start: np.ndarray, last_end: np.ndarray) -> tuple[dict[int, int], dict]:
    """Problem episodes of households: the careers of the multi-problem families, and the
    near misses of other families, singles at several agencies and BIB families without
    children. Returns ({household: episode start} of the careers, {household: the
    ambiguous kind a career's defining record was put on}).

    A near-miss episode starts on a random day of the timeline and lasts half a year to two
    years; its records fall inside it, on the household members an agency serves (MJD
    mostly the mother, Jeugdzorg a child, ZAR a pupil, the care network a young child). A
    career's episode is its period, and the records that put it on its lists keep it on
    them through the period (module docstring)."""
    h = town.households
    p = town.persons
    kind = h["kind"].to_numpy()
    years = (t1 - t0) / YEAR
    family = np.isin(kind, FAMILY_TYPES)
    in_career = np.zeros(len(h), dtype=bool)
    in_career[careers["hh"].to_numpy()] = True
    plan_h, plan_ep = [], []
    rates = [("near", EPISODE_RATE["near"], family & ~in_career),
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
    n_other = len(plan_h)
    targets = _ambiguous_families(town, careers, focus, rng, first_start, last_end)
    plan_h += careers["hh"].tolist()
    plan_ep += careers["first"].tolist()
    c_start = careers["start"].tolist()
    c_end = careers["end"].tolist()
    c_lists = careers[["BIB", "MULTI_AGENCY", "ZORGNETWERK"]].to_numpy().tolist()
    c_n = careers["n_agencies"].tolist()
    c_mjd = careers["mjd_referral"].tolist()

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
    shapes: dict[int, str] = {}

    def some(m: int, exclude: tuple[str, ...] = (), allowed: tuple[str, ...] = SIX) -> list[str]:
        """m of the six agencies, weighted, without replacement (Efraimidis-Spirakis)."""
        keys = [(r.random() ** (1.0 / w), a) for a, w in zip(SIX, _SIX_WEIGHT)
                if a not in exclude and a in allowed]
        return [a for _, a in sorted(keys, reverse=True)[:m]]

    for i, (hid, ep) in enumerate(zip(plan_h, plan_ep)):
        members = members_sorted[bounds[hid]:bounds[hid + 1]]
        career = i - n_other
        if career >= 0:
            start, end = c_start[career], c_end[career]
            length = end - start
            members = [m for m in members
                       if first_start[m] <= start and last_end[m] >= end and birth[m] <= start]
            age = {m: (start - birth[m]) / YEAR for m in members}
        else:
            if i < n_random:
                # Uniform over the timeline, also for households that moved in later:
                # records from before a person lived here are dropped with the others
                # outside their residence.
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

        def when(k: int = 1) -> list[int]:
            return sorted(start + r.randrange(length) for _ in range(k))

        def add(person: int, source: str, days: list[int], until: int = NO_DAY) -> None:
            for d in days:
                e = _end_date(r, source, d)
                rows.append((person, source, d, e if until == NO_DAY or e == NO_DAY
                             else min(max(e, d), until), ep))

        def jeugdzorg_sources(child: int) -> list[str]:
            """The Jeugdzorg files that know `child`: Toegang, and Voogdij or Reclassering
            beside it or instead."""
            sub = ["JEUGDZORG_TOEGANG"]
            if r.random() < 0.25:
                sub.append("JEUGDZORG_VOOGDIJ")
            if child in teens and r.random() < 0.3:
                sub.append("JEUGDZORG_RECLASSERING")
            if len(sub) > 1 and r.random() < 0.2:  # known to Voogdij/Reclassering only
                sub = sub[1:]
            return sub

        def defining(name: str, who: int = -1, before: int = NO_DAY) -> None:
            """Records of agency `name` that keep the family on its list for its whole
            period: a registration from its first week to its last day, or (for contacts
            and reports) some in its first week and some in its last."""
            def first(k: int) -> list[int]:
                top = EDGE_DAYS if before == NO_DAY else max(1, min(EDGE_DAYS, before - start))
                return sorted(start + r.randrange(top) for _ in range(k))

            def last(k: int) -> list[int]:
                return sorted(end - r.randrange(EDGE_DAYS) for _ in range(k))

            if name == "MJD":
                if who < 0:
                    who = r.choice(women) if women and r.random() < 0.7 else r.choice(heads)
                add(who, "MJD", first(2), end)
                add(who, "MJD", last(2), end)
            elif name in ("GELDZORG", "WOONKANS", "OGGZ", "BIB"):
                if who < 0:
                    pool = {"GELDZORG": men if men and r.random() < 0.5 else heads,
                            "WOONKANS": heads,
                            "OGGZ": men if men and r.random() < 0.6 else adults,
                            "BIB": women or heads}[name]
                    who = r.choice(pool)
                rows.append((who, name, first(1)[0], end, ep))
            elif name == "JEUGDZORG":
                child = who if who >= 0 else r.choice(kids)
                for s_ in jeugdzorg_sources(child):
                    if s_ == "JEUGDZORG_TOEGANG":
                        add(child, s_, first(1) + last(1))
                    else:
                        rows.append((child, s_, first(1)[0], end, ep))
            elif name == "ZAR":
                add(who if who >= 0 else r.choice(pupils), "ZAR", first(1) + last(1))
            elif name == "ZORGNETWERK":
                if who < 0:
                    who = r.choice(young) if young and r.random() < 0.7 else r.choice(heads)
                add(who, "ZORGNETWERK", first(1) + last(1))

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
                for s_ in jeugdzorg_sources(child):
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

        if career >= 0:
            if not kids:
                continue
            troubled[hid] = start
            on_bib, on_multi, on_zorg = c_lists[career]
            feasible = ("MJD", "GELDZORG", "JEUGDZORG", "WOONKANS", "OGGZ") + (
                ("ZAR",) if pupils else ())
            # The ambiguous member (if any) gets the records of one agency that put the
            # family on a list: an adult BIB, else a registration of the six, else a
            # care-network report; a child a care-network report, else Jeugdzorg.
            route, who, before = "", -1, NO_DAY
            if hid in targets and targets[hid][0] in age:
                who, shape, before = targets[hid]
                adult = age[who] >= 18
                if before != NO_DAY and before - start < 2:
                    who = -1
                elif adult and on_bib:
                    route = "BIB"
                elif adult and on_multi:
                    route = some(1, allowed=("GELDZORG", "WOONKANS", "OGGZ"))[0]
                elif before != NO_DAY:  # only a registration begins before and lasts
                    who = -1
                elif on_zorg:
                    route = "ZORGNETWERK"
                elif on_multi:
                    route = "JEUGDZORG"
                if route:
                    shapes[hid] = shape

            def put(name: str) -> None:
                if name == route:
                    defining(name, who=who, before=before)
                else:
                    defining(name)

            if on_multi:
                for a_ in ([route] if route in SIX else []) + some(
                        c_n[career] - (route in SIX), exclude=(route,), allowed=feasible):
                    put(a_)
            else:
                chosen = some(c_n[career], allowed=feasible)
                for a_ in chosen:
                    agency(a_)
                if c_mjd[career] and "MJD" not in chosen:
                    agency("MJD", contacts=1)  # a referral: one contact does not count
            if on_bib:
                put("BIB")
            if on_zorg:
                put("ZORGNETWERK")
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
    return troubled, shapes


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
                     out: _Records, allowed: np.ndarray) -> None:
    """Records on the people a linker can confuse, so every city exercises them: one twin,
    a father or his namesake son, a mother or her namesake daughter, a namesake with the
    same birth date. Only on persons `allowed` (not of a career's household: those get
    theirs in their episode)."""
    p = town.persons
    t_mid = (t0 + t1) // 2

    def days(k: int) -> np.ndarray:
        return rng.integers(t_mid - 200, t1 + 1, size=k)

    twins = np.flatnonzero(p["twin"].to_numpy() & (p["hh"].to_numpy() >= 0) & allowed)
    twins = twins[rng.random(len(twins)) < 0.5][:40]
    src = rng.choice(["JEUGDZORG_TOEGANG", "ZAR"], size=len(twins))
    for s in np.unique(src):
        d = days(int((src == s).sum()))
        out.add(twins[src == s], s, d, NO_DAY, "case:twin")
    daughters = np.flatnonzero(p["named_after_mother"].to_numpy() & allowed)[:40]
    who = np.where(rng.random(len(daughters)) < 0.5, daughters,
                   p["mother"].to_numpy()[daughters])
    d = days(len(who))
    out.add(who, "GELDZORG", d, _end_dates(rng, "GELDZORG", d), "case:mother_daughter")
    sons = np.flatnonzero(p["named_after_father"].to_numpy() & allowed)[:40]
    who = np.where(rng.random(len(sons)) < 0.5, sons, p["father"].to_numpy()[sons])
    d = days(len(who))
    out.add(who, "MJD", d, _end_dates(rng, "MJD", d), "case:father_son")
    namesakes = np.flatnonzero((p["same_name_as"].to_numpy() >= 0) & allowed)
    who = np.where(rng.random(len(namesakes)) < 0.5, namesakes,
                   p["same_name_as"].to_numpy()[namesakes])
    d = days(len(who))
    out.add(who, "GELDZORG", d, _end_dates(rng, "GELDZORG", d), "case:namesake")
