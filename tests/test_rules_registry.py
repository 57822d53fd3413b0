"""Categories are data: a rules file can add, reorder or redefine categories without any
change to the code, and a rules file that cannot work is refused when it is loaded."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import read_neighbourhoods, run_delivery
from mpg.pipeline.config import DEFAULT_RULES, load_rules
from mpg.pipeline.errors import ConfigError

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

SIGNALS = '''
[[categories]]
name = "SIGNALS"
sources = ["HUURACHTERSTAND"]
min_agencies = 1
label = { nl = "Huurachterstand en bekend bij een instantie", en = "Rent arrears and known at an agency" }
short = { nl = "Signalen", en = "Signals" }
description = { nl = "het gezin heeft een huurachterstand en is bekend bij ten minste {min_agencies} instantie", en = "the family is in rent arrears and known at {min_agencies} or more agencies" }
'''


def rules_file(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> Path:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    head, agencies = text.split("[agencies.MJD]", 1)
    path = tmp_path / "rules.toml"
    path.write_text(head + extra + "\n[agencies.MJD]" + agencies, encoding="utf-8")
    return path


def test_a_rules_file_adds_a_category_without_code(delivery, out_dir, tmp_path):
    d = delivery
    signals = d.family("A1", "WK01", adults=["1970-01-01", "1969-01-01"], children=["1995-01-01"])
    both = d.family("A2", "WK02", adults=["1971-01-01"], children=["1996-01-01"])
    alone = d.family("A3", "WK02", adults=["1972-01-01"], children=["1997-01-01"])
    d.source("HUURACHTERSTAND", [d.record(signals.mother, "2003-03-03"),
                                 d.record(both.mother, "2003-03-04"),
                                 d.record(alone.mother, "2003-03-05")])
    d.source("GELDZORG", [d.record(signals.father, "2003-04-04")])
    # `both` is BIB too: BIB comes first, so SIGNALS only qualifies it
    d.source("BIB", [d.record(both.child, "2003-05-05")])
    d.source("OGGZ", [d.record(both.mother, "2003-06-06")])
    summary = run_delivery(d, out_dir, rules_path=rules_file(tmp_path, SIGNALS))
    assert summary["by_category"] == {"BIB": 1, "MULTI_AGENCY": 0, "ZORGNETWERK": 0,
                                      "SIGNALS": 1}
    assert summary["mpg_total"] == 2
    assert summary["qualifying"]["SIGNALS"] == 2  # `alone` is known at no agency
    rows = {r["neighbourhood_code"]: r for r in read_neighbourhoods(out_dir)}
    assert list(rows["WK01"]) == ["neighbourhood_code", "neighbourhood_name",
                                  "family_households", "bib", "multi_agency", "zorgnetwerk",
                                  "signals", "mpg_total", "share_of_family_households",
                                  "share_of_mpg"]
    assert (rows["WK01"]["signals"], rows["WK02"]["signals"], rows["WK02"]["bib"]) == (
        "1", "0", "1")
    assert [c["name"] for c in summary["rules"]["categories"]][-1] == "SIGNALS"


def test_the_order_of_the_categories_is_the_precedence(delivery, out_dir, tmp_path):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.source("BIB", [d.record(h.mother, "2003-03-03")])
    d.source("ZORGNETWERK", [d.record(h.child, "2003-04-04")])
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    bib = text[text.index('[[categories]]\nname = "BIB"'):text.index('[[categories]]\nname = "MULTI')]
    zorg = text[text.index('[[categories]]\nname = "ZORGNETWERK"'):text.index("# ------", text.index(
        'name = "ZORGNETWERK"'))]
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(bib, "@@").replace(zorg, bib).replace("@@", zorg),
                    encoding="utf-8")
    assert [c.name for c in load_rules(path).categories] == ["ZORGNETWERK", "MULTI_AGENCY",
                                                            "BIB"]
    summary = run_delivery(d, out_dir, rules_path=path)
    assert summary["by_category"] == {"ZORGNETWERK": 1, "MULTI_AGENCY": 0, "BIB": 0}
    assert summary["qualifying"] == {"ZORGNETWERK": 1, "MULTI_AGENCY": 0, "BIB": 1}
    # BIB is profiled, ZORGNETWERK is not: the family is now in no profile
    assert summary["household_types"] == {"single_parent": 0, "two_adults": 0,
                                          "more_adults": 0}


@pytest.mark.parametrize("extra,replace,message", [
    ('[[categories]]\nname = "BIB"\nsources = ["BIB"]\nlabel = { nl = "x", en = "x" }\n', None,
     "appear twice"),
    ('[[categories]]\nname = "EMPTY"\nlabel = { nl = "x", en = "x" }\n', None, "no condition"),
    ('[[categories]]\nname = "MPG_TOTAL"\nsources = ["BIB"]\nlabel = { nl = "x", en = "x" }\n',
     None, "column of neighbourhoods.csv"),
    ('[[categories]]\nname = "Team \'Noord\'"\nsources = ["BIB"]\nlabel = { nl = "x", en = "x" }\n',
     None, "letters, digits"),
    ('[[categories]]\nname = "MANY"\nmin_agencies = 9\nlabel = { nl = "x", en = "x" }\n', None,
     "only 6 agencies"),
    ('[[categories]]\nname = "X"\nsources = ["SCHULDHULP"]\nlabel = { nl = "x", en = "x" }\n',
     None, "SCHULDHULP"),
    ("", ("min_agencies = 3", "min_agencies = true"), "min_agencies"),
    ("", ('min_records = 2   #', 'min_records = 2.5   #'), "min_records"),
])
def test_a_rules_file_that_cannot_work_is_refused_naming_the_key(tmp_path, extra, replace,
                                                                 message):
    path = rules_file(tmp_path, extra, replace)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    text = str(err.value)
    assert "rules.toml" in text and message in text, text
