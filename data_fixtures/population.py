"""The synthetic population register: persons, addresses and residence history.

Everything is vectorised over numpy arrays (a city of 1M persons is built in seconds). Dates
are int64 day numbers (days since 1970-01-01) until they are written. A `Town` is built as it
stands on `base_day` (with residence history before it) and is then moved forward one quarter
at a time with births, deaths, moves, adult children leaving home, separations, departures
and arrivals; `register_on(day)` is the extract a municipality would deliver on that day.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mpg.data_fixtures import names

EPOCH = dt.date(1970, 1, 1)
YEAR = 365.25


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def to_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers -> datetime64[D]; negative sentinel (-1 << 40) -> NaT."""
    out = np.asarray(days, dtype="int64").astype("datetime64[D]")
    out[np.asarray(days) == NO_DAY] = np.datetime64("NaT")
    return out


NO_DAY = -(1 << 40)  # "no date" in int64 day arrays

# Member roles inside a generated household, in the order members are listed.
MAN, WOMAN, CHILD, ADULT_CHILD, GRANDMOTHER, UNCLE, SINGLE = range(7)
N_ROLES = 7
HOUSEHOLD_TYPES = ("single", "couple", "elderly", "two_parent", "single_parent",
                   "three_generations", "adult_children", "shared")
(SINGLE_HH, COUPLE, ELDERLY, TWO_PARENT, SINGLE_PARENT, THREE_GENERATIONS, ADULT_CHILDREN,
 SHARED) = range(8)
FAMILY_TYPES = (TWO_PARENT, SINGLE_PARENT, THREE_GENERATIONS)
# Household type mix in an affluent and in a deprived neighbourhood; a neighbourhood mixes the
# two by its deprivation. Deprived neighbourhoods have more single parents (as in Groningen's
# Korrewegwijk/Oosterpark against Helpman/Haren).
_TYPE_P_AFFLUENT = np.array([0.34, 0.24, 0.11, 0.19, 0.04, 0.004, 0.05, 0.026])
_TYPE_P_DEPRIVED = np.array([0.38, 0.15, 0.08, 0.14, 0.14, 0.02, 0.05, 0.04])
_ORIGIN_P_AFFLUENT = np.array([0.82, 0.025, 0.025, 0.025, 0.015, 0.09])
_ORIGIN_P_DEPRIVED = np.array([0.48, 0.14, 0.11, 0.08, 0.06, 0.13])
# Large families (5-8 children) are about 1.3% of two-parent families, 0.8% of single parents.
_KIDS_TWO_PARENT = ([1, 2, 3, 4, 5, 6, 7, 8],
                    [0.36, 0.42, 0.16, 0.047, 0.008, 0.003, 0.0012, 0.0008])
_KIDS_SINGLE_PARENT = ([1, 2, 3, 4, 5, 6], [0.52, 0.33, 0.11, 0.032, 0.006, 0.002])
_KIDS_THREE_GENERATIONS = ([1, 2, 3], [0.55, 0.33, 0.12])
# Family shapes that make linkage hard (names only; the register keeps them apart by birth
# date and person number): large families whose children's names share an initial or a
# stem, twins with alliterating names, a child named after the parent of the same sex.
SIMILAR_NAMES_SHARE = 0.5  # of families with 5+ children
TWINS_SAME_INITIAL = 0.3  # of twin pairs
NAMED_AFTER_FATHER = 0.01  # of sons whose father is known
NAMED_AFTER_MOTHER = 0.005  # of daughters
LARGE_FAMILY = 5  # children


def first_name(given: str) -> str:
    return given.split(" ")[0]


def with_first_name(given: str, first: str) -> str:
    """`given` with its first given name replaced ("Jan Cornelis" -> "Jannes Cornelis")."""
    return first + ("" if " " not in given else " " + given.split(" ", 1)[1])


def cohort(birth_year: int) -> str:
    return "old" if birth_year < 1955 else "mid" if birth_year < 1985 else "young"


def _pick(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    return (rng.random((p.shape[0], 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(0, p.shape[1] - 1)


def valid_bsns(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 9-digit numbers passing the 11-proof (9*d1 + ... + 2*d8 - d9 = 0 mod 11)."""
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    powers = 10 ** np.arange(8, 0, -1, dtype=np.int64)
    found = np.empty(0, dtype=np.int64)
    while len(found) < n:
        m = int((n - len(found)) * 1.3) + 100
        d = rng.integers(0, 10, size=(m, 8))
        d[:, 0] = rng.integers(1, 7, size=m)  # issued BSNs start low; no leading zero
        check = (d * weights).sum(axis=1) % 11
        ok = check <= 9
        numbers = (d[ok] * powers).sum(axis=1) + check[ok]
        found = np.concatenate([found, numbers])
        _, first = np.unique(found, return_index=True)
        found = found[np.sort(first)]
    return found[:n]


def mistype_bsn(rng: np.random.Generator, bsn: str) -> str:
    """Change one digit: with non-zero weights mod 11 this always breaks the 11-proof."""
    i = int(rng.integers(0, 9))
    digit = (int(bsn[i]) + int(rng.integers(1, 10))) % 10
    return bsn[:i] + str(digit) + bsn[i + 1:]


@dataclass
class NameBank:
    """Surname and given-name tables as arrays, for vectorised sampling."""

    prefix: dict[str, np.ndarray] = field(default_factory=dict)
    surname: dict[str, np.ndarray] = field(default_factory=dict)
    surname_p: dict[str, np.ndarray] = field(default_factory=dict)
    given: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls) -> "NameBank":
        bank = cls()
        for origin, rows in names.SURNAMES.items():
            w = np.array([r[2] for r in rows], dtype=float)
            w = w / w.sum()
            share, _ = names.SURNAME_TAILS[origin]
            tail = [("", name) for name in names.surname_tail(origin)]
            rows = rows + tail
            w = np.concatenate([w * (1 - share), np.full(len(tail), share / len(tail))])
            bank.prefix[origin] = np.array([r[0] for r in rows], dtype=object)
            bank.surname[origin] = np.array([r[1] for r in rows], dtype=object)
            bank.surname_p[origin] = w
        for origin in names.ORIGINS:
            for sex in ("M", "V"):
                for cohort in ("old", "mid", "young"):
                    if origin == "NL":
                        pool = (names._NL_M if sex == "M" else names._NL_V)[cohort]
                    else:
                        pool = names.GIVEN[(origin, sex)]
                    bank.given[(origin, sex, cohort)] = np.array(pool, dtype=object)
        return bank

    def alike(self, origin: str, sex: str, birth_year: int, letter: str,
              stem_of: str = "") -> tuple[list[str], list[str]]:
        """Given names parents choose to go with a sibling's: the names of `stem_of`'s stem
        group (else any group with the initial `letter`), and the register's names with
        that initial, for a child of this origin, sex and birth year."""
        s = "M" if sex == "M" else "V"
        groups = names.SIBLING_STEMS.get((origin, s), [])
        mine = [g for g in groups if stem_of in g]
        stems = [n for g in (mine or groups) for n in g if n[:1] == letter]
        pool = [n for n in self.given[(origin, s, cohort(birth_year))]
                if n[:1] == letter and " " not in n]
        return stems, pool

    def surnames(self, rng, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        prefix = np.empty(len(origin), dtype=object)
        surname = np.empty(len(origin), dtype=object)
        for o in names.ORIGINS:
            idx = np.flatnonzero(origin == o)
            k = rng.choice(len(self.surname[o]), size=len(idx), p=self.surname_p[o])
            prefix[idx] = self.prefix[o][k]
            surname[idx] = self.surname[o][k]
        return prefix, surname

    def given_names(self, rng, origin, sex, birth_year) -> np.ndarray:
        # Group people by (origin, sex, cohort) as small integers: comparing object arrays
        # per group is what made this slow for a million people.
        o = pd.Categorical(origin, categories=names.ORIGINS).codes.astype(np.int64)
        s = (np.asarray(sex) == "M").astype(np.int64)  # V and O share the V names
        c = np.where(birth_year < 1955, 0, np.where(birth_year < 1985, 1, 2))
        group = (o * 2 + s) * 3 + c
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(names.ORIGINS) * 6 + 1))
        first = np.empty(len(group), dtype=object)
        second = np.empty(len(group), dtype=object)
        for g in range(len(bounds) - 1):
            idx = order[bounds[g]:bounds[g + 1]]
            oi, rest = divmod(g, 6)
            si, ci = divmod(rest, 3)
            pool = self.given[(names.ORIGINS[oi], ("V", "M")[si], ("old", "mid", "young")[ci])]
            first[idx] = pool[rng.integers(0, len(pool), size=len(idx))]
            second[idx] = pool[rng.integers(0, len(pool), size=len(idx))]
        # Dutch registers often hold two or three given names ("Johannes Cornelis").
        two = (o == 0) & (rng.random(len(group)) < np.where(c == 0, 0.8, 0.45))
        idx = np.flatnonzero(two)
        first[idx] = [a if a == b or " " in a else f"{a} {b}"
                      for a, b in zip(first[idx], second[idx])]
        return first


def draw_households(rng: np.random.Generator, deprivation: np.ndarray, day: int,
                    bank: NameBank) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Households (one per deprivation value) and their members as they stand on `day`.

    Returns (households, people); people.hh, .mother, .father, .partner are positions in
    these frames (-1 = none). Ages follow from the household: a mother is 18-40 years older
    than her oldest child, a father about 2.5 years older than the mother.
    """
    H = len(deprivation)
    d = deprivation
    kind = _pick(rng, (1 - d)[:, None] * _TYPE_P_AFFLUENT + d[:, None] * _TYPE_P_DEPRIVED)
    u = rng.random((H, 6))
    counts = np.zeros((H, N_ROLES), dtype=np.int64)
    counts[kind == SINGLE_HH, SINGLE] = 1
    counts[kind == COUPLE, MAN] = 1
    counts[kind == COUPLE, WOMAN] = 1
    el = kind == ELDERLY
    counts[el, WOMAN] = 1
    counts[el & (u[:, 0] < 0.45), MAN] = 1
    man_alone = el & (u[:, 0] >= 0.45) & (u[:, 1] < 0.3)
    counts[man_alone, WOMAN], counts[man_alone, MAN] = 0, 1
    tp = kind == TWO_PARENT
    counts[tp, MAN] = 1
    counts[tp, WOMAN] = 1
    counts[tp, CHILD] = rng.choice(_KIDS_TWO_PARENT[0], size=tp.sum(), p=_KIDS_TWO_PARENT[1])
    counts[tp, ADULT_CHILD] = (u[tp, 2] < 0.15).astype(int) + (u[tp, 3] < 0.04)
    sp = kind == SINGLE_PARENT
    father_head = sp & (u[:, 0] < 0.12)
    counts[father_head, MAN] = 1
    counts[sp & ~father_head, WOMAN] = 1
    counts[sp, CHILD] = rng.choice(_KIDS_SINGLE_PARENT[0], size=sp.sum(),
                                   p=_KIDS_SINGLE_PARENT[1])
    counts[sp, ADULT_CHILD] = (u[sp, 2] < 0.1).astype(int)
    tg = kind == THREE_GENERATIONS
    counts[tg, GRANDMOTHER] = 1
    counts[tg, WOMAN] = 1
    counts[tg, CHILD] = rng.choice(_KIDS_THREE_GENERATIONS[0], size=tg.sum(),
                                   p=_KIDS_THREE_GENERATIONS[1])
    counts[tg, UNCLE] = (u[tg, 2] < 0.4).astype(int)
    ac = kind == ADULT_CHILDREN
    counts[ac, WOMAN] = 1
    counts[ac, MAN] = (u[ac, 0] < 0.7).astype(int)
    counts[ac, ADULT_CHILD] = 1 + (u[ac, 2] < 0.45) + (u[ac, 3] < 0.15)
    sh = kind == SHARED
    counts[sh, SINGLE] = 2 + (u[sh, 2] < 0.5) + (u[sh, 3] < 0.2)

    flat = counts.ravel()
    hh = np.repeat(np.repeat(np.arange(H), N_ROLES), flat)
    role = np.repeat(np.tile(np.arange(N_ROLES), H), flat)
    N = len(hh)
    key = hh * N_ROLES + role
    rank = np.arange(N) - np.searchsorted(key, key, side="left")  # position within its role
    kind_p = kind[hh]
    d_p = d[hh]

    def head(r: int) -> np.ndarray:
        out = np.full(H, -1)
        idx = np.flatnonzero((role == r) & (rank == 0))
        out[hh[idx]] = idx
        return out

    man, woman, grandmother = head(MAN), head(WOMAN), head(GRANDMOTHER)

    # Ages (years, continuous). Minor children: the youngest age plus 1-4 year gaps; a gap of
    # 0 is a twin. Gaps are squeezed so the oldest minor child is still under 18.
    age = np.zeros(N)
    kid = np.flatnonzero(role == CHILD)
    gap = rng.uniform(1.0, 4.0, size=len(kid))
    twin = (rng.random(len(kid)) < 0.02) & (rank[kid] > 0)
    gap[twin] = 0.0
    gap[rank[kid] == 0] = 0.0
    cum = np.cumsum(gap)
    first = np.searchsorted(key[kid], key[kid], side="left")
    within = cum - cum[first] + gap[first]
    span = np.zeros(H)
    np.maximum.at(span, hh[kid], within)
    squeeze = np.where(span > 17.0, 17.0 / np.maximum(span, 1e-9), 1.0)
    within = within * squeeze[hh[kid]]
    span = span * squeeze
    youngest = rng.random(H) * (17.95 - span)
    age[kid] = youngest[hh[kid]] + within
    adult_kid = np.flatnonzero(role == ADULT_CHILD)
    age[adult_kid] = 18.05 + 9.0 * rng.beta(1.3, 2.5, size=len(adult_kid))
    oldest = np.zeros(H)
    np.maximum.at(oldest, hh[np.concatenate([kid, adult_kid])],
                  age[np.concatenate([kid, adult_kid])])
    has_kids = (counts[:, CHILD] + counts[:, ADULT_CHILD]) > 0

    # Mothers: 18.5-40 years older than the oldest child, younger in deprived neighbourhoods.
    # In a three-generation household the mother may herself be a teenager.
    mother_gap = rng.uniform(18.5, 40.0 - 6.0 * d)
    mother_gap[tg] = rng.uniform(15.5, 30.0, size=tg.sum())
    w_age = np.where(has_kids, oldest + mother_gap, 0.0)
    w_age[kind == COUPLE] = 20 + 55 * rng.beta(1.3, 1.6, size=(kind == COUPLE).sum())
    w_age[el] = 65 + 30 * rng.beta(1.2, 2.5, size=el.sum())
    m_age = np.maximum(w_age + rng.normal(2.5, 3.5, size=H), np.where(has_kids, oldest + 19, 18.5))
    m_age[father_head] = oldest[father_head] + rng.uniform(20, 45, size=father_head.sum())
    m_age[man_alone] = 65 + 30 * rng.beta(1.2, 2.5, size=man_alone.sum())
    idx = np.flatnonzero(woman >= 0)
    age[woman[idx]] = w_age[idx]
    idx = np.flatnonzero(man >= 0)
    age[man[idx]] = m_age[idx]
    idx = np.flatnonzero(grandmother >= 0)
    age[grandmother[idx]] = w_age[idx] + rng.uniform(19, 32, size=len(idx))
    unc = np.flatnonzero(role == UNCLE)
    age[unc] = np.maximum(w_age[hh[unc]] + rng.uniform(-6, 8, size=len(unc)), 18.5)
    sing = np.flatnonzero(role == SINGLE)
    student = rng.random(len(sing)) < 0.4
    age[sing] = np.where(student | (kind_p[sing] == SHARED),
                         18.2 + 12 * rng.beta(1.5, 3, size=len(sing)),
                         25 + 63 * rng.beta(1.3, 1.8, size=len(sing)))

    sex = np.where(rng.random(N) < 0.51, "M", "V").astype(object)
    sex[role == MAN] = "M"
    sex[role == UNCLE] = "M"
    sex[(role == WOMAN) | (role == GRANDMOTHER)] = "V"
    sex[(role == SINGLE) & (rng.random(N) < 0.001)] = "O"

    origin_hh = np.array(names.ORIGINS, dtype=object)[
        _pick(rng, (1 - d)[:, None] * _ORIGIN_P_AFFLUENT + d[:, None] * _ORIGIN_P_DEPRIVED)]
    origin = origin_hh[hh].copy()
    # Mixed couples: one partner of Dutch origin; children keep the migrant origin (CBS rule).
    mixed = (origin_hh != "NL") & (rng.random(H) < 0.12) & (man >= 0) & (woman >= 0)
    pick_man = rng.random(H) < 0.5
    origin[man[mixed & pick_man]] = "NL"
    origin[woman[mixed & ~pick_man]] = "NL"

    birth = (day - np.floor(age * YEAR)).astype(np.int64)
    birth_year = (birth.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
    prefix, surname = bank.surnames(rng, origin)
    given = bank.given_names(rng, origin, sex, birth_year)

    # Family ties. Stepfamilies: the man is not the children's father.
    step = tp & (rng.random(H) < 0.07)
    children = np.flatnonzero((role == CHILD) | (role == ADULT_CHILD))
    mother = np.full(N, -1)
    father = np.full(N, -1)
    mother[children] = woman[hh[children]]
    father[children] = np.where(step[hh[children]], -1, man[hh[children]])
    # Single mothers: some children's father lives alone elsewhere in the city.
    single_men = np.flatnonzero((role == SINGLE) & (sex == "M") & (kind_p == SINGLE_HH)
                                & (age > 24) & (age < 60))
    lone = np.flatnonzero(sp & (woman >= 0) & (rng.random(H) < 0.3))
    if len(single_men) and len(lone):
        dad = rng.choice(single_men, size=len(lone))
        dad_of = np.full(H, -1)
        dad_of[lone] = dad
        sel = children[dad_of[hh[children]] >= 0]
        father[sel] = dad_of[hh[sel]]
    # Children carry the father's surname when he is known, else the mother's.
    has_father = children[father[children] >= 0]
    surname[has_father] = surname[father[has_father]]
    prefix[has_father] = prefix[father[has_father]]
    no_father = children[(father[children] < 0) & (mother[children] >= 0)]
    surname[no_father] = surname[mother[no_father]]
    prefix[no_father] = prefix[mother[no_father]]
    origin[no_father] = origin[mother[no_father]]
    mother[woman[tg]] = grandmother[tg]
    mother[unc] = grandmother[hh[unc]]
    surname[unc] = surname[woman[hh[unc]]]
    prefix[unc] = prefix[woman[hh[unc]]]
    partner = np.full(N, -1)
    both = np.flatnonzero((man >= 0) & (woman >= 0))
    partner[man[both]] = woman[both]
    partner[woman[both]] = man[both]

    # Siblings with names that sound alike: large families, twins.
    n_children = counts[:, CHILD] + counts[:, ADULT_CHILD]
    twin_pairs = np.stack([kid[np.flatnonzero(twin) - 1], kid[twin]], axis=1)
    _alike_siblings(rng, bank, given, hh, sex, origin, birth_year, children, n_children,
                    twin_pairs)
    def named_after(child_sex: str, parent: np.ndarray, share: float) -> np.ndarray:
        """Children of `child_sex` given the first given name of `parent` (same origin):
        whether each person is such a child."""
        kids = np.flatnonzero(((role == CHILD) | (role == ADULT_CHILD)) & (sex == child_sex)
                              & (parent >= 0) & (rng.random(N) < share))
        kids = kids[origin[kids] == origin[parent[kids]]]
        if len(kids):
            given[kids] = [with_first_name(k, first_name(p))
                           for k, p in zip(given[kids], given[parent[kids]])]
        named = np.zeros(N, dtype=bool)
        named[kids] = True
        return named

    # Mother and daughter with the same first given name; father and son (a classic of
    # Dutch registers). In this order: each draws from rng.
    same_name_as_mother = named_after("V", mother, NAMED_AFTER_MOTHER)
    same_name_as_father = named_after("M", father, NAMED_AFTER_FATHER)

    households = pd.DataFrame({"kind": kind, "deprivation": d, "step": step,
                               "n_members": counts.sum(axis=1), "n_children": n_children})
    people = pd.DataFrame({
        "hh": hh, "role": role, "sex": sex, "birth": birth, "origin": origin,
        "prefix": prefix, "surname": surname, "given_names": given,
        "mother": mother, "father": father, "partner": partner,
        "twin": np.isin(np.arange(N), np.concatenate([kid[twin], kid[np.flatnonzero(twin) - 1]])),
        "named_after_father": same_name_as_father, "named_after_mother": same_name_as_mother,
        "same_name_as": -1,
    })
    return households, people


def _pick_name(r: random.Random, stems: list[str], pool: list[str], used: set[str]) -> str:
    stems = [n for n in stems if n not in used]
    pool = [n for n in pool if n not in used]
    if stems and (not pool or r.random() < 0.7):
        return r.choice(stems)
    return r.choice(pool) if pool else ""


def _alike_siblings(rng: np.random.Generator, bank: NameBank, given: np.ndarray,
                    hh: np.ndarray, sex: np.ndarray, origin: np.ndarray,
                    birth_year: np.ndarray, children: np.ndarray, n_children: np.ndarray,
                    twin_pairs: np.ndarray) -> None:
    """Rename in place: in some large families every child gets a name with the eldest's
    initial (from its stem group when there is one: Jan, Jannes, Jannick), and some twins
    get alliterating names (Lotte and Lieke). Only first given names change."""
    r = random.Random(int(rng.integers(1 << 62)))
    large = (n_children >= LARGE_FAMILY) & (rng.random(len(n_children)) < SIMILAR_NAMES_SHARE)
    chosen = children[large[hh[children]]]  # children are listed by household
    if len(chosen):
        cuts = np.flatnonzero(hh[chosen][1:] != hh[chosen][:-1]) + 1
        for group in np.split(chosen, cuts):
            lead = first_name(given[group[0]])
            used = {lead}
            for c in group[1:]:
                stems, pool = bank.alike(origin[c], sex[c], int(birth_year[c]), lead[:1], lead)
                pick = _pick_name(r, stems, pool, used)
                if pick:
                    given[c] = with_first_name(given[c], pick)
                    used.add(pick)
    same = twin_pairs[rng.random(len(twin_pairs)) < TWINS_SAME_INITIAL]
    for a, b in same:
        lead = first_name(given[a])
        if first_name(given[b])[:1] == lead[:1]:
            continue
        stems, pool = bank.alike(origin[b], sex[b], int(birth_year[b]), lead[:1], lead)
        pick = _pick_name(r, stems, pool, {lead})
        if pick:
            given[b] = with_first_name(given[b], pick)


@dataclass
class Town:
    """The register of one city, moved forward in time; see the module docstring."""

    rng: np.random.Generator
    bank: NameBank
    neighbourhoods: pd.DataFrame  # code, name, deprivation, weight
    addresses: pd.DataFrame  # address_id, postcode, house_number, addition, street, wijk
    persons: pd.DataFrame  # one row per person ever registered (position = person index)
    households: pd.DataFrame  # households as generated (base and arrivals): kind, wijk, since
    res_person: np.ndarray
    res_address: np.ndarray
    res_start: np.ndarray
    res_end: np.ndarray
    current_address: np.ndarray  # per person, -1 when not living in the city
    current_row: np.ndarray  # per person, row of the open residence (-1 none)
    bsn_pool: np.ndarray
    id_pool: np.ndarray
    base_day: int = 0
    next_person: int = 0
    events: list[dict] = field(default_factory=list)

    # --- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, rng: np.random.Generator, n_persons: int, base_day: int,
              expected_growth: float) -> "Town":
        bank = NameBank.build()
        n_wijk = int(np.clip(round(n_persons / 4000), 3, 99))
        neighbourhoods = _neighbourhoods(rng, n_wijk)
        n_households = int(n_persons / 2.1 * 1.02) + 10
        wijk = rng.choice(n_wijk, size=n_households, p=neighbourhoods["weight"].to_numpy())
        wijk.sort()  # households listed per neighbourhood, like a register sorted by address
        households, people = draw_households(
            rng, neighbourhoods["deprivation"].to_numpy()[wijk], base_day, bank)
        # Cut to the requested size at a household boundary.
        size = households["n_members"].to_numpy()
        keep_h = int(np.searchsorted(np.cumsum(size), n_persons) + 1)
        households = households.iloc[:keep_h].copy()
        people = people[people["hh"] < keep_h].reset_index(drop=True)
        for col in ("mother", "father", "partner"):  # a tie into a household cut off
            people.loc[people[col] >= len(people), col] = -1
        households["wijk"] = wijk[:keep_h]
        n_pool = int(len(people) * (1 + expected_growth) * 1.1) + 5000
        addresses = _addresses(rng, neighbourhoods,
                               np.bincount(households["wijk"], minlength=n_wijk))
        ids = rng.integers(1_000_000_000, 9_900_000_000, size=int(n_pool * 1.05) + 100)
        _, first = np.unique(ids, return_index=True)
        town = cls(rng=rng, bank=bank, neighbourhoods=neighbourhoods, addresses=addresses,
                   persons=pd.DataFrame(), households=pd.DataFrame(),
                   res_person=np.empty(0, np.int64), res_address=np.empty(0, np.int64),
                   res_start=np.empty(0, np.int64), res_end=np.empty(0, np.int64),
                   current_address=np.empty(0, np.int64), current_row=np.empty(0, np.int64),
                   bsn_pool=valid_bsns(rng, n_pool).astype(str),
                   id_pool=ids[np.sort(first)][:n_pool].astype(str), base_day=base_day)
        town._settle(households, people, base_day, history=True)
        town._same_names_same_birth_date(max(3, n_persons // 4000))
        return town

    def _take_ids(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        start = self.next_person
        if start + n > len(self.id_pool):
            raise RuntimeError("person id pool exhausted; raise expected_growth")
        self.next_person += n
        return self.id_pool[start:start + n], self.bsn_pool[start:start + n]

    def _vacant(self) -> np.ndarray:
        occupied = np.zeros(len(self.addresses), dtype=bool)
        occupied[self.current_address[self.current_address >= 0]] = True
        return np.flatnonzero(~occupied)

    def _settle(self, households: pd.DataFrame, people: pd.DataFrame, day: int,
                history: bool, arrival: np.ndarray | None = None) -> None:
        """Register new households (the base population, or arrivals) at vacant addresses."""
        rng = self.rng
        offset_p, offset_h = len(self.persons), len(self.households)
        H = len(households)
        wijk = households["wijk"].to_numpy()
        # A vacant address in the household's neighbourhood, else anywhere.
        vacant = self._vacant()
        vacant = vacant[rng.permutation(len(vacant))]
        addr_wijk = self.addresses["wijk"].to_numpy()[vacant]
        order = np.argsort(addr_wijk, kind="stable")
        vacant, addr_wijk = vacant[order], addr_wijk[order]
        address = np.full(H, -1)
        n_w = len(self.neighbourhoods)
        start_of = np.searchsorted(addr_wijk, np.arange(n_w + 1))
        hh_order = np.argsort(wijk, kind="stable")
        rank = np.arange(H) - np.searchsorted(wijk[hh_order], wijk[hh_order])
        avail = (start_of[1:] - start_of[:-1])[wijk[hh_order]]
        ok = rank < avail
        address[hh_order[ok]] = vacant[start_of[wijk[hh_order[ok]]] + rank[ok]]
        if (~ok).any():  # neighbourhood full: take any vacant address left
            used = np.zeros(len(self.addresses), dtype=bool)
            used[address[address >= 0]] = True
            rest = vacant[~used[vacant]]
            if len(rest) < (~ok).sum():
                raise RuntimeError("no vacant addresses left; the city is full")
            address[hh_order[~ok]] = rest[:(~ok).sum()]
            households = households.assign(wijk=self.addresses["wijk"].to_numpy()[address])

        hh = people["hh"].to_numpy()
        birth = people["birth"].to_numpy()
        # When the household moved in: years ago, but not before its youngest adult head
        # (not an adult child, who may have been born there) was 18.
        head = (people["role"].isin([MAN, WOMAN, GRANDMOTHER, SINGLE]).to_numpy()
                & ((day - birth) >= 18 * YEAR))
        youngest_adult = np.full(H, float(day - 80 * YEAR))
        np.maximum.at(youngest_adult, hh[head], birth[head] + 18 * YEAR)
        if history:
            since = day - rng.exponential(8 * YEAR, size=H)
            since = np.maximum(since, youngest_adult).astype(np.int64)
        else:
            since = arrival.astype(np.int64)
        households = households.assign(since=since, address=address)

        ids, bsns = self._take_ids(len(people))
        people = people.assign(
            person_id=ids, bsn=bsns, hh=hh + offset_h,
            mother=np.where(people["mother"] >= 0, people["mother"] + offset_p, -1),
            father=np.where(people["father"] >= 0, people["father"] + offset_p, -1),
            partner=np.where(people["partner"] >= 0, people["partner"] + offset_p, -1))
        pidx = np.arange(len(people)) + offset_p
        start = np.maximum(since[hh], birth)
        rows_p, rows_a, rows_s = [pidx], [address[hh]], [start]
        rows_e = [np.full(len(pidx), NO_DAY)]
        if history:
            # Movers within the city: a previous address, left on the day they moved in.
            moved = rng.random(H) < 0.3
            prev_addr = rng.integers(0, len(self.addresses), size=H)
            prev_addr = np.where(prev_addr == address, (prev_addr + 1) % len(self.addresses),
                                 prev_addr)
            prev_start = (since - rng.exponential(6 * YEAR, size=H)).astype(np.int64)
            m = moved[hh] & (birth < since[hh])
            rows_p.append(pidx[m])
            rows_a.append(prev_addr[hh[m]])
            rows_s.append(np.maximum(prev_start[hh[m]], birth[m]))
            rows_e.append(since[hh[m]])
        n_before = len(self.res_person)
        self.res_person = np.concatenate([self.res_person, *rows_p])
        self.res_address = np.concatenate([self.res_address, *rows_a])
        self.res_start = np.concatenate([self.res_start, *rows_s]).astype(np.int64)
        self.res_end = np.concatenate([self.res_end, *rows_e]).astype(np.int64)
        self.persons = pd.concat([self.persons, people], ignore_index=True)
        self.households = pd.concat([self.households, households], ignore_index=True)
        self.current_address = np.concatenate([self.current_address, address[hh]])
        self.current_row = np.concatenate([self.current_row, n_before + np.arange(len(people))])

    def _same_names_same_birth_date(self, n_pairs: int) -> None:
        """Make strangers share surname, first given name and birth date (truly ambiguous)."""
        p = self.persons
        adult = (p["role"].isin([MAN, WOMAN])) & (p["origin"] == "NL")
        common = p["surname"].isin(["Vries", "Jansen", "Jong", "Bakker", "Visser", "Smit"])
        # Settled people (30+), who rarely leave the city before the first run.
        grown = (self.base_day - p["birth"]) > 30 * YEAR
        a_pool = np.flatnonzero(adult & common & grown)
        fathers = np.isin(np.arange(len(p)), p["father"].to_numpy())
        b_pool = np.flatnonzero((p["role"] == SINGLE) & (p["origin"] == "NL") & ~fathers
                                & grown)
        if len(a_pool) == 0 or len(b_pool) == 0:
            return
        a = self.rng.choice(a_pool, size=min(n_pairs, len(a_pool)), replace=False)
        b = self.rng.choice(b_pool, size=len(a), replace=False)
        for col in ("surname", "prefix", "birth", "sex"):
            p.loc[b, col] = p.loc[a, col].to_numpy()
        p.loc[b, "given_names"] = [g.split(" ")[0] for g in p.loc[a, "given_names"]]
        # Residences of b must not start before the new birth date.
        rows = np.flatnonzero(np.isin(self.res_person, b))
        self.res_start[rows] = np.maximum(self.res_start[rows],
                                          p["birth"].to_numpy()[self.res_person[rows]])
        p["same_name_as"] = -1
        p.loc[b, "same_name_as"] = a

    # --- moving forward -------------------------------------------------------------------
    def _end(self, who: np.ndarray, when: np.ndarray) -> None:
        rows = self.current_row[who]
        self.res_end[rows] = when
        self.current_address[who] = -1
        self.current_row[who] = -1

    def _start(self, who: np.ndarray, address: np.ndarray, when: np.ndarray) -> None:
        n = len(self.res_person)
        self.res_person = np.concatenate([self.res_person, who])
        self.res_address = np.concatenate([self.res_address, address])
        self.res_start = np.concatenate([self.res_start, when.astype(np.int64)])
        self.res_end = np.concatenate([self.res_end, np.full(len(who), NO_DAY)])
        self.current_address[who] = address
        self.current_row[who] = n + np.arange(len(who))

    def _move(self, who: np.ndarray, address: np.ndarray, when: np.ndarray) -> None:
        self._end(who, when)
        self._start(who, address, when)

    def advance(self, start: int, end: int) -> None:
        """One quarter (start, end]: the events a register sees, with dates inside it."""
        rng = self.rng
        p = self.persons
        n = len(p)
        birth = p["birth"].to_numpy()
        age = (end - birth) / YEAR
        here = np.flatnonzero(self.current_address >= 0)
        when = lambda k: rng.integers(start + 1, end + 1, size=k)  # noqa: E731
        vacant = self._vacant()
        vacant = vacant[rng.permutation(len(vacant))]
        taken = 0

        def take(k: int) -> np.ndarray:
            nonlocal taken
            if taken + k > len(vacant):
                raise RuntimeError("no vacant addresses left; the city is full")
            out = vacant[taken:taken + k]
            taken += k
            return out

        # Deaths: a hazard rising with age (about 4% a year at 85).
        hazard = np.clip(0.0005 * np.exp(0.09 * (age[here] - 50)), 0, 0.15)
        died = here[rng.random(len(here)) < hazard]
        self._end(died, when(len(died)))

        # Households by current address (after deaths).
        here = np.flatnonzero(self.current_address >= 0)
        addr = self.current_address[here]
        order = np.argsort(addr, kind="stable")
        here, addr = here[order], addr[order]
        uniq, first, size = np.unique(addr, return_index=True, return_counts=True)
        group = np.repeat(np.arange(len(uniq)), size)
        young = np.zeros(len(uniq), dtype=bool)
        np.logical_or.at(young, group, age[here] < 30)
        all_young = np.ones(len(uniq), dtype=bool)
        np.logical_and.at(all_young, group, age[here] < 30)

        # Departures out of the city (mostly young singles and students) and moves within it.
        leave = rng.random(len(uniq)) < np.where(all_young, 0.03, 0.006)
        move = ~leave & (rng.random(len(uniq)) < 0.015)
        g_date = when(len(uniq))
        gone = here[leave[group]]
        self._end(gone, g_date[group[leave[group]]])
        movers = here[move[group]]
        new_addr = np.full(len(uniq), -1)
        new_addr[move] = take(int(move.sum()))
        self._move(movers, new_addr[group[move[group]]], g_date[group[move[group]]])

        # Adult children (18-28) leaving their parents' home, and separations.
        here = np.flatnonzero(self.current_address >= 0)
        mother, father = p["mother"].to_numpy(), p["father"].to_numpy()
        cur = self.current_address

        def lives_with(parent: np.ndarray) -> np.ndarray:
            return (parent >= 0) & (cur[np.maximum(parent, 0)] == cur[here])

        at_home = here[(lives_with(mother[here]) | lives_with(father[here]))
                       & (age[here] >= 18) & (age[here] < 28)]
        leaving = at_home[rng.random(len(at_home)) < 0.04]
        self._move(leaving, take(len(leaving)), when(len(leaving)))
        kids = here[(age[here] < 18) & (father[here] >= 0) & (mother[here] >= 0)]
        kids = kids[(cur[father[kids]] == cur[kids]) & (cur[mother[kids]] == cur[kids])]
        fathers = np.unique(father[kids])
        separating = fathers[rng.random(len(fathers)) < 0.004]
        self._move(separating, take(len(separating)), when(len(separating)))

        # Births: to women 18-43, more often when a man 20-60 lives at the same address.
        here = np.flatnonzero(self.current_address >= 0)
        sex = p["sex"].to_numpy()
        men = here[(sex[here] == "M") & (age[here] >= 20) & (age[here] < 60)]
        man_at = pd.Series(men, index=cur[men])
        man_at = man_at[~man_at.index.duplicated()]
        women = here[(sex[here] == "V") & (age[here] >= 18) & (age[here] < 43)]
        partner = man_at.reindex(cur[women]).fillna(-1).to_numpy().astype(np.int64)
        chosen = rng.random(len(women)) < np.where(partner >= 0, 0.016, 0.004)
        mothers, dad = women[chosen], partner[chosen]
        b_day = when(len(mothers))
        twins = rng.random(len(mothers)) < 0.015
        self._births(np.concatenate([mothers, mothers[twins]]),
                     np.concatenate([dad, dad[twins]]),
                     np.concatenate([b_day, b_day[twins]]),
                     np.concatenate([twins, np.ones(int(twins.sum()), dtype=bool)]),
                     np.concatenate([np.full(len(mothers), -1), np.flatnonzero(twins)]))

        # Arrivals: new households from outside at vacant addresses. Fewer households than
        # left, because those who leave are mostly students and other singles: the city
        # grows by about half a percent a year.
        n_new = int(leave.sum() * 0.97)
        if n_new:
            wijk = rng.choice(len(self.neighbourhoods), size=n_new,
                              p=self.neighbourhoods["weight"].to_numpy())
            hhs, people = draw_households(
                rng, self.neighbourhoods["deprivation"].to_numpy()[wijk], end, self.bank)
            hhs["wijk"] = wijk
            arrival = when(n_new)
            # Nobody is registered before birth: shift babies' births before arrival.
            people["birth"] = np.minimum(people["birth"].to_numpy(),
                                         arrival[people["hh"].to_numpy()])
            self._settle(hhs, people, end, history=False, arrival=arrival)
        self.events.append({"start": start, "end": end, "deaths": len(died),
                            "departed_households": int(leave.sum()), "moves": int(move.sum()),
                            "left_home": len(leaving), "separations": len(separating),
                            "births": len(mothers), "arrived_households": n_new})

    def _baby_origin(self, mother: np.ndarray, father: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Each baby's origin (the mother's, or a non-Dutch father's where she is Dutch) and
        the parent whose surname it takes (the father when known)."""
        origin_of = self.persons["origin"].to_numpy()
        origin = origin_of[mother].copy()
        has_dad = father >= 0
        dad_origin = origin_of[np.maximum(father, 0)]
        use_dad = has_dad & (origin == "NL") & (dad_origin != "NL")
        origin[use_dad] = dad_origin[use_dad]
        return origin, np.where(has_dad, father, mother)

    def _births(self, mother: np.ndarray, father: np.ndarray, day: np.ndarray,
                twins: np.ndarray, twin_of: np.ndarray) -> None:
        """Babies of `mother` (and `father`, -1 if none at her address) on `day`; `twin_of`
        is the position in this batch of a baby's co-twin born first (-1: none)."""
        if len(mother) == 0:
            return
        rng = self.rng
        p = self.persons
        n = len(mother)
        sex = np.where(rng.random(n) < 0.51, "M", "V").astype(object)
        origin, src = self._baby_origin(mother, father)
        year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        ids, bsns = self._take_ids(n)
        given = self.bank.given_names(rng, origin, sex, year)
        r = random.Random(int(rng.integers(1 << 62)))
        for b in np.flatnonzero(twin_of >= 0):  # twins with alliterating names
            lead = first_name(given[twin_of[b]])
            if r.random() < TWINS_SAME_INITIAL and given[b][:1] != lead[:1]:
                stems, pool = self.bank.alike(origin[b], sex[b], int(year[b]), lead[:1], lead)
                given[b] = with_first_name(given[b], _pick_name(r, stems, pool, {lead})
                                           or first_name(given[b]))
        # A baby named after the parent of the same sex (Mohammed after Mohammed).
        parents_given = p["given_names"].to_numpy()
        after_father = (sex == "M") & (father >= 0) & (rng.random(n) < NAMED_AFTER_FATHER)
        after_mother = (sex == "V") & (rng.random(n) < NAMED_AFTER_MOTHER)
        for b in np.flatnonzero(after_father | after_mother):
            parent = father[b] if after_father[b] else mother[b]
            given[b] = with_first_name(given[b], first_name(parents_given[parent]))
        babies = pd.DataFrame({
            "hh": -1, "role": CHILD, "sex": sex, "birth": day.astype(np.int64), "origin": origin,
            "prefix": p["prefix"].to_numpy()[src], "surname": p["surname"].to_numpy()[src],
            "given_names": given,
            "mother": mother, "father": father, "partner": -1,
            "twin": twins,
            "named_after_father": after_father, "named_after_mother": after_mother,
            "same_name_as": -1,
            "person_id": ids, "bsn": bsns})
        first = len(p)
        self.persons = pd.concat([p, babies], ignore_index=True)
        who = first + np.arange(n)
        self.current_address = np.concatenate([self.current_address, np.full(n, -1)])
        self.current_row = np.concatenate([self.current_row, np.full(n, -1)])
        self._start(who, self.current_address[mother], day)

    def add_babies(self, mother: np.ndarray, father: np.ndarray, day: np.ndarray,
                   sex: np.ndarray, given: np.ndarray) -> np.ndarray:
        """Babies born on `day` to `mother` (and `father`, -1: none), with the given sex and
        names, added after the town was moved forward (data_fixtures plants a few family
        shapes this way): each lives wherever its mother lives from its birth on. Returns
        their person indices."""
        p = self.persons
        n = len(mother)
        origin, src = self._baby_origin(mother, father)
        ids, bsns = self._take_ids(n)
        first = len(p)
        self.persons = pd.concat([p, pd.DataFrame({
            "hh": -1, "role": CHILD, "sex": np.asarray(sex, dtype=object),
            "birth": np.asarray(day, dtype=np.int64), "origin": origin,
            "prefix": p["prefix"].to_numpy()[src], "surname": p["surname"].to_numpy()[src],
            "given_names": np.asarray(given, dtype=object), "mother": mother, "father": father,
            "partner": -1, "twin": False, "named_after_father": False,
            "named_after_mother": False, "same_name_as": -1, "person_id": ids,
            "bsn": bsns})], ignore_index=True)
        who = first + np.arange(n)
        rows_p, rows_a, rows_s, rows_e = [], [], [], []
        current_row = np.full(n, -1)
        for i, (m, d) in enumerate(zip(mother, day)):
            for row in np.flatnonzero((self.res_person == m) & ((self.res_end == NO_DAY)
                                                                | (self.res_end > d))):
                if self.current_row[m] == row:
                    current_row[i] = len(self.res_person) + len(rows_p)
                rows_p.append(who[i])
                rows_a.append(self.res_address[row])
                rows_s.append(max(int(self.res_start[row]), int(d)))
                rows_e.append(self.res_end[row])
        self.res_person = np.concatenate([self.res_person, np.array(rows_p, dtype=np.int64)])
        self.res_address = np.concatenate([self.res_address, np.array(rows_a, dtype=np.int64)])
        self.res_start = np.concatenate([self.res_start, np.array(rows_s, dtype=np.int64)])
        self.res_end = np.concatenate([self.res_end, np.array(rows_e, dtype=np.int64)])
        self.current_address = np.concatenate([self.current_address,
                                               self.current_address[mother]])
        self.current_row = np.concatenate([self.current_row, current_row])
        return who

    # --- reading --------------------------------------------------------------------------
    def register_on(self, day: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(persons, residences) as the register delivers them on `day`: nobody and nothing
        from after it, and a residence that ends later is still open."""
        started = self.res_start <= day
        first_start = np.full(len(self.persons), np.iinfo(np.int64).max)
        np.minimum.at(first_start, self.res_person, self.res_start)
        p = self.persons
        known = (p["birth"].to_numpy() <= day) & (first_start <= day)
        persons = p[known]
        end = np.where(self.res_end > day, NO_DAY, self.res_end)
        residences = pd.DataFrame({"person": self.res_person[started],
                                   "address": self.res_address[started],
                                   "start": self.res_start[started], "end": end[started]})
        return persons, residences


def _neighbourhoods(rng: np.random.Generator, n: int) -> pd.DataFrame:
    base = names.NEIGHBOURHOOD_NAMES
    compass = ["Noord", "Zuid", "Oost", "West"]  # big cities: "Beijum Noord", ...
    labels = [base[i] if i < len(base) else
              f"{base[i % len(base)]} {compass[(i // len(base) - 1) % 4]}" for i in range(n)]
    deprivation = rng.beta(1.4, 2.6, size=n)
    deprivation[rng.permutation(n)[:2]] = [0.85, 0.1]  # at least one poor, one rich
    return pd.DataFrame({
        "code": [f"WK0014{i + 1:02d}" for i in range(n)],
        "name": labels,
        "deprivation": deprivation,
        "weight": (w := rng.lognormal(0, 0.45, size=n)) / w.sum(),
    })


_PC_LETTERS = [a + b for a in "ABCDEGHJKLMNPRSTVWXZ" for b in "ABCDEGHJKLMNPRSTVWXZ"
               if a + b not in ("SA", "SD", "SS")][:300]
_STREET_PREFIXES = ["", "Verlengde ", "Nieuwe ", "Oude ", "Kleine ", "Grote ", "Korte ",
                    "Lange ", "Hoge ", "Lage "]


def _addresses(rng: np.random.Generator, wijken: pd.DataFrame,
               households_per_wijk: np.ndarray) -> pd.DataFrame:
    """Addresses per neighbourhood (15% spare for moves and arrivals) on streets, with
    postcodes of 4 digits + 2 letters changing every 12 house numbers and some apartment
    buildings whose units have additions (A, B / 1, 2 / bis)."""
    need = (households_per_wijk * 1.15 + 20).astype(int)
    units = np.where(rng.random(int(need.sum()) + 100) < 0.12,
                     rng.integers(2, 5, size=int(need.sum()) + 100), 1)
    parts = []
    pc4 = 9711
    street_no = 0
    for w, k in enumerate(need):
        n_build = int(np.searchsorted(np.cumsum(units), k) + 1)
        u = units[:n_build]
        units = np.roll(units, -n_build)
        building = np.repeat(np.arange(n_build), u)[:k]
        unit = np.arange(len(building)) - np.searchsorted(building, building)
        street_len = int(rng.integers(40, 130))
        street = building // street_len
        number = building % street_len + 1
        pcs_per_street = -(-street_len // 12)
        pc_index = street * pcs_per_street + (number - 1) // 12
        pc = 1000 + (pc4 + pc_index // 300 - 1000) % 9000  # past 9999: other 4-digit areas
        pc4 += int(pc_index.max() // 300) + 1
        letters = np.array(_PC_LETTERS, dtype=object)[pc_index % 300]
        style = rng.integers(0, 3, size=n_build)[building]
        multi = u[building] > 1
        addition = np.where(~multi, "", np.where(
            style == 0, np.array(list("ABCD"), dtype=object)[unit],
            np.where(style == 1, (unit + 1).astype(str).astype(object),
                     np.where(unit == 0, "", np.where(unit == 1, "bis", (unit + 1).astype(str))))))
        names_idx = street + street_no
        street_no += int(street.max()) + 1
        parts.append(pd.DataFrame({
            "wijk": w, "street_no": names_idx,
            "postcode": [f"{a:04d}{b}" for a, b in zip(pc, letters)],
            "house_number": number, "addition": addition}))
    addr = pd.concat(parts, ignore_index=True)
    # Street names: root x suffix x prefix, shuffled, unique up to 8,500 streets.
    combos = len(names.STREET_ROOTS) * len(names.STREET_SUFFIXES) * len(_STREET_PREFIXES)
    perm = rng.permutation(combos)
    code = perm[addr["street_no"].to_numpy() % combos]
    roots = np.array(names.STREET_ROOTS, dtype=object)
    sufs = np.array(names.STREET_SUFFIXES, dtype=object)
    pres = np.array(_STREET_PREFIXES, dtype=object)
    r = code % len(roots)
    s = (code // len(roots)) % len(sufs)
    q = code // (len(roots) * len(sufs))
    root = roots[r]
    # "Oosterstraat" but "Jozef Israëlsstraat" and "Frans Halsstraat": compound names glue.
    addr["street"] = pres[q] + root + sufs[s]
    serial = rng.permutation(len(addr)) + 10_000_000
    addr["address_id"] = [f"0014010{s:09d}" for s in serial]
    return addr.drop(columns="street_no")
