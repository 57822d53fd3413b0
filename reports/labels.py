"""Every word the publication shows, in Dutch (the readers: municipal civil servants) and
English. Code and file names stay English; only what a reader sees is translated here.

The categories' own words (label, short label, the rule in one sentence) are not here: they
are data of the rules file, recorded in the run's summary.json, and `Labels.category*` read
them from the run's categories in the chosen language."""
from __future__ import annotations

import datetime as dt
from typing import Any

from mpg.pipeline.config import Category
from mpg.pipeline.errors import UsageError

LANGUAGES = ("nl", "en")

_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

_AGENCIES = {"MJD": "MJD", "GELDZORG": "Geldzorg", "JEUGDZORG": "Jeugdzorg", "ZAR": "ZAR",
             "WOONKANS": "Woonkans", "OGGZ": "OGGz"}

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Multiprobleemgezinnen",
        "subtitle": "Telling {run}: peildatum {reference_date}, registratieperiode {window}",
        "cat_short.SUPPRESSED": "Afgeschermd (<{min_cell} of x)",
        "category": "Categorie",
        "households": "Huishoudens",
        "mpg_total": "Multiprobleemgezinnen (totaal)",
        "mpg_short": "MPG",
        "family_households_city": "Gezinshuishoudens in de stad",
        "count_heading": "De telling",
        "other_lines": "Naast de telling",
        "zorgnetwerk_identified": "Gezinnen met een zorgnetwerkmelding met persoonsgegevens",
        "zorgnetwerk_overlap": "\u2003waarvan al BIB of bekend bij meerdere instanties",
        # the same line when other categories than BIB and MULTI_AGENCY come before ZORGNETWERK
        "zorgnetwerk_overlap_of": "\u2003waarvan al geteld als {categories}",
        "anonymous_zorgnetwerk": "Niet te koppelen: anonieme zorgnetwerkmeldingen",
        "bib_without_children": "BIB-huishoudens zonder kinderen onder de 18 (niet meegeteld)",
        "unlinked_records": "Registraties van personen die niet in de BRP zijn gevonden",
        "no_family_household": "Registraties van personen die niet in een gezinshuishouden wonen",
        "outside_window": "Registraties buiten de registratieperiode",
        "rejects": "Afgekeurde regels in de aanlevering",
        "line": "Omschrijving",
        "number": "Aantal",
        "method_heading": "Werkwijze",
        "method.period": "Registratieperiode",
        "method.period_text": "{window}: een registratie telt mee als het contact in deze "
                              "periode valt, of als de hulp eerder begon en in deze periode nog "
                              "liep.",
        "method.reference_date": "Peildatum",
        "method.reference_date_text": "{reference_date}: op deze dag zijn de samenstelling van "
                                      "de huishoudens en de leeftijd van de kinderen bepaald.",
        "method.family": "Gezinshuishouden",
        "method.family_text": "Alle personen die op de peildatum op hetzelfde adres wonen, met "
                              "ten minste één volwassene ({adult_age} jaar of ouder) en één "
                              "kind (jonger dan {adult_age}).",
        "method.rules": "Regels (in deze volgorde)",
        # One line per category, in order of precedence (the rules file's description).
        "method.rule_first": "{n}. {short}: {description}.",
        "method.rule_next": "{n}. Anders, {short}: {description}.",
        "method.once": "Elk gezin telt één keer mee.",
        "method.mjd": "{agency} telt pas mee vanaf {n} contacten in de periode. ",
        "method.jeugdzorg": "{agency} ({sources}) telt als één instantie. ",
        "method.lower_bound": "Ondergrens",
        "method.lower_bound_text": "Het aantal is een ondergrens: niet elke instantie leverde "
                                   "gegevens aan, en gezinnen die hulp mijden staan in geen "
                                   "enkel bestand. Anonieme zorgnetwerkmeldingen zijn niet te "
                                   "koppelen en tellen niet mee.",
        "method.disclosure": "Bescherming van gegevens",
        "method.disclosure_text": "Aantallen van 1 t/m {max_small} staan er als \"<{min_cell}\"; "
                                  "een \"x\" is een aantal dat is weggelaten zodat zo'n klein "
                                  "aantal niet uit de totalen terug te rekenen is. Percentages "
                                  "van afgeschermde aantallen ontbreken. {rounding}De exacte "
                                  "aantallen blijven bij het onderzoeksbureau.",
        "method.rounding": "Aantallen zijn afgerond op veelvouden van {base}, dus totalen "
                           "kunnen afwijken van de som. ",
        "method.made_with": "Gemaakt met",
        "method.made_with_text": "mpg {version}",
        "nb.title": "Multiprobleemgezinnen per wijk",
        "nb.code": "Wijkcode",
        "nb.name": "Wijk",
        "nb.family_households": "Gezinshuishoudens",
        "nb.share_families": "Aandeel in gezinnen",
        "nb.share_mpg": "Aandeel in MPG",
        "nb.index": "Index (stad = 100)",
        "nb.total": "Stad totaal",
        "nb.unknown": "(wijk onbekend)",
        "nb.index_note": "De index is het aandeel van de wijk in de multiprobleemgezinnen "
                         "gedeeld door haar aandeel in de gezinshuishoudens, maal 100. Boven "
                         "100 wonen er naar verhouding meer multiprobleemgezinnen dan gezinnen.",
        # {categories}: the short labels of the profiled categories ("BIB en Zorgnetwerk")
        "profile.title": "Profiel van de gezinnen ({categories} samen)",
        "profile.title_one": "Profiel van de gezinnen ({categories})",
        "profile.title_none": "Profiel van de gezinnen",
        "profile.base": "Gezinnen ({categories})",
        "profile.base_none": "Gezinnen",
        "and": "en",
        "or": "of",
        "types.title": "Type huishouden",
        "type.single_parent": "Eenoudergezin",
        "type.two_adults": "Twee volwassenen",
        "type.more_adults": "Meer dan twee volwassenen",
        "type.unknown": "Onbekend",
        "share": "Aandeel",
        "children.title": "Kinderen per gezin",
        "children.n": "{n} kind",
        "children.n_plural": "{n} kinderen",
        "children.total": "Kinderen in deze gezinnen (totaal)",
        "families": "Gezinnen",
        "bijstand.title": "Bijstand",
        "bijstand.yes": "Met bijstand",
        "bijstand.no": "Zonder bijstand",
        "origin.mothers": "Herkomst van de moeders",
        "origin.fathers": "Herkomst van de vaders",
        "origin": "Herkomst",
        "origin.counted": "Gezinnen in de telling",
        "origin.city": "Alle gezinnen in de stad",
        "origin.counted_share": "Aandeel (telling)",
        "origin.city_share": "Aandeel (stad)",
        "origin.NL": "Nederland",
        "origin.MA": "Marokko",
        "origin.TR": "Turkije",
        "origin.SR": "Suriname",
        "origin.ANT": "Antillen en Aruba",
        "origin.other": "Overig",
        "origin.unknown": "Onbekend",
        "origin.total": "Totaal",
        "combinations.title": "Combinaties van instanties (gezinnen bekend bij meerdere "
                              "instanties)",
        "combination": "Combinatie van instanties",
        "combination.unknown": "Onbekend",
        "notes.title": "Toelichting: afgeschermde cellen",
        "notes.legend_small": "<{min_cell}: een aantal van 1 t/m {max_small}.",
        "notes.legend_secondary": "x: weggelaten zodat een klein aantal niet uit de totalen "
                                  "of andere cellen terug te rekenen is.",
        "notes.legend_share": "Een percentage of index ontbreekt als een aantal waarop het "
                              "berust is afgeschermd.",
        "notes.none": "Geen cellen afgeschermd.",
        "notes.table": "Tabel",
        "notes.row": "Rij",
        "notes.column": "Kolom",
        "notes.reason": "Reden",
        "reason.small": "Klein aantal (1 t/m {max_small})",
        "reason.secondary": "Afgeschermd zodat een klein aantal niet terug te rekenen is",
        "trend.title": "Ontwikkeling per kwartaal",
        "trend.run": "Telling",
        "trend.reference_date": "Peildatum",
        "report.key_figures": "Kerncijfers",
        "report.lower_bound": "Dit aantal is een ondergrens.",
        "report.not_linkable": "Niet te koppelen: {n} anonieme zorgnetwerkmeldingen.",
        "report.nb_chart": "Multiprobleemgezinnen per wijk, naar categorie",
        "report.share_chart": "Aandeel van de wijk in alle gezinnen en in de "
                              "multiprobleemgezinnen",
        "report.share_missing": "Wijken waarvan een aandeel is afgeschermd, ontbreken.",
        "report.combinations_chart": "Combinaties van instanties",
        "report.types_chart": "Type huishouden",
        "report.children_chart": "Kinderen per gezin",
        "report.origin_chart": "Herkomst van moeders en vaders: telling tegenover de stad",
        "report.trend_chart": "Multiprobleemgezinnen per telling",
        "report.notes": "Toelichting",
        "report.suppressed_not_drawn": "Afgeschermde aantallen (<{min_cell} en x) zijn niet "
                                       "getekend.",
        "report.count": "Aantal",
        "report.share": "Aandeel",
        "report.group": "Groep",
        "report.role": "Ouder",
        "report.footer": "Alle aantallen zijn beschermd: aantallen van 1 t/m {max_small} staan "
                         "er als <{min_cell}. Dit bestand bevat geen persoonsgegevens en kan "
                         "zonder internetverbinding worden geopend.",
        "sec.neighbourhoods": "Wijken",
        "sec.agencies": "Instanties",
        "sec.profile": "Profiel van de gezinnen",
        "sec.trend": "Ontwikkeling",
        "sec.method": "Werkwijze",
        "sec.notes": "Toelichting",
        "report.chart_failed": "Deze grafiek kon niet worden getekend.",
        "cmp.by_category_nb": "Per wijk en categorie",
        "cmp.key_change": "Verschil",
        "withheld": "Niet gepubliceerd: met zo weinig gezinnen is deze tabel niet te "
                    "beschermen tegen terugrekenen.",
        "reason.withheld": "Hele tabel niet gepubliceerd (te weinig gezinnen)",
        # quarter over quarter
        "cmp.title": "Multiprobleemgezinnen: {prev} tegenover {now}",
        "cmp.subtitle": "Vorige telling {prev} (peildatum {prev_date}), deze telling {now} "
                        "(peildatum {now_date})",
        "cmp.change": "Verschil",
        "cmp.previous_same": "{run} (vorige)",
        "cmp.inflow": "Nieuw (instroom)",
        "cmp.outflow": "Niet meer (uitstroom)",
        "cmp.stayers": "In beide tellingen",
        "cmp.flows_note": "Een gezin is hetzelfde gezin als het huishouden in beide tellingen "
                          "dezelfde sleutel heeft. Instroom en blijvers staan bij de categorie "
                          "en wijk van nu, uitstroom bij die van de vorige telling.",
        "cmp.categories_title": "Per categorie",
        "cmp.neighbourhoods_title": "Per wijk",
        "cmp.change_chart": "Verandering in het aantal multiprobleemgezinnen per wijk",
        "cmp.flows_chart": "Instroom, uitstroom en blijvers per categorie",
        "cmp.categories_chart": "Per categorie: vorige en deze telling",
        "cmp.change_note": "Verschillen worden alleen getoond als beide aantallen getoond "
                           "worden.",
        "cmp.flow": "Stroom",
    },
    "en": {
        "title": "Multi-problem families",
        "subtitle": "Count {run}: reference date {reference_date}, registration period {window}",
        "cat_short.SUPPRESSED": "Suppressed (<{min_cell} or x)",
        "category": "Category",
        "households": "Households",
        "mpg_total": "Multi-problem families (total)",
        "mpg_short": "MPF",
        "family_households_city": "Family households in the city",
        "count_heading": "The count",
        "other_lines": "Alongside the count",
        "zorgnetwerk_identified": "Families with an identified care-network report",
        "zorgnetwerk_overlap": "\u2003of whom already BIB or known at several agencies",
        "zorgnetwerk_overlap_of": "\u2003of whom already counted as {categories}",
        "anonymous_zorgnetwerk": "Not linkable: anonymous care-network reports",
        "bib_without_children": "BIB households without children under 18 (not counted)",
        "unlinked_records": "Records of persons not found in the population register",
        "no_family_household": "Records of persons who live in no family household",
        "outside_window": "Records outside the registration period",
        "rejects": "Rejected rows in the delivery",
        "line": "Description",
        "number": "Number",
        "method_heading": "Method",
        "method.period": "Registration period",
        "method.period_text": "{window}: a record counts when its contact falls in this "
                              "period, or when the help started earlier and was still running "
                              "in it.",
        "method.reference_date": "Reference date",
        "method.reference_date_text": "{reference_date}: the day on which households and the "
                                      "children's ages are taken.",
        "method.family": "Family household",
        "method.family_text": "Everyone registered at one address on the reference date, with "
                              "at least one adult ({adult_age} or older) and one child (under "
                              "{adult_age}).",
        "method.rules": "Rules (in this order)",
        "method.rule_first": "{n}. {short}: {description}.",
        "method.rule_next": "{n}. Otherwise, {short}: {description}.",
        "method.once": "Each family counts once.",
        "method.mjd": "{agency} counts only from {n} contacts in the period. ",
        "method.jeugdzorg": "{agency} ({sources}) counts as one agency. ",
        "method.lower_bound": "Lower bound",
        "method.lower_bound_text": "The count is a lower bound: not every agency delivered "
                                   "data, and families who avoid help are in no file. "
                                   "Anonymous care-network reports cannot be linked and are "
                                   "not counted.",
        "method.disclosure": "Disclosure control",
        "method.disclosure_text": "Counts from 1 to {max_small} are shown as \"<{min_cell}\"; "
                                  "an \"x\" is a count left out so that such a small count "
                                  "cannot be worked out from the totals. Percentages of "
                                  "suppressed counts are left out. {rounding}The exact numbers "
                                  "stay with the research bureau.",
        "method.rounding": "Counts are rounded to multiples of {base}, so totals may differ "
                           "from the sum. ",
        "method.made_with": "Made with",
        "method.made_with_text": "mpg {version}",
        "nb.title": "Multi-problem families by neighbourhood",
        "nb.code": "Neighbourhood code",
        "nb.name": "Neighbourhood",
        "nb.family_households": "Family households",
        "nb.share_families": "Share of families",
        "nb.share_mpg": "Share of MPF",
        "nb.index": "Index (city = 100)",
        "nb.total": "City total",
        "nb.unknown": "(neighbourhood unknown)",
        "nb.index_note": "The index is the neighbourhood's share of the multi-problem families "
                         "divided by its share of the family households, times 100. Above 100 "
                         "the neighbourhood has relatively more multi-problem families than "
                         "families.",
        "profile.title": "Profile of the families ({categories} together)",
        "profile.title_one": "Profile of the families ({categories})",
        "profile.title_none": "Profile of the families",
        "profile.base": "Families ({categories})",
        "profile.base_none": "Families",
        "and": "and",
        "or": "or",
        "types.title": "Household type",
        "type.single_parent": "Single parent",
        "type.two_adults": "Two adults",
        "type.more_adults": "More than two adults",
        "type.unknown": "Unknown",
        "share": "Share",
        "children.title": "Children per family",
        "children.n": "{n} child",
        "children.n_plural": "{n} children",
        "children.total": "Children in these families (total)",
        "families": "Families",
        "bijstand.title": "Social assistance (bijstand)",
        "bijstand.yes": "On social assistance",
        "bijstand.no": "Not on social assistance",
        "origin.mothers": "Origin of the mothers",
        "origin.fathers": "Origin of the fathers",
        "origin": "Origin",
        "origin.counted": "Families in the count",
        "origin.city": "All families in the city",
        "origin.counted_share": "Share (count)",
        "origin.city_share": "Share (city)",
        "origin.NL": "Netherlands",
        "origin.MA": "Morocco",
        "origin.TR": "Turkey",
        "origin.SR": "Suriname",
        "origin.ANT": "Antilles and Aruba",
        "origin.other": "Other",
        "origin.unknown": "Unknown",
        "origin.total": "Total",
        "combinations.title": "Combinations of agencies (families known at several agencies)",
        "combination": "Combination of agencies",
        "combination.unknown": "Unknown",
        "notes.title": "Notes: suppressed cells",
        "notes.legend_small": "<{min_cell}: a count from 1 to {max_small}.",
        "notes.legend_secondary": "x: left out so that a small count cannot be worked out from "
                                  "the totals or other cells.",
        "notes.legend_share": "A percentage or index is left out when a count it rests on is "
                              "suppressed.",
        "notes.none": "No cells suppressed.",
        "notes.table": "Table",
        "notes.row": "Row",
        "notes.column": "Column",
        "notes.reason": "Reason",
        "reason.small": "Small count (1 to {max_small})",
        "reason.secondary": "Left out so that a small count cannot be worked out",
        "trend.title": "Quarter by quarter",
        "trend.run": "Count",
        "trend.reference_date": "Reference date",
        "report.key_figures": "Key figures",
        "report.lower_bound": "This count is a lower bound.",
        "report.not_linkable": "Not linkable: {n} anonymous care-network reports.",
        "report.nb_chart": "Multi-problem families by neighbourhood and category",
        "report.share_chart": "The neighbourhood's share of all families and of the "
                              "multi-problem families",
        "report.share_missing": "Neighbourhoods with a suppressed share are left out.",
        "report.combinations_chart": "Combinations of agencies",
        "report.types_chart": "Household type",
        "report.children_chart": "Children per family",
        "report.origin_chart": "Origin of mothers and fathers: the count against the city",
        "report.trend_chart": "Multi-problem families per count",
        "report.notes": "Notes",
        "report.suppressed_not_drawn": "Suppressed counts (<{min_cell} and x) are not drawn.",
        "report.count": "Number",
        "report.share": "Share",
        "report.group": "Group",
        "report.role": "Parent",
        "report.footer": "All counts are protected: counts from 1 to {max_small} are shown as "
                         "<{min_cell}. This file holds no personal data and opens without an "
                         "internet connection.",
        "sec.neighbourhoods": "Neighbourhoods",
        "sec.agencies": "Agencies",
        "sec.profile": "Profile of the families",
        "sec.trend": "Trend",
        "sec.method": "Method",
        "sec.notes": "Notes",
        "report.chart_failed": "This chart could not be drawn.",
        "cmp.by_category_nb": "By neighbourhood and category",
        "cmp.key_change": "Change",
        "withheld": "Not published: with so few families this table cannot be protected "
                    "against working back.",
        "reason.withheld": "Whole table not published (too few families)",
        "cmp.title": "Multi-problem families: {prev} against {now}",
        "cmp.subtitle": "Previous count {prev} (reference date {prev_date}), this count {now} "
                        "(reference date {now_date})",
        "cmp.change": "Change",
        "cmp.previous_same": "{run} (previous)",
        "cmp.inflow": "New (inflow)",
        "cmp.outflow": "No longer (outflow)",
        "cmp.stayers": "In both counts",
        "cmp.flows_note": "A family is the same family when its household has the same key in "
                          "both counts. Inflow and stayers are shown under the category and "
                          "neighbourhood of now, outflow under those of the previous count.",
        "cmp.categories_title": "By category",
        "cmp.neighbourhoods_title": "By neighbourhood",
        "cmp.change_chart": "Change in the number of multi-problem families by neighbourhood",
        "cmp.flows_chart": "Inflow, outflow and stayers by category",
        "cmp.categories_chart": "By category: previous and this count",
        "cmp.change_note": "A change is shown only when both counts are shown.",
        "cmp.flow": "Flow",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return lang


class Labels:
    """The texts of one language: `labels("nb.title")`, with str.format fields."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self._text = TEXT[lang]

    def __call__(self, key: str, **fields: Any) -> str:
        text = self._text[key]
        if "min_cell" in fields:  # "<5" stands for 1 to 4
            fields.setdefault("max_small", fields["min_cell"] - 1)
        return text.format(**fields) if fields else text

    def date(self, value: str | dt.date) -> str:
        """1 september 2003 / 1 September 2003."""
        d = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return f"{d.day} {_MONTHS[self.lang][d.month - 1]} {d.year}"

    def window(self, window: list[str] | tuple[str, str]) -> str:
        sep = " t/m " if self.lang == "nl" else " to "
        return self.date(window[0]) + sep + self.date(window[1])

    def category(self, category: Category) -> str:
        """A category's label in this language, from the rules the run was made with."""
        return _fill(getattr(category.label, self.lang), category)

    def category_short(self, category: Category) -> str:
        """Its short label (charts, column headers); the name when the rules give none."""
        return _fill(getattr(category.short, self.lang), category) if category.short \
            else category.name

    def category_description(self, category: Category) -> str:
        """The rule in one sentence (the method text); the label when the rules give none."""
        text = getattr(category.description, self.lang) if category.description else \
            getattr(category.label, self.lang)
        return _fill(text, category).strip().rstrip(".")

    def join(self, items: list[str], word: str = "and") -> str:
        """"A", "A en B", "A, B en C" (word: "and" or "or")."""
        if len(items) < 2:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self(word)} {items[-1]}"

    def household_type(self, code: str) -> str:
        key = f"type.{code}"
        return self(key) if key in self._text else code

    def origin(self, code: str | None) -> str:
        if code in (None, "", "null", "None", "unknown"):
            return self("origin.unknown")
        key = f"origin.{code}"
        return self(key) if key in self._text else str(code)

    def children(self, n: int | str) -> str:
        return self("children.n" if int(n) == 1 else "children.n_plural", n=n)

    def agencies(self, combination: str) -> str:
        """"GELDZORG+JEUGDZORG+MJD" -> "Geldzorg + Jeugdzorg + MJD"."""
        if not combination:
            return self("combination.unknown")
        return " + ".join(agency_name(a) for a in combination.split("+"))

    def number(self, n: int | float, decimals: int = 0) -> str:
        """Thousands separators of the language (1.234 in Dutch, 1,234 in English)."""
        text = f"{n:,.{decimals}f}"
        if self.lang == "nl":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def percent(self, share: float | None, decimals: int = 1) -> str:
        if share is None:
            return ""
        return self.number(share * 100, decimals) + "%"


def _fill(text: str, category: Category) -> str:
    """A rules-file text with {min_agencies} filled in; any other brace stays as written."""
    return text.replace("{min_agencies}", str(category.min_agencies))


def agency_name(code: str) -> str:
    return _AGENCIES.get(code, code.title())
