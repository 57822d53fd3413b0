"""How each agency exports: file type, column names, delimiter, encoding, date format and how
it writes names. One `Source` per file of the delivery; the manifest is written from these.

The mix is what real deliveries look like: cp1252 csv with `;` (MJD, OGGz), an xlsx with date
cells (Geldzorg), a tab-separated file with %Y%m%d dates (Jeugdvoogdij), parquet with typed
dates (BIB) and with ISO strings (Jeugdreclassering), a utf-8 csv with a byte order mark as
Excel writes it (ZAR), a `|`-separated file (Sozawe). Unmapped extra columns are left in,
as agencies do.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    agency: str
    path: str
    columns: dict[str, str]  # canonical field -> the file's column, in file order
    delimiter: str = ","
    encoding: str = "utf-8"
    date_format: str = "%Y-%m-%d"
    typed_dates: bool = False  # xlsx date cells / parquet date32 instead of strings
    id_format: str = "{:d}"
    bsn_fill: tuple[float, float] = (0.9, 0.6)  # share of rows with a BSN: easy, hard
    name_style: str = "separate"  # separate | inside ("van der Berg") | surname_first
    given_style: str = "first"  # first | all | initials | call (roepnaam)
    sex_codes: tuple[str, str, str] = ("M", "V", "O")
    postcode_style: str = "compact"  # compact 9731AB | spaced 9731 AB | lower 9731 ab
    export_from: int | None = None  # days before window_start the export starts (None: the
    # default lookback of delivery.py)
    window_only: bool = False  # the export holds the window and nothing else
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rejects: tuple[str, ...] = ()  # kinds of unusable rows this file tends to have

    @property
    def kind(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def has(self, canonical: str) -> bool:
        return canonical in self.columns


SOURCES: tuple[Source, ...] = (
    Source(
        agency="MJD", path="mjd/contacten.csv", delimiter=";", encoding="cp1252",
        date_format="%d-%m-%Y", id_format="M{:07d}", bsn_fill=(0.7, 0.3),
        columns={"record_id": "ContactNr", "client_id": "Clientnummer", "bsn": "BSN",
                 "surname": "Achternaam", "prefix": "Tussenvoegsel",
                 "given_names": "Voornamen", "sex": "Geslacht",
                 "birth_date": "Geboortedatum", "postcode": "Postcode",
                 "house_number": "Huisnummer", "house_number_addition": "Toevoeging",
                 "contact_date": "Contactdatum", "end_date": "Einddatum"},
        sex_codes=("m", "v", "o"), postcode_style="spaced",
        extra={"Hulpvraag": ("financien", "opvoeding", "relatie", "huisvesting", "overig"),
               "Medewerker": ("AB", "JK", "MV", "PdW", "TH")},
        rejects=("no_record_id", "duplicate_record_id", "bad_contact_date")),
    Source(
        agency="GELDZORG", path="geldzorg/dossiers.xlsx", typed_dates=True,
        id_format="GZ-{:06d}", bsn_fill=(0.95, 0.75), name_style="inside",
        given_style="call", sex_codes=("Man", "Vrouw", "Onbekend"),
        columns={"record_id": "Dossier", "bsn": "BSN", "surname": "Naam",
                 "given_names": "Voornaam", "sex": "Geslacht", "birth_date": "Geboortedatum",
                 "postcode": "Postcode", "house_number": "Huisnr",
                 "contact_date": "Aanmelding", "end_date": "Afsluiting"},
        extra={"Status": ("lopend", "afgesloten", "wachtlijst", "intake")}),
    Source(
        agency="JEUGDZORG_TOEGANG", path="jeugdzorg/toegang.csv", id_format="{:d}",
        bsn_fill=(0.9, 0.55), export_from=183,
        columns={k: k for k in ("record_id", "client_id", "bsn", "surname", "prefix",
                                "given_names", "birth_date", "sex", "postcode",
                                "house_number", "house_number_addition", "contact_date")},
        rejects=("no_record_id",)),
    Source(
        agency="JEUGDZORG_VOOGDIJ", path="jeugdzorg/voogdij.tsv", delimiter="\t",
        date_format="%Y%m%d", id_format="V{:06d}", bsn_fill=(0.95, 0.7),
        columns={k: k for k in ("record_id", "bsn", "surname", "prefix", "given_names",
                                "birth_date", "sex", "contact_date", "end_date")}),
    Source(
        agency="JEUGDZORG_RECLASSERING", path="jeugdzorg/reclassering.parquet",
        id_format="JR{:06d}", bsn_fill=(0.95, 0.8), given_style="all",
        columns={"record_id": "zaaknummer", "bsn": "bsn", "surname": "achternaam",
                 "prefix": "voorvoegsel", "given_names": "voornamen",
                 "birth_date": "geboortedatum", "sex": "geslacht",
                 "contact_date": "startdatum", "end_date": "einddatum"}),
    Source(
        agency="ZAR", path="zar/leerlingen.csv", delimiter=";", encoding="utf-8-sig",
        date_format="%d-%m-%Y", id_format="{:07d}", bsn_fill=(0.85, 0.5),
        given_style="call", export_from=122,
        columns={"record_id": "Leerlingnummer", "bsn": "BSN", "surname": "Achternaam",
                 "prefix": "Tussenvoegsel", "given_names": "Roepnaam",
                 "birth_date": "Geboortedatum", "sex": "Geslacht", "postcode": "Postcode",
                 "house_number": "Huisnummer", "contact_date": "Meldingsdatum"},
        extra={"School": ("Dr. Aletta Jacobs College", "Harens Lyceum", "Noorderpoort",
                          "OBS De Wierde", "CBS Het Anker", "Alfa-college"),
               "Reden": ("verzuim", "gedrag", "thuissituatie", "leerachterstand")}),
    Source(
        agency="WOONKANS", path="woonkans/woonkans.csv", date_format="%d/%m/%Y",
        id_format="W-{:d}", bsn_fill=(0.0, 0.0), given_style="initials",
        columns={"record_id": "Nummer", "surname": "Achternaam", "prefix": "Tussenvoegsel",
                 "given_names": "Voorletters", "birth_date": "Geboortedatum",
                 "postcode": "Postcode", "house_number": "Huisnummer",
                 "house_number_addition": "Toevoeging", "contact_date": "Startdatum",
                 "end_date": "Einddatum"},
        rejects=("bad_contact_date",)),
    Source(
        agency="OGGZ", path="oggz/meldingen.csv", delimiter=";", encoding="cp1252",
        date_format="%d-%m-%Y", id_format="O{:06d}", bsn_fill=(0.6, 0.3),
        name_style="surname_first", given_style="initials", postcode_style="lower",
        columns={"record_id": "MeldingID", "bsn": "BSN", "surname": "Naam",
                 "given_names": "Voorletters", "birth_date": "Geb_datum", "sex": "Geslacht",
                 "postcode": "Postcode", "house_number": "Huisnummer",
                 "contact_date": "Meldingsdatum", "end_date": "Afgesloten"},
        extra={"Melder": ("politie", "buren", "huisarts", "woningcorporatie", "GGD")},
        rejects=("duplicate_record_id",)),
    Source(
        agency="BIB", path="bib/gezinnen.parquet", typed_dates=True, id_format="BIB-{:05d}",
        bsn_fill=(0.9, 0.6), name_style="inside",
        columns={k: k for k in ("record_id", "bsn", "surname", "prefix", "given_names",
                                "birth_date", "sex", "postcode", "house_number",
                                "house_number_addition", "contact_date", "end_date")}),
    Source(
        agency="ZORGNETWERK", path="zorgnetwerk/meldingen.csv", delimiter=";",
        date_format="%d.%m.%Y", id_format="ZN{:05d}", bsn_fill=(0.5, 0.2),
        window_only=True,
        columns={"record_id": "Melding", "bsn": "BSN", "surname": "Achternaam",
                 "prefix": "Tussenvoegsel", "given_names": "Voornaam",
                 "birth_date": "Geboortedatum", "neighbourhood_code": "Wijk",
                 "contact_date": "Datum"},
        extra={"Signaal": ("opvoeding", "verwaarlozing", "huiselijk geweld", "schulden",
                           "schoolverzuim")}),
    Source(
        agency="BIJSTAND", path="sozawe/bijstand.csv", delimiter="|",
        id_format="U{:07d}", bsn_fill=(1.0, 0.97), given_style="initials",
        columns={"record_id": "uitkeringsnummer", "bsn": "bsn", "surname": "geslachtsnaam",
                 "prefix": "voorvoegsel", "given_names": "voorletters",
                 "birth_date": "geboortedatum", "postcode": "postcode",
                 "house_number": "huisnummer", "contact_date": "ingangsdatum",
                 "end_date": "einddatum"}),
)
SOURCE_BY_AGENCY = {s.agency: s for s in SOURCES}

# The register extract: utf-8 comma csv, ISO dates, the BRP's Dutch column names.
PERSONS_FILE = "gba/personen.csv"
RESIDENCES_FILE = "gba/verblijfplaatsen.csv"
NEIGHBOURHOODS_FILE = "gba/wijken.csv"
PERSONS_COLUMNS = {
    "person_id": "a_nummer", "bsn": "burgerservicenummer", "surname": "geslachtsnaam",
    "prefix": "voorvoegsel", "given_names": "voornamen", "birth_date": "geboortedatum",
    "sex": "geslachtsaanduiding", "origin": "herkomstgroep", "mother_id": "a_nummer_moeder",
    "father_id": "a_nummer_vader"}
RESIDENCES_COLUMNS = {
    "person_id": "a_nummer", "address_id": "adresseerbaar_object", "street": "straatnaam",
    "house_number": "huisnummer", "house_number_addition": "huisnummertoevoeging",
    "postcode": "postcode", "city": "woonplaats", "neighbourhood_code": "wijkcode",
    "start_date": "datum_aanvang", "end_date": "datum_einde"}
NEIGHBOURHOODS_COLUMNS = {"neighbourhood_code": "wijkcode", "neighbourhood_name": "wijknaam"}
