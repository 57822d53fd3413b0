"""What an agency writes down about a person: the identifying fields of each true record,
rendered in the agency's own style and with the naming noise real files have.

Two levels. "easy": BSNs mostly present, rare typos. "hard": many missing BSNs, mistyped BSNs
that fail the 11-proof, a relative's BSN, typos in surnames, initials instead of given names,
nicknames (Kees for Cornelis), prefixes inside or glued to the surname ("van der Berg",
"vanderBerg", "Berg, van der"), married names ("Jansen-de Vries") or the partner's surname,
dropped diacritics, postcode spacing and case, the address from before a move, day and month
swapped in birth dates. Every row carries `noise`: the tags of what was done to it, so tests
and linkage diagnostics can see which difficulty caused a miss.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mpg.data_fixtures import names
from mpg.data_fixtures.formats import SOURCES, Source
from mpg.data_fixtures.population import NO_DAY, YEAR, NameBank, Town, mistype_bsn, valid_bsns

NOISE = {
    "easy": dict(bsn_mistyped=0.002, bsn_of_relative=0.0, surname_typo=0.01, married_name=0.02,
                 partner_surname=0.005, prefix_in_surname=0.01, prefix_glued=0.0,
                 diacritics_dropped=0.15, given_initials=0.01, given_nickname=0.03,
                 call_nickname=0.2, given_typo=0.003, birth_missing=0.01,
                 birth_day_month_swapped=0.002, birth_year_typo=0.0, postcode_format=0.0,
                 old_address=0.02, address_missing=0.1, addition_dropped=0.1, sex_missing=0.02),
    "hard": dict(bsn_mistyped=0.03, bsn_of_relative=0.006, surname_typo=0.08, married_name=0.15,
                 partner_surname=0.06, prefix_in_surname=0.15, prefix_glued=0.06,
                 diacritics_dropped=0.6, given_initials=0.12, given_nickname=0.3,
                 call_nickname=0.6, given_typo=0.04, birth_missing=0.08,
                 birth_day_month_swapped=0.025, birth_year_typo=0.01, postcode_format=0.4,
                 old_address=0.3, address_missing=0.3, addition_dropped=0.5, sex_missing=0.1),
}
_NEAR_KEYS = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm",
                                   ["wa", "qes", "wrd", "etf", "ryg", "tuh", "yij", "uok", "ipl",
                                    "ol", "qsz", "awdx", "serc", "drtv", "ftyb", "gyun", "huim",
                                    "jiok", "kop", "asx", "zsdc", "xdfv", "cfgb", "vghn", "bhjm",
                                    "njk"])}


def typo(s: str, r: np.ndarray) -> str:
    """One keyboard slip after the first letter: delete, swap, double or hit a neighbour."""
    if len(s) < 3:
        return s
    i = 1 + int(r[0] * (len(s) - 1))
    i = min(i, len(s) - 1)
    op = int(r[1] * 4)
    if op == 0:
        return s[:i] + s[i + 1:]
    if op == 1 and s[i] != s[i - 1]:
        return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]
    if op == 2:
        return s[:i] + s[i] + s[i:]
    near = _NEAR_KEYS.get(s[i].lower(), "e")
    c = near[int(r[2] * len(near)) % len(near)]
    return s[:i] + (c.upper() if s[i].isupper() else c) + s[i + 1:]


def _initials(given: str) -> str:
    return "".join(w[0].upper() + "." for w in given.replace("-", " ").split() if w)


def _join(prefix: str, surname: str) -> str:
    return f"{prefix} {surname}" if prefix else surname


def identities(records: pd.DataFrame, town: Town, rng: np.random.Generator) -> pd.DataFrame:
    """The true identity behind each record; people not in the register get one made up."""
    p = town.persons
    n = len(records)
    person = records["person"].to_numpy()
    reg = person >= 0
    pr = np.maximum(person, 0)
    col = lambda c: p[c].to_numpy()[pr]  # noqa: E731
    out = pd.DataFrame({
        "person_id": np.where(reg, col("person_id"), None),
        "bsn": np.where(reg, col("bsn"), ""), "prefix": np.where(reg, col("prefix"), ""),
        "surname": np.where(reg, col("surname"), ""),
        "given_names": np.where(reg, col("given_names"), ""),
        "birth": np.where(reg, col("birth"), NO_DAY), "sex": np.where(reg, col("sex"), ""),
    }, index=records.index)
    partner = np.where(reg, col("partner"), -1)
    has_partner = partner >= 0
    partner_at = np.maximum(partner, 0)
    out["partner_prefix"] = np.where(has_partner, p["prefix"].to_numpy()[partner_at], "")
    out["partner_surname"] = np.where(has_partner, p["surname"].to_numpy()[partner_at], "")
    relative = np.where(has_partner, partner, np.where(reg, col("mother"), -1))
    out["relative_bsn"] = np.where(relative >= 0, p["bsn"].to_numpy()[np.maximum(relative, 0)], "")

    fake = (records["why"] == "unregistered").to_numpy()
    k = int(fake.sum())
    if k:
        bank: NameBank = town.bank
        origin = rng.choice(names.ORIGINS, size=k, p=[0.6, 0.08, 0.08, 0.06, 0.06, 0.12])
        sex = np.where(rng.random(k) < 0.55, "M", "V").astype(object)
        contact = records["contact"].to_numpy()[fake]
        child = (records["source"].to_numpy()[fake] == "JEUGDZORG_TOEGANG")
        age = np.where(child, rng.uniform(0.5, 17.5, size=k), rng.uniform(18.5, 70, size=k))
        birth = (contact - age * YEAR).astype(np.int64)
        year = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        prefix, surname = bank.surnames(rng, origin)
        registered = set(p["bsn"])
        bsn = [b for b in valid_bsns(rng, 2 * k + 10).astype(str) if b not in registered][:k]
        out.loc[fake, "prefix"] = prefix
        out.loc[fake, "surname"] = surname
        out.loc[fake, "given_names"] = bank.given_names(rng, origin, sex, year)
        out.loc[fake, "birth"] = birth
        out.loc[fake, "sex"] = sex
        out.loc[fake, "bsn"] = np.where(rng.random(k) < 0.4, np.array(bsn, dtype=object), "")
    anonymous = (records["why"] == "anonymous").to_numpy()
    out.loc[anonymous, ["bsn", "prefix", "surname", "given_names", "sex"]] = ""
    out.loc[anonymous, "birth"] = NO_DAY
    out["birth"] = out["birth"].astype(np.int64)
    return out


def addresses_at_contact(records: pd.DataFrame, town: Town,
                         rng: np.random.Generator) -> pd.DataFrame:
    """The address each person lived at on the contact date, and the one before it."""
    person = records["person"].to_numpy()
    contact = records["contact"].to_numpy()
    offset, scale = 60_000, 1 << 18  # day numbers from 1806 on fit between 0 and 2**18
    key = town.res_person * scale + (town.res_start + offset)
    order = np.argsort(key, kind="stable")
    key = key[order]
    want = np.maximum(person, 0) * scale + (contact + offset)
    pos = np.searchsorted(key, want, side="right") - 1
    row = order[np.maximum(pos, 0)]
    found = (pos >= 0) & (town.res_person[row] == person) & (person >= 0)
    prev_pos = pos - 1
    prev_row = order[np.maximum(prev_pos, 0)]
    has_prev = found & (prev_pos >= 0) & (town.res_person[prev_row] == person)
    a = town.addresses
    cols = {}
    for name, r, ok in (("", row, found), ("prev_", prev_row, has_prev)):
        addr = town.res_address[r]
        cols[name + "postcode"] = np.where(ok, a["postcode"].to_numpy()[addr], "")
        cols[name + "house_number"] = np.where(ok, a["house_number"].to_numpy()[addr], -1)
        cols[name + "addition"] = np.where(ok, a["addition"].to_numpy()[addr], "")
        cols[name + "wijk"] = np.where(ok, a["wijk"].to_numpy()[addr], -1)
    out = pd.DataFrame(cols, index=records.index)
    # People not in the register live elsewhere: half of them with an address in Assen.
    fake = (records["why"] == "unregistered").to_numpy() & (rng.random(len(records)) < 0.5)
    out.loc[fake, "postcode"] = [f"94{int(x):02d}{y}" for x, y in zip(
        rng.integers(0, 60, size=fake.sum()),
        rng.choice(["AB", "CD", "EG", "HK", "LM", "RS", "TV"], size=fake.sum()))]
    out.loc[fake, "house_number"] = rng.integers(1, 200, size=fake.sum())
    if "wijk" in records:
        anon = (records["why"] == "anonymous").to_numpy()
        out.loc[anon, "wijk"] = records.loc[anon, "wijk"].astype(int).to_numpy()
    return out


def render(records: pd.DataFrame, town: Town, difficulty: str,
           rng: np.random.Generator) -> pd.DataFrame:
    """Canonical record fields as each agency writes them, plus `person_id` and `noise`."""
    if difficulty not in NOISE:
        raise ValueError(f"difficulty must be 'easy' or 'hard', not {difficulty!r}")
    ident = identities(records, town, rng)
    address = addresses_at_contact(records, town, rng)
    parts = []
    for source in SOURCES:
        m = (records["source"] == source.agency).to_numpy()
        if m.any():
            parts.append(_render_source(source, records[m], ident[m], address[m],
                                        town, difficulty, rng))
    return pd.concat(parts).loc[records.index]


def _render_source(source: Source, rec: pd.DataFrame, ident: pd.DataFrame,
                   address: pd.DataFrame, town: Town, difficulty: str,
                   rng: np.random.Generator) -> pd.DataFrame:
    P = NOISE[difficulty]
    n = len(rec)
    tags: dict[str, np.ndarray] = {}
    anonymous = (rec["why"] == "anonymous").to_numpy()
    named = ~anonymous

    def flag(tag: str, p: float, eligible: np.ndarray | None = None) -> np.ndarray:
        eligible = np.ones(n, dtype=bool) if eligible is None else eligible
        mask = (rng.random(n) < p) & eligible
        if difficulty == "hard" and p > 0 and not mask.any() and eligible.any():
            # A hard file has each kind of noise at least once, however small it is.
            mask[rng.choice(np.flatnonzero(eligible))] = True
        tags[tag] = tags.get(tag, np.zeros(n, dtype=bool)) | mask
        return mask

    s = lambda c: ident[c].to_numpy(dtype=object).copy()  # noqa: E731
    bsn, prefix, surname, given = s("bsn"), s("prefix"), s("surname"), s("given_names")
    birth = ident["birth"].to_numpy().copy()
    contact = rec["contact"].to_numpy()

    # BSN: often missing, sometimes mistyped, now and then the partner's or mother's.
    if source.has("bsn"):
        fill = source.bsn_fill[0 if difficulty == "easy" else 1]
        missing = rng.random(n) >= fill
        tags["bsn_missing"] = missing & (bsn != "")
        bsn[missing] = ""
        wrong = flag("bsn_mistyped", P["bsn_mistyped"], bsn != "")
        bsn[wrong] = [mistype_bsn(rng, b) for b in bsn[wrong]]
        relative = ident["relative_bsn"].to_numpy(dtype=object)
        rel = flag("bsn_of_relative", P["bsn_of_relative"], (bsn != "") & (relative != "") & ~wrong)
        bsn[rel] = relative[rel]
    else:
        bsn[:] = ""

    # Surnames: married names of women with a partner, typos, diacritics.
    adult = (contact - birth) > 20 * YEAR
    p_prefix = ident["partner_prefix"].to_numpy(dtype=object)
    p_surname = ident["partner_surname"].to_numpy(dtype=object)
    eligible = (ident["sex"].to_numpy() == "V") & (p_surname != "") & adult & named
    married = flag("married_name", P["married_name"], eligible)
    surname[married] = [f"{ps}-{_join(pf, sn)}" for ps, pf, sn in
                        zip(p_surname[married], prefix[married], surname[married])]
    prefix[married] = p_prefix[married]
    partner_only = flag("partner_surname", P["partner_surname"], eligible & ~married)
    surname[partner_only] = p_surname[partner_only]
    prefix[partner_only] = p_prefix[partner_only]
    slip = flag("surname_typo", P["surname_typo"], named)
    surname[slip] = [typo(x, r) for x, r in zip(surname[slip], rng.random((slip.sum(), 3)))]
    accented = np.array([names.strip_diacritics(a + b) != a + b for a, b in zip(surname, given)],
                        dtype=bool)
    plain = flag("diacritics_dropped", P["diacritics_dropped"], accented)
    surname[plain] = [names.strip_diacritics(x) for x in surname[plain]]
    given[plain] = [names.strip_diacritics(x) for x in given[plain]]

    # Given names in the agency's style, with nicknames, initials and typos.
    first = np.array([g.split(" ")[0] for g in given], dtype=object)
    nick_of = names.NICKNAMES
    has_nick = np.array([f in nick_of for f in first], dtype=bool)
    if source.given_style == "all":
        shown = given.copy()
    elif source.given_style == "initials":
        shown = np.array([_initials(g) for g in given], dtype=object)
        tags["given_initials"] = named & (shown != "")
    else:
        shown = first.copy()
    if source.given_style in ("first", "all", "call"):
        p_nick = P["call_nickname"] if source.given_style == "call" else P["given_nickname"]
        nick = flag("given_nickname", p_nick, has_nick)
        shown[nick] = [nick_of[f][int(r * len(nick_of[f]))] for f, r in
                       zip(first[nick], rng.random(nick.sum()))]
        ini = flag("given_initials", P["given_initials"], named & ~nick)
        shown[ini] = [_initials(g) for g in given[ini]]
        slip = flag("given_typo", P["given_typo"], named & ~ini)
        shown[slip] = [typo(x, r) for x, r in zip(shown[slip], rng.random((slip.sum(), 3)))]

    # Birth dates: missing, day and month swapped (only where that is still a date), a year off.
    out_birth = birth.copy()
    if source.has("birth_date"):
        known = birth != NO_DAY
        b = pd.to_datetime(np.where(known, birth, 0).astype("datetime64[D]"))
        day, month, year = b.day.to_numpy(), b.month.to_numpy(), b.year.to_numpy()
        swap = flag("birth_day_month_swapped", P["birth_day_month_swapped"],
                    known & (day <= 12) & (day != month))
        out_birth[swap] = _day_numbers(year[swap], day[swap], month[swap])
        off = flag("birth_year_typo", P["birth_year_typo"],
                   known & ~swap & ~((month == 2) & (day == 29)))
        shift = rng.choice([-10, -1, 1, 10], size=int(off.sum()))
        out_birth[off] = _day_numbers(year[off] + shift, month[off], day[off])
        gone = flag("birth_missing", P["birth_missing"], known & named)
        out_birth[gone] = NO_DAY
        tags["birth_missing"] = tags["birth_missing"] | (~known & named)
    else:
        out_birth[:] = NO_DAY

    # Sex codes of the agency; sometimes left empty.
    code = dict(zip(("M", "V", "O"), source.sex_codes))
    sex = np.array([code.get(x, "") for x in ident["sex"]], dtype=object)
    sex[flag("sex_missing", P["sex_missing"])] = ""

    # Addresses: the one at the contact date; in hard files often a stale one.
    pc = address["postcode"].to_numpy(dtype=object).copy()
    hn = address["house_number"].to_numpy().copy()
    add = address["addition"].to_numpy(dtype=object).copy()
    has_prev = address["prev_postcode"].to_numpy(dtype=object) != ""
    stale = flag("old_address", P["old_address"], has_prev)
    pc[stale] = address["prev_postcode"].to_numpy(dtype=object)[stale]
    hn[stale] = address["prev_house_number"].to_numpy()[stale]
    add[stale] = address["prev_addition"].to_numpy(dtype=object)[stale]
    if source.has("postcode"):
        blank = flag("address_missing", P["address_missing"], pc != "")
        pc[blank], hn[blank], add[blank] = "", -1, ""
        style = np.full(n, source.postcode_style, dtype=object)
        odd = flag("postcode_format", P["postcode_format"], pc != "")
        style[odd] = rng.choice(["compact", "spaced", "lower", "lower_compact"], size=odd.sum())
        pc = np.array([_postcode(x, st) for x, st in zip(pc, style)], dtype=object)
    else:
        pc[:], hn[:], add[:] = "", -1, ""
    if source.has("house_number_addition"):
        dropped = flag("addition_dropped", P["addition_dropped"], add != "")
        add[dropped] = ""
    else:
        add[:] = ""

    # Surname and prefix as the agency's system holds them.
    has_prefix = (prefix != "") & named
    if source.name_style == "separate":
        inside = flag("prefix_in_surname", P["prefix_in_surname"], has_prefix)
        glued = flag("prefix_glued", P["prefix_glued"], has_prefix & ~inside)
    elif source.name_style == "inside":
        glued = flag("prefix_glued", P["prefix_glued"], has_prefix)
        inside = has_prefix & ~glued
        tags["prefix_in_surname"] = tags.get("prefix_in_surname", inside) | inside
    else:
        inside = glued = np.zeros(n, dtype=bool)
        tags["surname_first"] = has_prefix
    out_surname = surname.copy()
    out_surname[inside] = [_join(a, b) for a, b in zip(prefix[inside], surname[inside])]
    out_surname[glued] = [a.replace(" ", "").replace("'", "") + b
                          for a, b in zip(prefix[glued], surname[glued])]
    out_prefix = prefix.copy()
    out_prefix[inside | glued] = ""
    if source.name_style == "surname_first":
        out_surname = np.array([f"{b}, {a}" if a else b for a, b in zip(prefix, surname)],
                               dtype=object)
        out_prefix[:] = ""
    if not source.has("prefix"):
        out_prefix[:] = ""

    # cp1252 cannot hold ş, ı, ğ: the agency's system transliterated them.
    if source.encoding == "cp1252":
        for arr in (out_surname, shown, out_prefix):
            before = arr.copy()
            arr[:] = [names.to_cp1252(x) for x in arr]
            tags["diacritics_dropped"] = tags.get("diacritics_dropped",
                                                  np.zeros(n, dtype=bool)) | (before != arr)

    wijk_codes = town.neighbourhoods["code"].to_numpy()
    wijk = address["wijk"].to_numpy()
    neighbourhood = np.where(wijk >= 0, wijk_codes[np.maximum(wijk, 0)], "")
    if not source.has("neighbourhood_code"):
        neighbourhood[:] = ""

    noise = np.full(n, "", dtype=object)
    for tag in sorted(tags):
        noise = noise + np.where(tags[tag] & named, tag + ";", "")
    return pd.DataFrame({
        "source": source.agency, "person": rec["person"].to_numpy(),
        "person_id": ident["person_id"].to_numpy(), "why": rec["why"].to_numpy(),
        "bsn": bsn, "surname": out_surname, "prefix": out_prefix, "given_names": shown,
        "birth": out_birth, "sex": sex, "postcode": pc, "house_number": hn,
        "house_number_addition": add, "neighbourhood_code": neighbourhood,
        "contact": contact, "end": rec["end"].to_numpy(),
        "noise": [x.rstrip(";") for x in noise],
    }, index=rec.index)


def _day_numbers(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of valid calendar dates given as year, month, day arrays."""
    months = (np.asarray(year) - 1970) * 12 + np.asarray(month) - 1
    return (months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
            + np.asarray(day) - 1)


def _postcode(pc: str, style: str) -> str:
    if not pc:
        return ""
    digits, letters = pc[:4], pc[4:]
    if style == "spaced":
        return f"{digits} {letters}"
    if style == "lower":
        return f"{digits} {letters.lower()}"
    if style == "lower_compact":
        return f"{digits}{letters.lower()}"
    return pc
