"""Hand-made OUT folders for the publication tests (outputs.md plus the documented extras).

A test describes households (one row per counted household, as households.parquet) and the
city's family households per neighbourhood; `write_out` derives summary.json and
neighbourhoods.csv from them the way the pipeline does, so every file of the folder agrees.
No tests here: helpers only (pytest collects nothing from this module).
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
CATEGORIES = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")
AGENCIES = ("GELDZORG", "JEUGDZORG", "MJD", "OGGZ", "WOONKANS", "ZAR")
WIJKEN = [("WK001401", "Centrum"), ("WK001402", "Oosterpark"), ("WK001403", "Beijum"),
          ("WK001404", "Lewenborg"), ("WK001405", "Vinkhuizen"), ("WK001406", "Paddepoel"),
          ("WK001407", "Selwerd"), ("WK001408", "De Hoogte"), ("WK001409", "Korrewegwijk"),
          ("WK001410", "Helpman"), ("WK001411", "Haren"), ("WK001412", "Hoogkerk")]


def rules_dump(min_cell: int = 5, rounding_base: int = 0) -> dict[str, Any]:
    from mpg.pipeline.config import load_rules

    rules = load_rules().model_dump(mode="json")
    return {**rules, "min_cell": min_cell, "rounding_base": rounding_base}


def household(key: str, category: str, wijk: str, *, adults: int = 1, children: int = 2,
              agencies: tuple[str, ...] = (), bijstand: bool = False,
              mother: str | None = "NL", father: str | None = None) -> dict[str, Any]:
    return {"household_key": key, "category": category, "neighbourhood_code": wijk,
            "n_adults": adults, "n_children": children, "agencies": sorted(agencies),
            "bijstand": bijstand, "match_probability_min": 0.99,
            "household_type": {1: "single_parent", 2: "two_adults"}.get(adults, "more_adults"),
            "mother_origin": mother, "father_origin": father}


def write_out(folder: Path, households: list[dict[str, Any]], families: dict[str, int], *,
              run: str = "2004Q2", reference_date: str = "2004-06-30",
              window: tuple[str, str] = ("2003-01-01", "2004-06-30"),
              names: dict[str, str] | None = None, city_origin: dict[str, dict] | None = None,
              zorgnetwerk_overlap: int = 13, lines: dict[str, int] | None = None,
              min_cell: int = 5, rounding_base: int = 0) -> Path:
    """An OUT folder for these households; `families` = family households per wijk."""
    folder.mkdir(parents=True, exist_ok=True)
    names = names or dict(WIJKEN)
    hh = pd.DataFrame(households, columns=list(household("k", "BIB", "w")))
    profiled = hh[hh["category"].isin(["BIB", "MULTI_AGENCY"])]
    by_category = {c: int((hh["category"] == c).sum()) for c in CATEGORIES}
    per_household = profiled["n_children"].value_counts().sort_index()
    combos = (hh[hh["category"] == "MULTI_AGENCY"]["agencies"]
              .map(lambda a: "+".join(sorted(a))).value_counts().sort_index())
    origin: dict[str, dict[str, dict[str, int]]] = {}
    for role, col in (("mothers", "mother_origin"), ("fathers", "father_origin")):
        counted = profiled[col].dropna().value_counts().sort_index()
        # The city: mostly Dutch-born parents; the counted parents are among them.
        default = {"NL": 0.72, "MA": 0.07, "TR": 0.07, "SR": 0.06, "ANT": 0.02, "other": 0.06}
        n_parents = int(sum(families.values()) * (0.9 if role == "mothers" else 0.75))
        city = (city_origin or {}).get(role) or {k: int(v * n_parents) for k, v in default.items()}
        city = {k: max(int(v), int(counted.get(k, 0))) for k, v in city.items()}
        for code, n in counted.items():
            city.setdefault(code, int(n))
        origin[role] = {"counted": {str(k): int(v) for k, v in counted.items()},
                        "city": {str(k): int(v) for k, v in sorted(city.items())}}
    lines = {"anonymous_zorgnetwerk": 70, "unlinked_records": 12, "no_family_household": 31,
             "outside_window": 40, "rejects": 6, "bib_without_children": 5, **(lines or {})}
    summary = {
        "run": run, "reference_date": reference_date, "window": list(window),
        "family_households": sum(families.values()),
        "mpg_total": len(hh), "by_category": by_category,
        "zorgnetwerk_identified": by_category["ZORGNETWERK"] + zorgnetwerk_overlap,
        "bib_without_children": lines["bib_without_children"],
        "household_types": {t: int((profiled["household_type"] == t).sum())
                            for t in ("single_parent", "two_adults", "more_adults")},
        "children": {"total": int(profiled["n_children"].sum()),
                     "per_household": {str(k): int(v) for k, v in per_household.items()}},
        "agency_combinations": {str(k): int(v) for k, v in combos.items()},
        "bijstand_households": int(profiled["bijstand"].sum()),
        "not_counted": {k: lines[k] for k in ("anonymous_zorgnetwerk", "unlinked_records",
                                              "no_family_household", "outside_window")},
        "rejects": lines["rejects"],
        "origin": origin,
        "rules": rules_dump(min_cell, rounding_base),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    rows = []
    total_fam, total_mpg = sum(families.values()), len(hh)
    for code in sorted(families):
        in_wijk = hh[hh["neighbourhood_code"] == code]
        counts = {c.lower(): int((in_wijk["category"] == c).sum()) for c in CATEGORIES}
        rows.append({"neighbourhood_code": code, "neighbourhood_name": names.get(code, ""),
                     "family_households": families[code], "bib": counts["bib"],
                     "multi_agency": counts["multi_agency"], "zorgnetwerk": counts["zorgnetwerk"],
                     "mpg_total": len(in_wijk),
                     "share_of_family_households": round(families[code] / total_fam, 6),
                     "share_of_mpg": round(len(in_wijk) / total_mpg, 6) if total_mpg else 0.0})
    pd.DataFrame(rows).to_csv(folder / "neighbourhoods.csv", index=False)
    hh.drop(columns=["mother_origin", "father_origin"]).to_parquet(
        folder / "households.parquet", index=False)
    (folder / "run.json").write_text(json.dumps({
        "tool_version": "0.1.0", "run": run, "reference_date": reference_date,
        "window": list(window), "stages": {"load": {"seconds": 1.0, "rows": {}}}}))
    return folder


def synthetic_city(seed: int = 7, n_wijken: int = 12, scale: float = 1.0
                   ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """A city of realistic size: 1-2% of the families are MPG, more in a few wijken."""
    rnd = random.Random(seed)
    households, families = [], {}
    for i, (code, _) in enumerate(WIJKEN[:n_wijken]):
        fam = int(rnd.randint(600, 3200) * scale)
        families[code] = fam
        rate = rnd.choice([0.004, 0.008, 0.012, 0.02, 0.035]) if i != 5 else 0.0015
        for j in range(int(fam * rate)):
            households.append(random_household(rnd, f"{code}-{j:04d}", code))
    return households, families


def random_household(rnd: random.Random, key: str, wijk: str,
                     category: str | None = None) -> dict[str, Any]:
    category = category or rnd.choices(CATEGORIES, weights=(30, 40, 30))[0]
    adults = rnd.choices((1, 2, 3), weights=(65, 30, 5))[0]
    if category == "MULTI_AGENCY":
        agencies = tuple(rnd.sample(AGENCIES, rnd.choices((3, 4), weights=(80, 20))[0]))
        if rnd.random() < 0.5:
            agencies = ("GELDZORG", "JEUGDZORG", "MJD")
    else:
        agencies = tuple(rnd.sample(AGENCIES, rnd.randint(0, 2)))
    mother = rnd.choices(("NL", "MA", "TR", "SR", "ANT", "other"),
                         weights=(55, 15, 10, 10, 4, 6))[0]
    father = (rnd.choices(("NL", "MA", "TR", "SR", "other"), weights=(50, 20, 15, 10, 5))[0]
              if adults > 1 else None)
    return household(key, category, wijk, adults=adults,
                     children=rnd.choices((1, 2, 3, 4, 5), weights=(40, 33, 16, 8, 3))[0],
                     agencies=agencies, bijstand=rnd.random() < 0.7, mother=mother,
                     father=father)


def next_quarter(households: list[dict[str, Any]], seed: int, *, leave: float = 0.2,
                 arrive: float = 0.25) -> list[dict[str, Any]]:
    """The same city a quarter later: some households leave, others arrive."""
    rnd = random.Random(seed)
    stay = [h for h in households if rnd.random() >= leave]
    wijken = sorted({h["neighbourhood_code"] for h in households})
    new = [random_household(rnd, f"N{seed}-{i:04d}", rnd.choice(wijken))
           for i in range(int(len(households) * arrive))]
    return stay + new


def example_out(folder: Path) -> Path:
    """The worked example's expected summary.json and neighbourhoods.csv plus a matching
    hand-made households.parquet (the example city: 13 households, three wijken)."""
    from conftest import find_example

    expected = find_example() / "expected"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(expected / "summary.json", folder / "summary.json")
    shutil.copy(expected / "neighbourhoods.csv", folder / "neighbourhoods.csv")
    hh = [household("h01", "BIB", "WK001403", children=2, bijstand=True),
          household("h09", "BIB", "WK001401", children=1),
          household("h02", "MULTI_AGENCY", "WK001403", adults=2, children=2,
                    agencies=("GELDZORG", "JEUGDZORG", "MJD"), bijstand=True),
          household("h07", "MULTI_AGENCY", "WK001403", adults=2, children=2,
                    agencies=("GELDZORG", "OGGZ", "WOONKANS")),
          household("h10", "MULTI_AGENCY", "WK001403", adults=3, children=1,
                    agencies=("GELDZORG", "JEUGDZORG", "MJD", "ZAR")),
          household("h06", "ZORGNETWERK", "WK001401", children=1)]
    pd.DataFrame(hh).drop(columns=["mother_origin", "father_origin"]).to_parquet(
        folder / "households.parquet", index=False)
    return folder
