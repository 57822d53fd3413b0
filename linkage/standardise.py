"""Stage `standardise`: the register and the agency records in one comparable form.

Reads `ident.register_persons`, `ident.register_residences`, `ident.records`.
Writes (all in `ident`, they hold names, dates and addresses):
- `ident.person_addresses`: every register address a person ever had, with its period.
- `ident.persons_std`: one row a register person.
- `ident.records_std`: one row a non-anonymous agency record.

Both `*_std` tables carry the same linkage columns (LINK_COLUMNS) so Splink can compare them:
  uid                 person_id / record_key as text
  bsn                 only when it passes the 11-proof
  bsn_mistyped        records: the 9 digits of a BSN that fails the 11-proof (a typo of
                      someone's BSN is still evidence: one edit from the person's); else NULL
  other_id            any other identifier both sides carry (a social-security or client
                      number of the register), upper case, letters and digits only; NULL
                      when the loaded tables have no `other_id` column
  given_in_surname    'surname_stem given_first': the name whose frequency WITHIN its
                      surname group is the term frequency of an agreeing given name
  served_born_from, served_born_to  records: the birth dates a person of the ages the
                      rules say the record's source serves ([ages_served]) has on the
                      contact date; persons NULL
  surname_stem        own surname without voorvoegsels, letters only ("berg")
  surname_glued       voorvoegsels and surname glued ("vanderberg"), for "vanderBerg" forms
  surname_keys        stem, glued and the stems of each part of a double name
  surname_keys_household  surname_keys plus, for a person, the stems of the adults living
                      with them (a married name such as "Smit-Ozturk" or the husband's name)
  surname_phonetic    a Dutch sound key of the stem (ij/ei, ch/g, dt/d/t, c/k/s, z/s ...)
  given_first         first given name when written out; NULL for initials
  given_groups        nickname groups of the given names (henk -> hendrik, kees -> cornelis)
  initials            first letters of the given names ("jp")
  birth_date, birth_year, birth_month, birth_day, birth_text ('YYYYMMDD')
  sex                 'M', 'V' or NULL
  postcode, house_number, address_key ('9733AC 7'): the record's address (persons: NULL)
  address_keys        persons: every address ever; records: the record's address
  postcodes           likewise, postcodes only
  address_near_keys   records: the address with its postcode one swap of neighbouring
                      characters away ('9731AB 7' -> '7931AB 7', '9731BA 7', ...); persons:
                      their address_keys, so that the two sides meet where a record's
                      postcode has two characters swapped
  residents_at_contact  records: person_ids registered at the record's address on its
                      contact date (the address the agency knew may be an old one)
  contact_date        records only
  neighbourhoods      persons: every neighbourhood (wijk) ever lived in; records: the
                      neighbourhood_code the agency gave (care networks report a wijk, not
                      an address), NULL when none
  neighbourhood_years the same as 'WK001407:2003': persons, each year they lived there
                      (only the years of the records' contact dates); records, the contact year

All normalisation is SQL (DuckDB macros); only the nickname list is read from a file.
"""
from __future__ import annotations

import csv
import re

import duckdb
import pyarrow as pa

from mpg.pipeline import sql
from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage

LINK_COLUMNS = (
    "uid", "bsn", "surname_stem", "surname_glued", "surname_keys", "surname_keys_household",
    "surname_phonetic", "given_first", "given_groups", "initials", "birth_date", "birth_year",
    "birth_month", "birth_day", "birth_text", "sex", "postcode", "house_number",
    "address_key", "address_keys", "postcodes", "residents_at_contact", "contact_date",
    "neighbourhoods", "neighbourhood_years", "bsn_mistyped", "other_id", "given_in_surname",
    "served_born_from", "served_born_to", "address_near_keys",
)

# Letters that strip_accents leaves alone, folded to what a Dutch clerk would type.
_FOLD = (("ı", "i"), ("İ", "I"), ("ß", "ss"), ("ø", "o"), ("Ø", "O"), ("æ", "ae"), ("Æ", "AE"),
         ("œ", "oe"), ("Œ", "OE"), ("ł", "l"), ("Ł", "L"), ("đ", "d"), ("Đ", "D"), ("ð", "d"),
         ("þ", "th"), ("ĳ", "ij"), ("Ĳ", "IJ"), ("’", "'"), ("‘", "'"), ("`", "'"), ("´", "'"))


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _prefix_regex(prefixes: tuple[str, ...]) -> str:
    """Alternation of the voorvoegsel tokens (folded, no apostrophes), longest first."""
    tokens = set()
    for prefix in prefixes:
        for token in prefix.lower().replace("'", "").split():
            tokens.add(token)
    # Abbreviations agencies write ("Berg vd") and prefixes written as one word ("vander").
    return "|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t)))


def _case_split_regex(prefixes: tuple[str, ...]) -> str:
    """'vanderBerg' -> 'vander Berg': a lower-case prefix run glued to a capitalised name."""
    tokens = {t for p in prefixes for t in p.lower().split() if t.isalpha() and len(t) > 1}
    parts = [f"[{t[0]}{t[0].upper()}]{re.escape(t[1:])}" for t in
             sorted(tokens, key=lambda t: (-len(t), t))]
    return "^((?:" + "|".join(parts) + ")+)(\\p{Lu})"


def create_macros(con: duckdb.DuckDBPyConnection, prefixes: tuple[str, ...]) -> None:
    """The normalisation functions, as temporary macros of this connection."""
    fold = "s"
    for src, dst in _FOLD:
        fold = f"replace({fold}, {_sql_str(src)}, {_sql_str(dst)})"
    p = _prefix_regex(prefixes)
    prefix_run = f"(?:{p})(?:\\s+(?:{p}))*"
    # Drop leading voorvoegsels, keep letters; a name that is only prefixes keeps them all.
    strip_leading = f"regexp_replace(x, '^(?:(?:{p})\\s+)+', '')"
    consonant_doubles = "x"
    for letter in "bcdfgjklmnpqrstvwxz":
        consonant_doubles = f"replace({consonant_doubles}, '{letter}{letter}', '{letter}')"
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO mpg_fold(s) AS lower(strip_accents({fold}));
        -- The linkage settings write Jaro-Winkler as Splink's Spark backend names it.
        CREATE OR REPLACE TEMP MACRO jaro_winkler(a, b) AS jaro_winkler_similarity(a, b);

        -- Surname and voorvoegsel in natural order ('van der berg', 'jansen-de vries'),
        -- whatever order or spelling the source used.
        CREATE OR REPLACE TEMP MACRO mpg_name_clean(s) AS
            trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                mpg_fold(s), '''', '', 'g'),
                '(^|[^a-z])v\\s*[./]\\s*d\\b\\.?', '\\1 vd ', 'g'),
                '[^a-z,\\- ]', ' ', 'g'),
                '\\s*-\\s*', '-', 'g'),
                '\\s+', ' ', 'g'));
        CREATE OR REPLACE TEMP MACRO mpg_uncomma(s) AS
            CASE WHEN NOT contains(s, ',') THEN s
                 WHEN regexp_full_match(trim(split_part(s, ',', 2)), '{prefix_run}')
                     THEN trim(split_part(s, ',', 2)) || ' ' || trim(split_part(s, ',', 1))
                 ELSE trim(split_part(s, ',', 1)) END;
        CREATE OR REPLACE TEMP MACRO mpg_untrail(s) AS
            CASE WHEN regexp_matches(s, '^(.*?[^ ])\\s+({prefix_run})$')
                 THEN regexp_extract(s, '^(.*?[^ ])\\s+({prefix_run})$', 2) || ' '
                      || regexp_extract(s, '^(.*?[^ ])\\s+({prefix_run})$', 1)
                 ELSE s END;
        CREATE OR REPLACE TEMP MACRO mpg_case_split(s) AS
            regexp_replace(trim(s), '{_case_split_regex(prefixes)}', '\\1 \\2');
        CREATE OR REPLACE TEMP MACRO mpg_join_prefix(prefix, surname) AS
            nullif(trim(coalesce(prefix, '') || ' ' || coalesce(surname, '')), '');

        CREATE OR REPLACE TEMP MACRO mpg_letters(x) AS
            nullif(regexp_replace(x, '[^a-z]', '', 'g'), '');
        CREATE OR REPLACE TEMP MACRO mpg_stem(x) AS
            coalesce(mpg_letters({strip_leading}), mpg_letters(x));
        CREATE OR REPLACE TEMP MACRO mpg_surname_keys(full_name) AS
            list_distinct(list_filter(
                [mpg_stem(full_name), mpg_letters(full_name)]
                || CASE WHEN contains(full_name, '-')
                        THEN list_transform(string_split(full_name, '-'),
                                            lambda part: mpg_stem(trim(part)))
                        ELSE [] END,
                lambda k: k IS NOT NULL AND length(k) > 1));

        -- A Dutch sound key: spelling variants that sound alike get one key.
        CREATE OR REPLACE TEMP MACRO mpg_phonetic_base(s) AS
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                s, 'sch', 's', 'g'), 'ch', 'g', 'g'), '(ij|ei|ey|uy)', 'y', 'g'),
                'ph', 'f', 'g'), '(th|dt)', 't', 'g'), 'c([eiy])', 's\\1', 'g'),
                '(ck|c|q)', 'k', 'g'), 'x', 'ks', 'g'), 'z', 's', 'g'), 'v', 'f', 'g');
        CREATE OR REPLACE TEMP MACRO mpg_collapse(x) AS {consonant_doubles};
        -- Takes mpg_phonetic_base(stem): first sound, then the consonants.
        CREATE OR REPLACE TEMP MACRO mpg_phonetic_key(b) AS
            mpg_collapse(left(b, 1) || regexp_replace(regexp_replace(
                substr(b, 2), '[aeiouyh]', '', 'g'), 'd$', 't'));

        -- Given names as tokens; "J.P." and "JP" are initials, "Jan-Willem" two names.
        CREATE OR REPLACE TEMP MACRO mpg_given_tokens(g) AS
            list_filter(string_split(trim(regexp_replace(mpg_fold(
                CASE WHEN regexp_full_match(trim(g), '[BCDFGHJKLMNPQRSTVWXZ]{{2,4}}\\.?')
                     THEN regexp_replace(trim(g), '(.)', '\\1 ', 'g') ELSE g END),
                '[^a-z]+', ' ', 'g')), ' '), lambda t: t <> '');

        -- Postcode '9731 ab', '9731-AB' -> '9731AB'; anything else is no postcode.
        CREATE OR REPLACE TEMP MACRO mpg_postcode_text(p) AS
            nullif(upper(regexp_replace(p, '[^0-9A-Za-z]', '', 'g')), '');
        CREATE OR REPLACE TEMP MACRO mpg_postcode(p) AS
            CASE WHEN regexp_full_match(mpg_postcode_text(p), '[1-9][0-9]{{3}}[A-Z]{{2}}')
                 THEN mpg_postcode_text(p) END;
        -- The postcodes one slip of the fingers away: two neighbouring digits, or the two
        -- letters, swapped ('9713AB' -> '7913AB', ..., '9713BA'), where still a postcode.
        CREATE OR REPLACE TEMP MACRO mpg_swap(p, i) AS
            substr(p, 1, i - 1) || substr(p, i + 1, 1) || substr(p, i, 1) || substr(p, i + 2);
        CREATE OR REPLACE TEMP MACRO mpg_near_postcodes(p) AS
            list_filter(list_distinct([mpg_swap(p, 1), mpg_swap(p, 2), mpg_swap(p, 3),
                                       mpg_swap(p, 5)]),
                        lambda q: q <> p AND regexp_full_match(q, '[1-9][0-9]{{3}}[A-Z]{{2}}'));
        -- House number '12', '12a', '12-2', '12 bis' -> 12 and 'A' / '2' / 'BIS'; an explicit
        -- addition wins over what follows the number.
        CREATE OR REPLACE TEMP MACRO mpg_house_number(n) AS
            TRY_CAST(nullif(regexp_extract(n, '^\\s*(\\d+)', 1), '') AS INTEGER);
        CREATE OR REPLACE TEMP MACRO mpg_house_addition(n, a) AS
            coalesce(nullif(upper(regexp_replace(a, '\\s', '', 'g')), ''),
                     nullif(upper(regexp_replace(regexp_extract(
                         n, '^\\s*\\d+\\s*[-/ ]?\\s*(.*)$', 1), '\\s', '', 'g')), ''));
        -- Sex as agencies write it (M/V/O/m/f/man/vrouw/...) onto the register's M, V, O.
        CREATE OR REPLACE TEMP MACRO mpg_sex(s) AS
            CASE WHEN upper(trim(s)) IN ('M', 'MAN', 'MALE', 'J', 'JONGEN', 'H', 'HEER') THEN 'M'
                 WHEN upper(trim(s)) IN ('V', 'F', 'VROUW', 'FEMALE', 'W', 'MEISJE', 'MEVROUW')
                     THEN 'V'
                 WHEN upper(trim(s)) IN ('O', 'X', 'U', 'ONBEKEND', 'OVERIG', 'ANDERS') THEN 'O'
            END;
        -- Any other identifier: letters and digits, upper case; nothing left is none.
        CREATE OR REPLACE TEMP MACRO mpg_other_id(x) AS
            nullif(upper(regexp_replace(x, '[^0-9A-Za-z]', '', 'g')), '');
        -- Neighbourhood (wijk) codes: 'wk001401 ' and 'WK001401' are one neighbourhood.
        CREATE OR REPLACE TEMP MACRO mpg_neighbourhood(c) AS nullif(upper(trim(c)), '');

        -- BSN: the 11-proof (elfproef) as in python-stdnum's stdnum.nl.bsn. A BSN read from
        -- a spreadsheet as a number ("123456782.0") is first turned back into its digits,
        -- then every other character goes; a spreadsheet also drops leading zeros.
        CREATE OR REPLACE TEMP MACRO mpg_bsn_digits(b) AS
            nullif(CASE WHEN regexp_full_match(trim(b), '[0-9]+\\.0+')
                        THEN split_part(trim(b), '.', 1)
                        ELSE regexp_replace(b, '[^0-9]', '', 'g') END, '');
        CREATE OR REPLACE TEMP MACRO mpg_bsn_padded(d) AS
            CASE WHEN length(d) < 9 THEN lpad(d, 9, '0') ELSE d END;
        -- A BSN field that identifies nobody: empty, '-', '0', '000000000', a few digits.
        CREATE OR REPLACE TEMP MACRO mpg_bsn_given(d) AS
            coalesce(length(d) >= 8 AND regexp_matches(d, '[1-9]'), false);
        -- Takes mpg_bsn_padded(mpg_bsn_digits(bsn)), computed in an earlier select.
        CREATE OR REPLACE TEMP MACRO mpg_bsn_ok(x) AS
            regexp_full_match(x, '[0-9]{{9}}') AND x <> '000000000' AND
            (9 * TRY_CAST(x[1] AS INTEGER) + 8 * TRY_CAST(x[2] AS INTEGER)
             + 7 * TRY_CAST(x[3] AS INTEGER) + 6 * TRY_CAST(x[4] AS INTEGER)
             + 5 * TRY_CAST(x[5] AS INTEGER) + 4 * TRY_CAST(x[6] AS INTEGER)
             + 3 * TRY_CAST(x[7] AS INTEGER) + 2 * TRY_CAST(x[8] AS INTEGER)
             - TRY_CAST(x[9] AS INTEGER))
            % 11 = 0;
    """)


def load_nicknames(con: duckdb.DuckDBPyConnection, path) -> None:
    """`ident.nicknames(name, grp)`: folded call name -> the given-name group it belongs to."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line in csv.reader(row for row in fh if not row.lstrip().startswith("#")):
            if len(line) >= 2 and line[0].strip() and line[0] != "name":
                rows.append((line[0].strip(), line[1].strip()))
    names = pa.table({"name": [r[0] for r in rows], "grp": [r[1] for r in rows]},
                     schema=pa.schema([("name", pa.string()), ("grp", pa.string())]))
    con.register("nicknames_arrow", names)
    try:
        con.execute("CREATE OR REPLACE TABLE ident.nicknames AS "
                    "SELECT mpg_fold(name) AS name, mpg_fold(grp) AS grp FROM nicknames_arrow")
    finally:
        con.unregister("nicknames_arrow")


def optional_column(con: duckdb.DuckDBPyConnection, table: str, column: str,
                    alias: str = "") -> str:
    """SQL for `column` of `table` (database.table) when the table has it, else NULL: the
    identifiers a delivery may carry or not (other_id)."""
    database, _, name = table.rpartition(".")
    found = con.execute("SELECT count(*) FROM duckdb_columns() WHERE database_name = ? "
                        "AND table_name = ? AND column_name = ?",
                        [database, name, column]).fetchall()[0][0]
    return f"{alias + '.' if alias else ''}{column}" if found else "CAST(NULL AS VARCHAR)"


def identity_features(con: duckdb.DuckDBPyConnection, source: str, key: str, target: str) -> None:
    """Write `target` (k, bsn, bsn_mistyped, full_name, surname_stem, surname_glued, surname_keys,
    surname_phonetic, given_first, initials, given_groups) for each row of `source`.

    Each macro gets a column, never another macro's result: a macro that uses its argument
    twice would otherwise evaluate the nested regular expressions twice."""
    con.execute(f"""
        CREATE OR REPLACE TABLE {target} AS
        WITH l1 AS (
            SELECT {key} AS k, mpg_name_clean(mpg_case_split(surname)) AS s1,
                   mpg_name_clean(prefix) AS pf, mpg_bsn_digits(bsn) AS bsn_digits,
                   mpg_given_tokens(given_names) AS tokens
            FROM {source}),
        l2 AS (SELECT *, replace(mpg_uncomma(s1), ',', ' ') AS s2,
                         mpg_bsn_padded(bsn_digits) AS bsn_padded FROM l1),
        l3 AS (SELECT *, mpg_untrail(s2) AS s3 FROM l2),
        l4 AS (SELECT *, mpg_join_prefix(pf, s3) AS full_name FROM l3),
        l5 AS (SELECT *, mpg_stem(full_name) AS surname_stem FROM l4),
        l6 AS (SELECT *, mpg_phonetic_base(surname_stem) AS phonetic_base FROM l5)
        SELECT k,
               CASE WHEN mpg_bsn_ok(bsn_padded) THEN bsn_padded END AS bsn,
               CASE WHEN regexp_full_match(bsn_padded, '[0-9]{{9}}') AND mpg_bsn_given(bsn_digits)
                         AND NOT mpg_bsn_ok(bsn_padded) THEN bsn_padded END AS bsn_mistyped,
               full_name, surname_stem, mpg_letters(full_name) AS surname_glued,
               mpg_surname_keys(full_name) AS surname_keys,
               mpg_phonetic_key(phonetic_base) AS surname_phonetic,
               CASE WHEN length(tokens[1]) > 1 THEN tokens[1] END AS given_first,
               nullif(list_aggregate(list_transform(tokens, lambda t: t[1]), 'string_agg', ''),
                      '') AS initials,
               tokens
        FROM l6
    """)
    # Given names written out (not initials) and the nickname groups they belong to.
    con.execute(f"""
        CREATE OR REPLACE TABLE {target} AS
        WITH tok AS (SELECT k, unnest(list_filter(tokens, lambda x: length(x) > 1)) AS tok
                     FROM {target}),
        grp AS (SELECT tok.k, list_distinct(list(coalesce(n.grp, tok.tok))) AS given_groups
                FROM tok LEFT JOIN ident.nicknames n ON n.name = tok.tok GROUP BY tok.k)
        SELECT t.* EXCLUDE (tokens), g.given_groups
        FROM {target} t LEFT JOIN grp g USING (k)
    """)


def standardise(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """Write the tables of the module docstring."""
    settings = ctx.linkage
    create_macros(con, settings.name_prefixes)
    load_nicknames(con, settings.nicknames_path)

    con.execute("""
        CREATE OR REPLACE TABLE ident.person_addresses AS
        WITH a AS (SELECT *, mpg_postcode(postcode) AS postcode_std,
                          mpg_house_number(house_number) AS number
                   FROM ident.register_residences)
        SELECT person_id, address_id, postcode_std AS postcode, number AS house_number,
               mpg_house_addition(house_number, house_number_addition)
                   AS house_number_addition,
               CASE WHEN postcode_std IS NOT NULL AND number IS NOT NULL
                    THEN postcode_std || ' ' || number END AS address_key,
               mpg_neighbourhood(neighbourhood_code) AS neighbourhood_code,
               start_date, end_date
        FROM a
    """)
    # Every neighbourhood of the register, codes written one way: the neighbourhoods file
    # and any code the residences use.
    con.execute("""
        CREATE OR REPLACE TABLE neighbourhoods AS
        WITH named AS (
            SELECT mpg_neighbourhood(neighbourhood_code) AS neighbourhood_code,
                   min(neighbourhood_name) AS neighbourhood_name
            FROM register_neighbourhoods GROUP BY ALL)
        SELECT * FROM named WHERE neighbourhood_code IS NOT NULL
        UNION ALL
        SELECT DISTINCT neighbourhood_code, NULL FROM ident.person_addresses
        WHERE neighbourhood_code NOT IN (SELECT neighbourhood_code FROM named
                                         WHERE neighbourhood_code IS NOT NULL)
        ORDER BY neighbourhood_code
    """)
    # Every agency record, its fields written one way; a care-network report with no
    # surname, no birth date and no BSN that identifies anyone is anonymous (delivery.md).
    con.execute("""
        CREATE OR REPLACE TABLE ident.records_clean AS
        WITH r AS (SELECT *, mpg_bsn_digits(bsn) AS digits FROM ident.records)
        SELECT record_key, agency, file, row_number, record_id,
               nullif(trim(client_id), '') AS client_id,
               digits AS bsn_digits, surname, prefix, given_names, birth_date,
               mpg_sex(sex) AS sex, mpg_postcode(postcode) AS postcode,
               mpg_house_number(house_number) AS house_number,
               mpg_house_addition(house_number, house_number_addition) AS house_number_addition,
               contact_date, end_date, mpg_neighbourhood(neighbourhood_code) AS neighbourhood_code,
               agency = 'ZORGNETWERK' AND surname IS NULL AND NOT birth_date_written
                   AND NOT mpg_bsn_given(digits) AS is_anonymous,
               in_window
        FROM r ORDER BY record_key
    """)

    # Adults who lived at the same address at the same time, not parent and child: the
    # register's view of a partner, whose surname a person may use (married names).
    con.execute("""
        CREATE OR REPLACE TABLE ident._adult_spells AS
        SELECT a.person_id, a.address_id,
               greatest(a.start_date, coalesce(p.birth_date + to_years($adult_age), a.start_date))
                   AS since,
               coalesce(a.end_date, DATE '9999-12-31') AS until
        FROM ident.person_addresses a JOIN ident.register_persons p USING (person_id)
        WHERE greatest(a.start_date, coalesce(p.birth_date + to_years($adult_age), a.start_date))
              < coalesce(a.end_date, DATE '9999-12-31')""", {"adult_age": ctx.rules.adult_age})
    con.execute("""
        CREATE OR REPLACE TABLE ident._partners AS
        SELECT DISTINCT x.person_id, y.person_id AS partner_id
        FROM ident._adult_spells x
        JOIN ident._adult_spells y ON x.address_id = y.address_id AND x.person_id <> y.person_id
             AND x.since < y.until AND y.since < x.until
        JOIN ident.register_persons px ON px.person_id = x.person_id
        JOIN ident.register_persons py ON py.person_id = y.person_id
        WHERE x.address_id IN (
                  SELECT address_id FROM ident._adult_spells GROUP BY address_id
                  HAVING count(DISTINCT person_id) <= $max_adults)
          AND y.person_id IS DISTINCT FROM px.mother_id
          AND y.person_id IS DISTINCT FROM px.father_id
          AND x.person_id IS DISTINCT FROM py.mother_id
          AND x.person_id IS DISTINCT FROM py.father_id
    """, {"max_adults": settings.max_household_adults})

    identity_features(con, "ident.register_persons", "person_id", "ident._person_features")
    other_id = optional_column(con, "ident.register_persons", "other_id", "p")
    con.execute(f"""
        CREATE OR REPLACE TABLE ident.persons_std AS
        WITH household AS (
            SELECT pa.person_id, list_distinct(flatten(list(f.surname_keys))) AS partner_keys
            FROM ident._partners pa JOIN ident._person_features f ON f.k = pa.partner_id
            GROUP BY pa.person_id),
        addresses AS (
            SELECT person_id, list_distinct(list(address_key)) AS address_keys,
                   list_distinct(list(postcode)) AS postcodes
            FROM ident.person_addresses WHERE address_key IS NOT NULL GROUP BY person_id),
        years AS (
            -- The contact years of the records, but never more than the window's: an
            -- agency's typing error must not make every person a row per year to 2100.
            SELECT greatest(min(year(contact_date)), $first_year) AS y0,
                   least(max(year(contact_date)), $last_year) AS y1
            FROM ident.records_clean WHERE NOT is_anonymous AND neighbourhood_code IS NOT NULL),
        spells AS (
            SELECT r.person_id, r.neighbourhood_code AS wijk,
                   greatest(year(r.start_date), y.y0) AS y_from,
                   least(year(coalesce(r.end_date - INTERVAL 1 DAY, DATE '9999-12-31')), y.y1)
                       AS y_to, y.y0 IS NOT NULL AS has_years
            FROM ident.person_addresses r, years y
            WHERE r.neighbourhood_code IS NOT NULL),
        wijken AS (
            SELECT s.person_id, list_distinct(list(s.wijk)) AS neighbourhoods,
                   list_distinct(flatten(list(CASE WHEN s.y_from <= s.y_to AND s.has_years THEN
                       list_transform(range(s.y_from, s.y_to + 1),
                                      lambda y: s.wijk || ':' || CAST(y AS VARCHAR))
                       ELSE [] END))) AS neighbourhood_years
            FROM spells s GROUP BY s.person_id)
        SELECT p.person_id AS uid, f.bsn, f.surname_stem, f.surname_glued, f.surname_keys,
               list_distinct(f.surname_keys || coalesce(h.partner_keys, []))
                   AS surname_keys_household,
               f.surname_phonetic, f.given_first, f.given_groups, f.initials,
               p.birth_date, year(p.birth_date) AS birth_year, month(p.birth_date) AS birth_month,
               day(p.birth_date) AS birth_day, strftime(p.birth_date, '%Y%m%d') AS birth_text,
               nullif(mpg_sex(p.sex), 'O') AS sex,
               CAST(NULL AS VARCHAR) AS postcode, CAST(NULL AS INTEGER) AS house_number,
               CAST(NULL AS VARCHAR) AS address_key,
               a.address_keys, a.postcodes,
               CAST(NULL AS VARCHAR[]) AS residents_at_contact,
               CAST(NULL AS DATE) AS contact_date,
               w.neighbourhoods, w.neighbourhood_years,
               CAST(NULL AS VARCHAR) AS bsn_mistyped, mpg_other_id({other_id}) AS other_id,
               f.surname_stem || ' ' || f.given_first AS given_in_surname,
               CAST(NULL AS DATE) AS served_born_from, CAST(NULL AS DATE) AS served_born_to,
               a.address_keys AS address_near_keys,
               p.person_id, mpg_sex(p.sex) AS register_sex
        FROM ident.register_persons p
        JOIN ident._person_features f ON f.k = p.person_id
        LEFT JOIN household h USING (person_id)
        LEFT JOIN addresses a USING (person_id)
        LEFT JOIN wijken w USING (person_id)
    """, {"first_year": ctx.manifest.run.window_start.year - 10,
          "last_year": ctx.manifest.run.window_end.year + 1})

    other_id = optional_column(con, "ident.records", "other_id", "o")
    con.execute(f"""
        CREATE OR REPLACE TABLE ident._record_base AS
        WITH r AS (SELECT c.* EXCLUDE (bsn_digits), c.bsn_digits AS bsn,
                          c.postcode AS postcode_std, c.neighbourhood_code AS wijk,
                          mpg_other_id({other_id}) AS other_id
                   FROM ident.records_clean c JOIN ident.records o USING (record_key)
                   WHERE NOT c.is_anonymous)
        SELECT *, CASE WHEN postcode_std IS NOT NULL AND house_number IS NOT NULL
                       THEN postcode_std || ' ' || house_number END AS address_key
        FROM r
    """)
    # The ages each source serves (rules: [ages_served]) as the birth dates that fit them on
    # the record's contact date.
    sql.values_table(con, "ages_served", (("agency", "VARCHAR"), ("min_age", "INTEGER"),
                                          ("max_age", "INTEGER")),
                     [(code.value, ages.min_age, ages.max_age)
                      for code, ages in ctx.rules.ages_served.items()])
    identity_features(con, "ident._record_base", "record_key", "ident._record_features")
    con.execute("""
        CREATE OR REPLACE TABLE ident.records_std AS
        WITH residents AS (
            SELECT r.record_key, list(DISTINCT a.person_id ORDER BY a.person_id) AS residents
            FROM ident._record_base r
            JOIN ident.person_addresses a ON a.address_key = r.address_key
                 AND a.start_date <= r.contact_date
                 AND (a.end_date IS NULL OR a.end_date > r.contact_date)
            GROUP BY r.record_key)
        SELECT CAST(r.record_key AS VARCHAR) AS uid, f.bsn, f.surname_stem, f.surname_glued,
               f.surname_keys, f.surname_keys AS surname_keys_household,
               f.surname_phonetic, f.given_first, f.given_groups, f.initials,
               r.birth_date, year(r.birth_date) AS birth_year, month(r.birth_date) AS birth_month,
               day(r.birth_date) AS birth_day, strftime(r.birth_date, '%Y%m%d') AS birth_text,
               nullif(r.sex, 'O') AS sex,
               r.postcode_std AS postcode, r.house_number, r.address_key,
               CASE WHEN r.address_key IS NOT NULL THEN [r.address_key] END AS address_keys,
               CASE WHEN r.address_key IS NOT NULL THEN [r.postcode_std] END AS postcodes,
               coalesce(s.residents, CAST([] AS VARCHAR[])) AS residents_at_contact,
               r.contact_date,
               CASE WHEN r.wijk IS NOT NULL THEN [r.wijk] END AS neighbourhoods,
               CASE WHEN r.wijk IS NOT NULL AND r.contact_date IS NOT NULL
                    THEN [r.wijk || ':' || CAST(year(r.contact_date) AS VARCHAR)] END
                   AS neighbourhood_years,
               f.bsn_mistyped, r.other_id,
               f.surname_stem || ' ' || f.given_first AS given_in_surname,
               CAST(r.contact_date - to_years(g.max_age + 1) + INTERVAL 1 DAY AS DATE)
                   AS served_born_from,
               CAST(r.contact_date - to_years(g.min_age) AS DATE) AS served_born_to,
               CASE WHEN r.address_key IS NOT NULL THEN list_transform(
                   mpg_near_postcodes(r.postcode_std),
                   lambda q: q || ' ' || CAST(r.house_number AS VARCHAR)) END
                   AS address_near_keys,
               r.record_key, r.agency, r.file, r.record_id, r.in_window
        FROM ident._record_base r
        JOIN ident._record_features f ON f.k = r.record_key
        LEFT JOIN residents s USING (record_key)
        LEFT JOIN ages_served g USING (agency)
        ORDER BY r.record_key
    """)
    con.execute("DROP TABLE ages_served")
    for table in ("_adult_spells", "_partners", "_person_features", "_record_features",
                  "_record_base"):
        con.execute(f"DROP TABLE IF EXISTS ident.{table}")


STAGE = Stage("standardise",
              reads=("ident.register_persons", "ident.register_residences", "ident.records",
                     "register_neighbourhoods"),
              writes=("ident.nicknames", "ident.person_addresses", "neighbourhoods",
                      "ident.records_clean", "ident.persons_std", "ident.records_std"),
              run=standardise)
