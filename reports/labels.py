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
        # the prevalence estimate (summary.json "estimate")
        "sec.estimate": "Hoeveel gezinnen zijn er werkelijk?",
        "est.intro": "De telling ziet alleen gezinnen die op ten minste één lijst staan. Uit "
                     "hoe de lijsten elkaar overlappen, schat een vangst-hervangstmethode "
                     "(multiple-systems estimation) hoeveel gezinnen op geen enkele lijst "
                     "staan. Dat is een schatting met een ruime marge, geen telling.",
        "est.observed": "Gezinnen op ten minste één lijst (geteld)",
        "est.observed_card": "Gezinnen op ten minste één lijst",
        "est.total": "Geschat totaal",
        "est.unseen": "Geschat op geen enkele lijst",
        "est.ratio": "Niet geziene gezinnen per getelde gezin",
        "est.linkage": "Geteld: marge door het koppelen alleen (95% van de trekkingen)",
        "est.card_interval": "80%: {ci80} · 95%: {ci95}",
        "est.card_linkage": "Marge door het koppelen: {interval}",
        "est.no_upper": "geen bovengrens",
        "est.figures_title": "De schatting",
        "est.figure": "Cijfer",
        "est.value": "Aantal",
        "est.ci80_low": "80%-interval van",
        "est.ci80_high": "80%-interval tot",
        "est.ci95_low": "95%-interval van",
        "est.ci95_high": "95%-interval tot",
        "est.figures_note": "Geschatte aantallen en intervalgrenzen zijn afgerond; zie "
                            "\"Afronding en bescherming\".",
        "est.sens_title": "De schatting met één lijst weggelaten",
        "est.left_out": "Weggelaten lijst",
        "est.sens_total": "Geschat totaal",
        "est.sens_low": "95%-interval van (model alleen)",
        "est.sens_high": "95%-interval tot (model alleen)",
        "est.sens_change": "Verschil met de schatting",
        "est.sens_remark": "Opmerking",
        "est.sens_all": "Alle lijsten (de schatting)",
        "est.sens_note": "Elke rij is dezelfde schatting op de tabel zonder die lijst. Het "
                         "interval hoort hier bij het gekozen model alleen (profile likelihood) "
                         "en is daardoor smaller dan het 95%-interval van de schatting zelf, dat "
                         "ook de keuze van het model en het koppelen meeneemt. Verandert de "
                         "schatting sterk als een lijst wegvalt, dan rust ze vooral op die lijst.",
        "est.sens_reason.no_overlap": "Geen schatting: geen gezin staat op beide andere lijsten",
        "est.sens_reason.one_list": "Geen schatting: alleen op één andere lijst staan gezinnen",
        "est.sens_reason.too_few_lists": "Geen schatting: er blijft maar één lijst over",
        "est.sens_reason.no_model": "Geen schatting: de andere lijsten overlappen te weinig",
        "est.sens_reason.nobody": "Geen schatting: op de andere lijsten staat niemand",
        "est.sens_reason.other": "Geen schatting mogelijk",
        "est.lists_title": "Gezinnen per combinatie van lijsten",
        "est.lists_col": "Lijsten",
        "est.only": "Alleen {name}",
        "est.lists_total": "Op ten minste één lijst",
        "est.lists_note": "Elk gezin staat in precies één rij: op de lijsten die de rij noemt en "
                          "op geen andere. Uit deze overlap volgt de schatting.",
        "est.lists_note_zero": "Combinaties die niet genoemd worden, komen niet voor.",
        "est.agency_list": "{agency} (instantie)",
        "est.chart": "Geteld en geschat",
        "est.chart_subtitle": "Dikke lijn: 80%-interval, dunne lijn: 95%-interval. Bij de "
                              "getelde gezinnen: de marge door het koppelen alleen.",
        "est.chart_counted": "Geteld (op ten minste één lijst)",
        "est.chart_estimated": "Geschat totaal",
        "est.chart_value": "Aantal",
        "est.chart_interval80": "80%-interval",
        "est.chart_interval95": "95%-interval",
        "est.intervals": "Intervallen",
        "est.intervals.all": "Het 80%- en het 95%-interval omvatten de onzekerheid door toeval, "
                             "door de keuze van het model en door het koppelen van de bestanden "
                             "samen: als de aannames hieronder kloppen, ligt het werkelijke "
                             "aantal met 95% zekerheid binnen het 95%-interval.",
        "est.intervals.no_linkage_off": "Het 80%- en het 95%-interval omvatten de onzekerheid "
                                        "door toeval en door de keuze van het model. Onzekerheid "
                                        "door het koppelen zit er niet in: die is in de regels "
                                        "uitgezet.",
        "est.intervals.no_linkage_certain": "Het 80%- en het 95%-interval omvatten de "
                                            "onzekerheid door toeval en door de keuze van het "
                                            "model; het koppelen voegt niets toe, want elke "
                                            "koppeling in deze telling was zeker.",
        "est.intervals.none": "Er zijn geen intervallen berekend (bootstrap = 0 in de regels); "
                              "zonder interval is de schatting niet te beoordelen.",
        "est.intervals.strata": "De schatting is per {strata} gemaakt en opgeteld.",
        "est.stratum.household_type": "type huishouden",
        "est.stratum.neighbourhoods": "groep van wijken",
        "est.city": "de hele stad",
        "est.assumptions": "Wat de schatting aanneemt, en wanneer u haar niet moet vertrouwen",
        "est.assumptions_text": "De schatting neemt aan dat de groep gezinnen gedurende de "
                                "registratieperiode dezelfde blijft (er komen of gaan geen grote "
                                "aantallen gezinnen bij of af); dat op de ene lijst staan een "
                                "gezin niet meer of minder kans geeft om op een andere lijst te "
                                "staan, behalve via de samenhang tussen lijsten die het model "
                                "meeneemt; en dat binnen een groep (hier: {stratum}) elk gezin "
                                "ongeveer dezelfde kans heeft om op elke lijst te staan. Gezinnen "
                                "die alle hulp mijden, voldoen niet aan die laatste aanname; de "
                                "schatting is dan nog te laag. Vertrouw het getal niet als het "
                                "interval erg breed is, als de schatting met waarschuwingen kwam, "
                                "als het weglaten van één lijst de schatting sterk verandert, of "
                                "als lijsten elkaar nauwelijks overlappen: zonder overlap is er "
                                "geen schatting.",
        "est.this_run": "In deze telling",
        "est.flags": "{flags}.",
        "est.flags_none": "Geen van deze signalen doet zich voor; de aannames blijven gelden.",
        "est.flag.wide": "het 95%-interval is erg breed (de bovengrens is meer dan twee keer de "
                         "ondergrens)",
        "est.flag.unbounded": "het 95%-interval heeft geen bovengrens",
        "est.flag.warnings": "de rekenmethode gaf waarschuwingen (het onderzoeksbureau heeft ze)",
        "est.flag.sensitive": "zonder {lists} verandert de schatting met meer dan een kwart",
        "est.flag.no_estimate_without": "zonder {lists} is er geen schatting",
        "est.flag.no_overlap": "{pairs}: geen enkel gezin gemeen",
        "est.pair": "{a} en {b}",
        "est.rounding": "Afronding en bescherming",
        "est.rounding_text": "Geschatte aantallen en intervalgrenzen zijn uitkomsten van een "
                             "model, geen tellingen: ze zijn afgerond op veelvouden van {small} "
                             "onder de 100 en van {large} vanaf 100, de grenzen van een interval "
                             "naar buiten (zodat het gepubliceerde interval het berekende "
                             "omvat). Een schatting onder de {min_cell} staat er als "
                             "\"<{min_cell}\". De aantallen gezinnen op de lijsten zijn beschermd "
                             "als alle andere aantallen, en een schatting wordt alleen "
                             "gepubliceerd als er geen afgeschermd aantal uit terug te rekenen "
                             "is. Het aantal op geen enkele lijst en de verhouding per getelde "
                             "gezin zijn berekend uit het afgeronde totaal en de telling.",
        "est.withheld.unseen": "Het aantal op geen enkele lijst en de verhouding ontbreken: het "
                               "getelde aantal is afgeschermd en zou uit het totaal min het "
                               "aantal niet geziene gezinnen terug te rekenen zijn.",
        "est.withheld.sensitivity": "De schattingen met één lijst weggelaten worden niet "
                                    "gepubliceerd: met de kleine aantallen in de tabel van "
                                    "lijsten zou een afgeschermd aantal eruit terug te rekenen "
                                    "zijn.",
        "est.withheld.estimate": "De schatting zelf wordt niet gepubliceerd: met de kleine "
                                 "aantallen in de tabel van lijsten zou een afgeschermd aantal "
                                 "eruit terug te rekenen zijn. Het onderzoeksbureau heeft de "
                                 "uitkomst.",
        "est.withheld.old_run": "Deze telling bevat nog geen schattingen met één lijst "
                                "weggelaten (gemaakt met een eerdere versie; `mpg estimate` "
                                "voegt ze toe).",
        "est.error": "Voor deze telling kon geen schatting worden gemaakt: {reason}. Het "
                     "getelde aantal blijft staan, en het blijft een ondergrens.",
        "est.reason.no_overlap": "geen enkel gezin staat op meer dan één lijst, en zonder "
                                 "overlap tussen de lijsten valt er niets te zeggen over de "
                                 "gezinnen die op geen enkele lijst staan",
        "est.reason.one_list": "alleen op één lijst staan gezinnen, en een schatting heeft "
                               "gezinnen op ten minste twee lijsten nodig",
        "est.reason.too_few_lists": "de regels noemen minder dan twee lijsten, en een schatting "
                                    "heeft er ten minste twee nodig",
        "est.reason.no_model": "de lijsten overlappen te weinig: geen enkel model geeft een "
                               "eindige schatting",
        "est.reason.nobody": "er staat geen enkel gezin op de lijsten",
        "est.reason.other": "de rekenmethode vond voor deze tabel geen schatting",
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
        "sec.estimate": "How many families are there really?",
        "est.intro": "The count only sees families that are on at least one list. From how the "
                     "lists overlap, a capture-recapture method (multiple-systems estimation) "
                     "estimates how many families are on none of them. That is an estimate "
                     "with a wide margin, not a count.",
        "est.observed": "Families on at least one list (counted)",
        "est.observed_card": "Families on at least one list",
        "est.total": "Estimated total",
        "est.unseen": "Estimated on no list",
        "est.ratio": "Unseen families per family counted",
        "est.linkage": "Counted: range from record linkage alone (95% of the draws)",
        "est.card_interval": "80%: {ci80} · 95%: {ci95}",
        "est.card_linkage": "Range from linkage: {interval}",
        "est.no_upper": "no upper limit",
        "est.figures_title": "The estimate",
        "est.figure": "Figure",
        "est.value": "Number",
        "est.ci80_low": "80% interval from",
        "est.ci80_high": "80% interval to",
        "est.ci95_low": "95% interval from",
        "est.ci95_high": "95% interval to",
        "est.figures_note": "Estimated numbers and interval limits are rounded; see "
                            "\"Rounding and protection\".",
        "est.sens_title": "The estimate with one list left out",
        "est.left_out": "List left out",
        "est.sens_total": "Estimated total",
        "est.sens_low": "95% interval from (model alone)",
        "est.sens_high": "95% interval to (model alone)",
        "est.sens_change": "Change against the estimate",
        "est.sens_remark": "Remark",
        "est.sens_all": "All lists (the estimate)",
        "est.sens_note": "Each row is the same estimate on the table without that list. The "
                         "interval here belongs to the chosen model alone (profile likelihood) "
                         "and is therefore narrower than the 95% interval of the estimate "
                         "itself, which also takes in the choice of model and record linkage. "
                         "When the estimate changes a lot without a list, it rests mostly on "
                         "that list.",
        "est.sens_reason.no_overlap": "No estimate: no family is on both other lists",
        "est.sens_reason.one_list": "No estimate: only one other list has families on it",
        "est.sens_reason.too_few_lists": "No estimate: only one list is left",
        "est.sens_reason.no_model": "No estimate: the other lists overlap too little",
        "est.sens_reason.nobody": "No estimate: nobody is on the other lists",
        "est.sens_reason.other": "No estimate possible",
        "est.lists_title": "Families by combination of lists",
        "est.lists_col": "Lists",
        "est.only": "{name} only",
        "est.lists_total": "On at least one list",
        "est.lists_note": "Each family is in exactly one row: on the lists the row names and on "
                          "no other. The estimate follows from this overlap.",
        "est.lists_note_zero": "Combinations not listed do not occur.",
        "est.agency_list": "{agency} (agency)",
        "est.chart": "Counted and estimated",
        "est.chart_subtitle": "Thick line: 80% interval, thin line: 95% interval. For the "
                              "families counted: the range from record linkage alone.",
        "est.chart_counted": "Counted (on at least one list)",
        "est.chart_estimated": "Estimated total",
        "est.chart_value": "Number",
        "est.chart_interval80": "80% interval",
        "est.chart_interval95": "95% interval",
        "est.intervals": "Intervals",
        "est.intervals.all": "The 80% and 95% intervals take in the uncertainty from chance, "
                             "from the choice of model and from record linkage together: if "
                             "the assumptions below hold, the true number lies within the 95% "
                             "interval with 95% confidence.",
        "est.intervals.no_linkage_off": "The 80% and 95% intervals take in the uncertainty from "
                                        "chance and from the choice of model. Uncertainty from "
                                        "record linkage is not in them: the rules switch it "
                                        "off.",
        "est.intervals.no_linkage_certain": "The 80% and 95% intervals take in the uncertainty "
                                            "from chance and from the choice of model; record "
                                            "linkage adds none, because every link in this "
                                            "count was certain.",
        "est.intervals.none": "No intervals were computed (bootstrap = 0 in the rules); without "
                              "an interval the estimate cannot be judged.",
        "est.intervals.strata": "The estimate was made per {strata} and added up.",
        "est.stratum.household_type": "household type",
        "est.stratum.neighbourhoods": "group of neighbourhoods",
        "est.city": "the whole city",
        "est.assumptions": "What the estimate assumes, and when not to trust it",
        "est.assumptions_text": "The estimate assumes that the group of families stays the same "
                                "over the registration period (no families arriving or leaving "
                                "in numbers); that being on one list does not make a family more "
                                "or less likely to be on another, beyond the links between lists "
                                "that the model allows for; and that within a group (here: "
                                "{stratum}) every family has about the same chance of being on "
                                "each list. Families who avoid all help break that last "
                                "assumption, and the estimate is then still too low. Do not rely "
                                "on the number when the interval is very wide, when the estimate "
                                "came with warnings, when leaving out one list changes it a lot, "
                                "or when the lists hardly overlap: without overlap there is no "
                                "estimate.",
        "est.this_run": "In this count",
        "est.flags": "{flags}.",
        "est.flags_none": "None of these signs shows; the assumptions still apply.",
        "est.flag.wide": "the 95% interval is very wide (its upper limit is more than twice its "
                         "lower limit)",
        "est.flag.unbounded": "the 95% interval has no upper limit",
        "est.flag.warnings": "the method gave warnings (the research bureau has them)",
        "est.flag.sensitive": "without {lists} the estimate changes by more than a quarter",
        "est.flag.no_estimate_without": "without {lists} there is no estimate",
        "est.flag.no_overlap": "{pairs}: no family in common",
        "est.pair": "{a} and {b}",
        "est.rounding": "Rounding and protection",
        "est.rounding_text": "Estimated numbers and interval limits are outcomes of a model, not "
                             "counts: they are rounded to multiples of {small} below 100 and of "
                             "{large} from 100, the limits of an interval outward (so the "
                             "published interval contains the computed one). An estimate below "
                             "{min_cell} is shown as \"<{min_cell}\". The numbers of families on "
                             "the lists are protected like every other count, and an estimate is "
                             "published only when no suppressed count can be worked out from it. "
                             "The number on no list and the ratio per family counted are "
                             "computed from the rounded total and the count.",
        "est.withheld.unseen": "The number on no list and the ratio are left out: the number "
                               "counted is suppressed and would follow from the total minus the "
                               "number unseen.",
        "est.withheld.sensitivity": "The estimates with one list left out are not published: "
                                    "with the small numbers in the table of lists, a suppressed "
                                    "count could be worked out from them.",
        "est.withheld.estimate": "The estimate itself is not published: with the small numbers "
                                 "in the table of lists, a suppressed count could be worked out "
                                 "from it. The research bureau has the result.",
        "est.withheld.old_run": "This count has no estimates with one list left out yet (made "
                                "by an earlier version; `mpg estimate` adds them).",
        "est.error": "No estimate could be made for this count: {reason}. The count stands, "
                     "and it is still a lower bound.",
        "est.reason.no_overlap": "no family is on more than one list, and without overlap "
                                 "between the lists nothing can be said about the families on "
                                 "none of them",
        "est.reason.one_list": "only one list has families on it, and an estimate needs "
                               "families on at least two lists",
        "est.reason.too_few_lists": "the rules name fewer than two lists, and an estimate needs "
                                    "at least two",
        "est.reason.no_model": "the lists overlap too little: no model gives a finite estimate",
        "est.reason.nobody": "no family is on any of the lists",
        "est.reason.other": "the method found no estimate for this table",
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

    def signed_percent(self, change: float) -> str:
        """A relative change in whole percent with its sign: +9%, \u221212%, 0%."""
        n = round(change * 100)
        if n > 0:
            return f"+{self.number(n)}%"
        if n < 0:
            return f"\u2212{self.number(-n)}%"
        return "0%"


def _fill(text: str, category: Category) -> str:
    """A rules-file text with {min_agencies} filled in; any other brace stays as written."""
    return text.replace("{min_agencies}", str(category.min_agencies))


def agency_name(code: str) -> str:
    return _AGENCIES.get(code, code.title())
