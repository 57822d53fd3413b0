"""The synthetic city generator (data_fixtures) and its oracle.

The oracle is what the pipeline's counts are compared against, so it is checked first on the
worked example of the contract; the generated cities are then checked for determinism, for
following the delivery contract, for a truth that is internally consistent and reproducible
from the written files, and for containing every hard case they promise.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from stdnum.nl import bsn as nl_bsn

from mpg.data_fixtures import make_city, make_quarters
from mpg.data_fixtures.oracle import count_delivery, read_delivery

from conftest import example_dir

EXAMPLE = example_dir() or Path("shared/spec/example")

NOISE_TAGS = {
    "bsn_missing", "bsn_mistyped", "bsn_of_relative", "surname_typo", "married_name",
    "partner_surname", "prefix_in_surname", "prefix_glued", "surname_first",
    "diacritics_dropped", "given_initials", "given_nickname", "given_typo", "birth_missing",
    "birth_day_month_swapped", "birth_year_typo", "postcode_format", "old_address",
    "address_missing", "addition_dropped", "sex_missing"}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def hard_city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("hard"), n_persons=3_000, difficulty="hard",
                     seed=11)


@pytest.fixture(scope="module")
def easy_city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("easy"), n_persons=3_000, difficulty="easy",
                     seed=12)


# ------------------------------------------------------------------------------ the oracle
@pytest.mark.skipif(not (EXAMPLE / "delivery").is_dir(), reason="worked example not found")
def test_oracle_reproduces_the_worked_example():
    links = pd.read_csv(EXAMPLE / "expected" / "links.csv", dtype=str, keep_default_na=False)
    summary, table = count_delivery(EXAMPLE / "delivery" / "delivery.toml", links)
    expected = json.loads((EXAMPLE / "expected" / "summary.json").read_text(encoding="utf-8"))
    assert summary == expected
    pd.testing.assert_frame_equal(
        table, pd.read_csv(EXAMPLE / "expected" / "neighbourhoods.csv"), check_dtype=False)


@pytest.mark.skipif(not (EXAMPLE / "delivery").is_dir(), reason="worked example not found")
def test_oracle_reader_finds_the_example_rejects():
    rejects = read_delivery(EXAMPLE / "delivery" / "delivery.toml").rejects
    assert list(rejects["row"]) == [11, 12, 13]
    assert set(rejects["file"]) == {"mjd/contacten.csv"}


# ------------------------------------------------------------------------ one generated city
def test_same_seed_same_city_byte_for_byte(hard_city, tmp_path):
    again = make_city(tmp_path / "again", n_persons=3_000, difficulty="hard", seed=11)
    assert _digest(again.folder) == _digest(hard_city.folder)
    assert again.truth == hard_city.truth
    pd.testing.assert_frame_equal(again.truth_links, hard_city.truth_links)


def test_another_seed_another_city(hard_city, easy_city):
    assert set(easy_city.truth_links["record_id"]) != set(hard_city.truth_links["record_id"])
    assert easy_city.truth != hard_city.truth


def test_layout_and_api(hard_city):
    assert hard_city.manifest_path == hard_city.folder / "delivery" / "delivery.toml"
    for name in ("truth.json", "truth_links.csv", "truth_neighbourhoods.csv",
                 "truth_records.csv", "truth_households.csv", "truth_capture.csv",
                 "cases.json"):
        assert (hard_city.folder / "truth" / name).is_file(), name
    assert json.loads((hard_city.truth_dir / "truth.json").read_text()) == hard_city.truth
    # truth_links has the shape of the example's expected/links.csv.
    assert list(hard_city.truth_links.columns) == ["agency", "file", "record_id", "person_id"]
    assert list(hard_city.truth_neighbourhoods.columns) == list(
        pd.read_csv(EXAMPLE / "expected" / "neighbourhoods.csv").columns)
    # Shaped like OUT/summary.json, plus the prevalence truth (a new key, last).
    assert list(hard_city.truth) == list(json.loads(
        (EXAMPLE / "expected" / "summary.json").read_text())) + ["prevalence"]


def test_manifest_names_every_file_in_the_promised_formats(hard_city):
    manifest = tomllib.loads(hard_city.manifest_path.read_text(encoding="utf-8"))
    folder = hard_city.manifest_path.parent
    register = manifest["register"]
    for key in ("persons", "residences", "neighbourhoods"):
        assert (folder / register[key]).is_file()
    sources = manifest["source"]
    for s in sources:
        assert (folder / s["path"]).is_file(), s["path"]
    agencies = [s["agency"] for s in sources]
    assert {"JEUGDZORG_TOEGANG", "JEUGDZORG_VOOGDIJ", "JEUGDZORG_RECLASSERING"} <= set(agencies)
    assert {"MJD", "GELDZORG", "ZAR", "WOONKANS", "OGGZ", "BIB", "ZORGNETWERK",
            "BIJSTAND"} <= set(agencies)
    suffixes = {Path(s["path"]).suffix for s in sources}
    assert {".xlsx", ".parquet", ".csv", ".tsv"} <= suffixes
    assert any(s.get("delimiter") == "\t" for s in sources)
    cp1252 = [s for s in sources if s.get("encoding") == "cp1252"]
    assert cp1252
    # The encoding matters: the cp1252 files hold non-ASCII names that are not valid utf-8.
    raw = b"".join((folder / s["path"]).read_bytes() for s in cp1252)
    assert any(b >= 0x80 for b in raw)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    # The register: utf-8 comma csv with mapped Dutch column names.
    header = (folder / register["persons"]).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:3] == [register["persons_columns"][k]
                                     for k in ("person_id", "bsn", "surname")]


def test_manifest_is_valid_for_the_pipeline(hard_city):
    config = pytest.importorskip("mpg.pipeline.config")
    manifest = config.load_manifest(hard_city.manifest_path)
    assert manifest.run.name == "2004Q2"
    assert len(manifest.source) == 11


def test_truth_is_internally_consistent(hard_city, easy_city):
    for city in (hard_city, easy_city):
        t = city.truth
        cat = t["by_category"]
        assert t["mpg_total"] == sum(cat.values()) > 0
        profiled = cat["BIB"] + cat["MULTI_AGENCY"]
        assert sum(t["household_types"].values()) == profiled
        assert sum(t["children"]["per_household"].values()) == profiled
        assert t["children"]["total"] == sum(int(k) * v for k, v in
                                             t["children"]["per_household"].items())
        assert t["children"]["total"] >= profiled
        assert sum(t["agency_combinations"].values()) == cat["MULTI_AGENCY"]
        assert all(len(k.split("+")) >= 3 for k in t["agency_combinations"])
        assert t["bijstand_households"] <= profiled
        assert t["zorgnetwerk_identified"] >= cat["ZORGNETWERK"]
        assert t["family_households"] >= t["mpg_total"]
        assert t["window"] == ["2003-01-01", "2004-06-30"]
        assert t["reference_date"] == "2004-06-30"
        n = city.truth_neighbourhoods
        assert n["family_households"].sum() == t["family_households"]
        assert n["mpg_total"].sum() == t["mpg_total"]
        assert list(n["neighbourhood_code"]) == sorted(n["neighbourhood_code"])
        assert abs(n["share_of_family_households"].sum() - 1) < 1e-4
        assert abs(n["share_of_mpg"].sum() - 1) < 1e-4
        households = city.truth_households
        assert len(households) == t["mpg_total"]
        assert households["category"].value_counts().to_dict() == {
            k: v for k, v in cat.items() if v}
        rejects = pd.read_csv(city.truth_dir / "truth_rejects.csv")
        assert len(rejects) == t["rejects"]


def test_truth_is_reproduced_from_the_written_files(hard_city):
    """The oracle reading the files back (its own small reader) gives the same truth: the
    files say what the generator meant, in every format and encoding."""
    links = pd.read_csv(hard_city.truth_dir / "truth_links.csv", dtype=str,
                        keep_default_na=False)
    summary, table = count_delivery(hard_city.manifest_path, links)
    assert summary == {k: v for k, v in hard_city.truth.items() if k != "prevalence"}
    pd.testing.assert_frame_equal(table, hard_city.truth_neighbourhoods, check_dtype=False)
    delivery = read_delivery(hard_city.manifest_path)
    written = set(zip(delivery.records["file"], delivery.records["record_id"]))
    assert written == set(zip(hard_city.truth_links["file"], hard_city.truth_links["record_id"]))


def test_register_bsns_pass_the_eleven_proof_and_links_point_into_it(hard_city):
    folder = hard_city.manifest_path.parent
    persons = pd.read_csv(folder / "gba" / "personen.csv", dtype=str, keep_default_na=False)
    assert persons["a_nummer"].is_unique
    assert persons["burgerservicenummer"].map(nl_bsn.is_valid).all()
    assert persons["burgerservicenummer"].is_unique
    linked = hard_city.truth_links["person_id"].dropna()
    assert set(linked) <= set(persons["a_nummer"])
    anonymous = hard_city.truth_records[hard_city.truth_records["why"] == "anonymous"]
    assert anonymous["person_id"].isna().all()


def test_hard_city_contains_every_hard_case(hard_city):
    t = hard_city.truth
    records = hard_city.truth_records
    tags = set(";".join(records["noise"].fillna("")).split(";")) - {""}
    assert NOISE_TAGS <= tags, NOISE_TAGS - tags
    # Mistyped BSNs fail the 11-proof; a relative's BSN passes it but is someone else's.
    written = read_delivery(hard_city.manifest_path).records
    tagged = records.merge(written[["file", "record_id", "bsn"]], on=["file", "record_id"])
    mistyped = tagged[tagged["noise"].fillna("").str.contains("bsn_mistyped")]
    assert len(mistyped) and not mistyped["bsn"].astype(str).map(nl_bsn.is_valid).any()
    # Truly ambiguous people, all with records.
    for kind in ("twins", "father_son_same_name", "namesakes_same_birth_date"):
        assert len(hard_city.cases[kind]) >= 1, kind
    assert {"case:twin", "case:father_son", "case:namesake"} <= set(records["why"])
    # Records of every kind the counting rules treat specially.
    assert {"bib", "multi", "zorg", "near", "singles_multi", "bib_grown", "background",
            "bijstand", "unregistered", "anonymous"} <= set(records["why"])
    assert t["bib_without_children"] >= 1
    nc = t["not_counted"]
    assert min(nc["anonymous_zorgnetwerk"], nc["unlinked_records"], nc["no_family_household"],
               nc["outside_window"]) >= 1
    rejects = pd.read_csv(hard_city.truth_dir / "truth_rejects.csv")
    assert set(rejects["reason"]) == {"no_record_id", "duplicate_record_id", "bad_contact_date"}
    ended_before = records["end_date"].notna() & (
        pd.to_datetime(records["end_date"]) < pd.Timestamp("2003-01-01"))
    assert ended_before.any()
    after = pd.to_datetime(records["contact_date"]) > pd.Timestamp("2004-06-30")
    assert after.any()
    # The register: movers with a residence history, additions, prefixes, diacritics.
    folder = hard_city.manifest_path.parent
    residences = pd.read_csv(folder / "gba" / "verblijfplaatsen.csv", dtype=str,
                             keep_default_na=False)
    assert residences["a_nummer"].duplicated().any()
    assert (residences["datum_einde"] != "").any()
    assert (residences["huisnummertoevoeging"] != "").any()
    persons = pd.read_csv(folder / "gba" / "personen.csv", dtype=str, keep_default_na=False)
    assert {"van", "de", "van der"} <= set(persons["voorvoegsel"])
    assert persons["geslachtsnaam"].map(lambda s: not s.isascii()).any()
    assert set(persons["herkomstgroep"]) == {"NL", "MA", "TR", "SR", "ANT", "other"}


def test_easy_is_easier_than_hard(hard_city, easy_city):
    def share(city, tag):
        return city.truth_records["noise"].fillna("").str.contains(tag).mean()

    for tag in ("bsn_missing", "surname_typo", "given_nickname", "old_address"):
        assert share(easy_city, tag) < share(hard_city, tag), tag


# ---------------------------------------------------------------------------------- quarters
def test_quarters_are_one_city_moving_on(tmp_path):
    q1, q2 = make_quarters(tmp_path, n_quarters=2, n_persons=2_000, seed=5)
    assert [q1.name, q2.name] == ["2004Q1", "2004Q2"]
    assert (q1.truth["reference_date"], q1.truth["window"]) == (
        "2004-03-31", ["2002-10-01", "2004-03-31"])
    assert (q2.truth["reference_date"], q2.truth["window"]) == (
        "2004-06-30", ["2003-01-01", "2004-06-30"])
    assert q1.manifest_path == tmp_path / "2004Q1" / "delivery" / "delivery.toml"
    ids = [set(pd.read_csv(q.manifest_path.parent / "gba" / "personen.csv", dtype=str)
               ["a_nummer"]) for q in (q1, q2)]
    assert ids[0] < ids[1]  # the same people, plus births and arrivals
    # The same agency record keeps its number from one export to the next.
    shared = q1.truth_links.merge(q2.truth_links, on=["agency", "file", "record_id"])
    assert len(shared) > 0.5 * len(q1.truth_links)
    assert (shared["person_id_x"].fillna("") == shared["person_id_y"].fillna("")).all()
