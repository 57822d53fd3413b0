"""Build small deliveries (delivery.md) in a temporary folder from Python data.

    d = Delivery(tmp_path / "delivery")
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-05-05"])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()

Everything is deterministic. Every register person gets a unique surname-per-family,
a unique given name, and a valid (11-proof) BSN; `record()` copies BSN, names and birth
date into the agency row, so linkage is unambiguous unless a test asks otherwise
(`with_bsn=False`, other names, an old address, ...).

Dates are given as ISO strings (or `datetime.date`) and written in each file's
`date_format`. Pass `raw=True` to `source()` to write values exactly as given (bad dates,
empty record ids, ...). `raw_source()` writes arbitrary bytes under a manifest entry.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

# Canonical fields (delivery.md), in the order the builder writes them.
PERSON_FIELDS = ("person_id", "bsn", "surname", "prefix", "given_names", "birth_date", "sex",
                 "origin", "mother_id", "father_id")
RESIDENCE_FIELDS = ("person_id", "address_id", "postcode", "house_number",
                    "house_number_addition", "neighbourhood_code", "start_date", "end_date")
RECORD_FIELDS = ("record_id", "client_id", "bsn", "surname", "prefix", "given_names",
                 "birth_date", "sex", "postcode", "house_number", "house_number_addition",
                 "contact_date", "end_date", "neighbourhood_code")
DATE_FIELDS = {"birth_date", "contact_date", "end_date"}

DEFAULT_REFERENCE_DATE = "2003-09-01"
DEFAULT_WINDOW = ("2003-01-01", "2004-06-30")
DEFAULT_RESIDENCE_START = "1998-01-01"

SURNAMES = (
    "Aalbers", "Brouwer", "Claassen", "Dekker", "Evers", "Feenstra", "Geerts", "Hoekstra",
    "IJzerman", "Jonker", "Kramer", "Lammers", "Meijer", "Nijholt", "Oosting", "Postma",
    "Quist", "Reitsma", "Schouten", "Tuinstra", "Uiterwijk", "Vos", "Wierenga", "Zijlstra",
    "Adema", "Bosma", "Dijkstra", "Faber", "Groen", "Haan", "Jager", "Kuipers", "Leeuw",
    "Mol", "Nauta", "Otten", "Pronk", "Roos", "Smeenk", "Timmer", "Veenstra", "Wolters",
)
GIVEN_F = ("Anke", "Bea", "Carla", "Dineke", "Elske", "Froukje", "Greetje", "Hilda", "Ineke",
           "Janke", "Klaske", "Lieke", "Marrit", "Nynke", "Oetske", "Pietje", "Riemke",
           "Sietske", "Tjitske", "Wietske", "Yfke", "Aukje", "Baukje", "Dieuwke", "Geeske")
GIVEN_M = ("Albert", "Bouke", "Cees", "Douwe", "Eelco", "Folkert", "Gerben", "Harm", "Ids",
           "Jelle", "Klaas", "Lammert", "Minne", "Nanne", "Oene", "Pieter", "Rinse", "Sjoerd",
           "Tjeerd", "Wiebe", "Ype", "Auke", "Bauke", "Durk", "Geert")


def _iso(value: str | dt.date | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def is_valid_bsn(bsn: str) -> bool:
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    total = sum((9 - i) * int(c) for i, c in enumerate(bsn[:8])) - int(bsn[8])
    return total % 11 == 0


def bsn_numbers(start: int = 10_000_000) -> Iterable[str]:
    """Valid BSNs (11-proof), deterministic."""
    n = start
    while True:
        head = f"{n:08d}"
        check = sum((9 - i) * int(c) for i, c in enumerate(head)) % 11
        if check < 10:
            bsn = head + str(check)
            assert is_valid_bsn(bsn)
            yield bsn
        n += 1


@dataclass
class Person:
    person_id: str
    surname: str
    given_names: str
    birth_date: str
    sex: str = "V"
    bsn: str | None = None
    prefix: str = ""
    origin: str = "NL"
    mother_id: str | None = None
    father_id: str | None = None

    def row(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in PERSON_FIELDS}


@dataclass
class Household:
    address_id: str
    postcode: str
    house_number: int
    neighbourhood_code: str
    adults: list[Person] = field(default_factory=list)
    children: list[Person] = field(default_factory=list)

    @property
    def members(self) -> list[Person]:
        return self.adults + self.children

    @property
    def mother(self) -> Person:
        return next(p for p in self.adults if p.sex == "V")

    @property
    def father(self) -> Person:
        return next(p for p in self.adults if p.sex == "M")

    @property
    def adult(self) -> Person:
        return self.adults[0]

    @property
    def child(self) -> Person:
        return self.children[0]


@dataclass
class SourceFile:
    agency: str
    path: str  # relative to the manifest, as written in the manifest
    entry: dict[str, Any]  # the [[source]] table
    n_rows: int


def _fmt_date(value: Any, date_format: str) -> Any:
    if value is None or value == "":
        return ""
    d = _iso(value)
    return d.strftime(date_format)


class Delivery:
    """A delivery folder under construction."""

    def __init__(self, root: Path, *, name: str = "TEST", reference_date: str = DEFAULT_REFERENCE_DATE,
                 window: tuple[str, str] = DEFAULT_WINDOW) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.run: dict[str, Any] = {"name": name, "reference_date": reference_date,
                                    "window_start": window[0], "window_end": window[1]}
        self.persons: list[Person] = []
        self.residences: list[dict[str, Any]] = []
        self.neighbourhoods: dict[str, str] = {}
        self.households: list[Household] = []
        self.sources: list[SourceFile] = []
        self._bsns = iter(bsn_numbers())
        self._next_person = 1001
        self._next_address = 1
        self._next_record: dict[str, int] = {}
        self._surnames = iter(SURNAMES)
        self._given = {"V": iter(GIVEN_F), "M": iter(GIVEN_M)}
        self._files_per_agency: dict[str, int] = {}
        # register file formats (delivery.md: csv unless the extension says .xlsx/.parquet)
        self.register_formats = {"persons": "csv", "residences": "csv", "neighbourhoods": "csv"}
        self.with_neighbourhoods_file = True

    # ----------------------------------------------------------------- register
    @property
    def reference_date(self) -> dt.date:
        return _iso(self.run["reference_date"])

    def neighbourhood(self, code: str, name: str | None = None) -> str:
        self.neighbourhoods.setdefault(code, name or f"Wijk {code}")
        if name:
            self.neighbourhoods[code] = name
        return code

    def new_surname(self) -> str:
        return next(self._surnames)

    def person(self, birth_date: str, *, sex: str = "V", surname: str | None = None,
               given_names: str | None = None, bsn: str | None | bool = True, prefix: str = "",
               origin: str = "NL", mother: Person | None = None,
               father: Person | None = None, person_id: str | None = None) -> Person:
        """A register person (not yet living anywhere: see `live()` / `family()`)."""
        if person_id is None:
            person_id = str(self._next_person)
            self._next_person += 1
        if bsn is True:
            bsn = next(self._bsns)
        elif bsn is False:
            bsn = None
        p = Person(person_id=person_id, surname=surname or self.new_surname(),
                   given_names=given_names or next(self._given[sex if sex in "MV" else "V"]),
                   birth_date=str(_iso(birth_date)), sex=sex, bsn=bsn, prefix=prefix,
                   origin=origin, mother_id=mother.person_id if mother else None,
                   father_id=father.person_id if father else None)
        self.persons.append(p)
        return p

    def live(self, person: Person, address_id: str, neighbourhood_code: str, *,
             postcode: str, house_number: int, start: str | None = None,
             end: str | None = None, addition: str = "") -> None:
        """A residence period: `person` lives at `address_id` from `start` until `end`."""
        self.neighbourhood(neighbourhood_code)
        if start is None:
            start = max(_iso(DEFAULT_RESIDENCE_START), _iso(person.birth_date)).isoformat()
        self.residences.append({
            "person_id": person.person_id, "address_id": address_id, "postcode": postcode,
            "house_number": house_number, "house_number_addition": addition,
            "neighbourhood_code": neighbourhood_code, "start_date": start, "end_date": end or "",
        })

    def _address(self, address_id: str) -> tuple[str, int]:
        n = self._next_address
        self._next_address += 1
        return f"97{n:02d}AB", n

    def family(self, address_id: str, neighbourhood_code: str, *, adults: Sequence[Any] = (),
               children: Sequence[Any] = (), surname: str | None = None,
               postcode: str | None = None, house_number: int | None = None,
               start: str | None = None) -> Household:
        """A household at one address from `start` (default 1998 or birth) onwards.

        `adults` and `children` are birth dates (ISO) or dicts of `person()` arguments
        (birth_date required). Adults alternate sex V, M, V, ... unless given; the first V
        adult is the children's mother, the first M adult their father. The split into
        adults/children is only the builder's bookkeeping: the pipeline decides by age.
        """
        pc, hn = self._address(address_id)
        postcode = postcode or pc
        house_number = house_number or hn
        surname = surname or self.new_surname()
        h = Household(address_id, postcode, house_number, neighbourhood_code)
        for i, spec in enumerate(adults):
            kw = {"birth_date": spec} if not isinstance(spec, Mapping) else dict(spec)
            kw.setdefault("sex", "V" if i % 2 == 0 else "M")
            kw.setdefault("surname", surname)
            h.adults.append(self.person(**kw))
        mother = next((p for p in h.adults if p.sex == "V"), None)
        father = next((p for p in h.adults if p.sex == "M"), None)
        for i, spec in enumerate(children):
            kw = {"birth_date": spec} if not isinstance(spec, Mapping) else dict(spec)
            kw.setdefault("sex", "M" if i % 2 == 0 else "V")
            kw.setdefault("surname", surname)
            kw.setdefault("mother", mother)
            kw.setdefault("father", father)
            h.children.append(self.person(**kw))
        for p in h.members:
            self.live(p, address_id, neighbourhood_code, postcode=postcode,
                      house_number=house_number, start=start)
        self.households.append(h)
        return h

    def move(self, household: Household, address_id: str, neighbourhood_code: str, *, on: str,
             postcode: str | None = None, house_number: int | None = None) -> Household:
        """Every member of `household` moves to a new address on `on` (the old residence
        ends on that day). Returns the household at its new address; the old one keeps
        its address attributes so tests can write records with the old address."""
        pc, hn = self._address(address_id)
        for res in self.residences:
            if res["address_id"] == household.address_id and not res["end_date"] and \
                    res["person_id"] in {p.person_id for p in household.members}:
                res["end_date"] = on
        new = Household(address_id, postcode or pc, house_number or hn, neighbourhood_code,
                        list(household.adults), list(household.children))
        for p in new.members:
            self.live(p, address_id, neighbourhood_code, postcode=new.postcode,
                      house_number=new.house_number, start=on)
        self.households.append(new)
        return new

    def move_person(self, person: Person, address_id: str | None, neighbourhood_code: str = "",
                    *, on: str, postcode: str | None = None,
                    house_number: int | None = None) -> None:
        """`person` leaves the current address on `on`, to `address_id` (None: leaves the
        register's city, no new residence)."""
        for res in self.residences:
            if res["person_id"] == person.person_id and not res["end_date"]:
                res["end_date"] = on
        if address_id is not None:
            pc, hn = self._address(address_id)
            self.live(person, address_id, neighbourhood_code, postcode=postcode or pc,
                      house_number=house_number or hn, start=on)

    # ----------------------------------------------------------------- agency files
    def record(self, person: Person, contact_date: str | None, end_date: str | None = None, *,
               with_bsn: bool = True, with_names: bool = True, with_birth_date: bool = True,
               address: Household | None = None, **extra: Any) -> dict[str, Any]:
        """An agency row identifying `person` (canonical field names)."""
        row: dict[str, Any] = {}
        if with_bsn and person.bsn:
            row["bsn"] = person.bsn
        if with_names:
            row["surname"] = person.surname
            row["prefix"] = person.prefix
            row["given_names"] = person.given_names
        if with_birth_date:
            row["birth_date"] = person.birth_date
        if address is not None:
            row["postcode"] = address.postcode
            row["house_number"] = address.house_number
        row["contact_date"] = contact_date
        if end_date is not None:
            row["end_date"] = end_date
        row.update(extra)
        return row

    def anonymous_report(self, neighbourhood_code: str, contact_date: str, **extra: Any) -> dict:
        """A care-network report with no identifying data (only the neighbourhood)."""
        return {"neighbourhood_code": neighbourhood_code, "contact_date": contact_date, **extra}

    def _record_id(self, agency: str) -> str:
        n = self._next_record.get(agency, 0) + 1
        self._next_record[agency] = n
        return f"{agency[:3]}-{n:03d}"

    def source(self, agency: str, rows: Sequence[Mapping[str, Any]], *, path: str | None = None,
               fmt: str | None = None, delimiter: str | None = None,
               encoding: str | None = None, date_format: str | None = None,
               columns: Mapping[str, str] | None = None, fields: Sequence[str] | None = None,
               raw: bool = False, auto_record_id: bool = True, declare_defaults: bool = False,
               xlsx_native_dates: bool = True, **entry_extra: Any) -> SourceFile:
        """Write an agency file and add its [[source]] table to the manifest.

        rows: dicts of canonical field names (renamed to `columns` in the file).
        fmt: csv, tsv, xlsx or parquet (default from `path`, else csv).
        fields: the canonical columns of the file (default: every key used in `rows`, in
        canonical order). raw: write values exactly as given (no date formatting, no record
        ids added).
        """
        if path is None:
            fmt = fmt or "csv"
            k = self._files_per_agency.get(agency, 0) + 1
            self._files_per_agency[agency] = k
            path = f"{agency.lower()}/{agency.lower()}_{k}.{fmt}"
        elif fmt is None:
            fmt = Path(path).suffix.lstrip(".").lower() or "csv"
        if fmt == "tsv" and delimiter is None:
            delimiter = "\t"
        rows = [dict(r) for r in rows]
        if auto_record_id and not raw:
            for r in rows:
                if "record_id" not in r:
                    r["record_id"] = self._record_id(agency)
        if fields is None:
            used = {k for r in rows for k in r}
            fields = [f for f in RECORD_FIELDS if f in used] + sorted(used - set(RECORD_FIELDS))
        df = date_format or "%Y-%m-%d"
        columns = dict(columns or {})
        header = [columns.get(f, f) for f in fields]

        def cell(f: str, v: Any) -> Any:
            if v is None:
                return "" if fmt in ("csv", "tsv") else None
            if raw:
                return v
            if f in DATE_FIELDS:
                if fmt == "xlsx" and xlsx_native_dates:
                    return dt.datetime.combine(_iso(v), dt.time())
                return _fmt_date(v, df)
            return v if fmt == "xlsx" and not isinstance(v, str) else str(v)

        table = [[cell(f, r.get(f)) for f in fields] for r in rows]
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_table(target, fmt, header, table, delimiter=delimiter or ",",
                    encoding=encoding or "utf-8")

        entry: dict[str, Any] = {"agency": agency, "path": path}
        if delimiter is not None and fmt in ("csv", "tsv") and (delimiter != "," or declare_defaults):
            entry["delimiter"] = delimiter
        if encoding is not None:
            entry["encoding"] = encoding
        if date_format is not None:
            entry["date_format"] = date_format
        entry.update(entry_extra)
        mapped = {f: c for f, c in columns.items() if f in fields}
        if mapped:
            entry["columns"] = mapped
        sf = SourceFile(agency, path, entry, len(rows))
        self.sources.append(sf)
        return sf

    def raw_source(self, agency: str, path: str, content: bytes, **entry: Any) -> SourceFile:
        """A manifest entry for a file whose bytes the test writes itself."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        columns = entry.pop("columns", None)
        e: dict[str, Any] = {"agency": agency, "path": path, **entry}
        if columns:
            e["columns"] = dict(columns)
        sf = SourceFile(agency, path, e, -1)
        self.sources.append(sf)
        return sf

    def list_again(self, sf: SourceFile) -> SourceFile:
        """List an already written file a second time in the manifest."""
        again = SourceFile(sf.agency, sf.path, dict(sf.entry), sf.n_rows)
        self.sources.append(again)
        return again

    # ----------------------------------------------------------------- writing
    def manifest(self) -> dict[str, Any]:
        register: dict[str, Any] = {"persons": self._register_path("persons"),
                                    "residences": self._register_path("residences")}
        if self.neighbourhoods and self.with_neighbourhoods_file:
            register["neighbourhoods"] = self._register_path("neighbourhoods")
        return {"run": dict(self.run), "register": register,
                "source": [json.loads(json.dumps(s.entry)) for s in self.sources]}

    _REGISTER_NAMES = {"persons": "gba/personen", "residences": "gba/verblijfplaatsen",
                       "neighbourhoods": "gba/wijken"}

    def _register_path(self, table: str) -> str:
        return f"{self._REGISTER_NAMES[table]}.{self.register_formats[table]}"

    def write_register(self) -> None:
        """The register files; every value as text (dates ISO), in `register_formats`."""
        (self.root / "gba").mkdir(parents=True, exist_ok=True)
        write_table(self.root / self._register_path("persons"), self.register_formats["persons"],
                    list(PERSON_FIELDS),
                    [["" if v is None else str(v) for v in p.row().values()] for p in self.persons])
        write_table(self.root / self._register_path("residences"),
                    self.register_formats["residences"], list(RESIDENCE_FIELDS),
                    [[str(r[f]) if r[f] is not None else "" for f in RESIDENCE_FIELDS]
                     for r in self.residences])
        if self.neighbourhoods and self.with_neighbourhoods_file:
            write_table(self.root / self._register_path("neighbourhoods"),
                        self.register_formats["neighbourhoods"],
                        ["neighbourhood_code", "neighbourhood_name"],
                        [[c, n] for c, n in sorted(self.neighbourhoods.items())])

    def write(self, manifest: Mapping[str, Any] | None = None, *,
              filename: str = "delivery.toml") -> Path:
        """Write the register files and the manifest; return the manifest's path.
        Pass a (modified) `manifest()` dict to write that instead."""
        self.write_register()
        target = self.root / filename
        target.write_text(toml_dumps(manifest if manifest is not None else self.manifest()),
                          encoding="utf-8")
        return target

    # ----------------------------------------------------------------- helpers
    def families_on_lists(self, cells: Mapping[str, int],
                          neighbourhood: Any = lambda n: "WK01") -> tuple[dict[str, list], int]:
        """Families on the capture lists the letters of `cells` name (B: BIB; M: three
        agencies, the multi-agency rule; Z: a care network), `count` of each pattern, the
        n-th in `neighbourhood(n)`, linked by BSN. Returns the records per agency (not yet
        written as sources) and how many families were made."""
        rows: dict[str, list] = {}
        n = 0
        for letters, count in cells.items():
            for _ in range(count):
                n += 1
                h = self.family(f"A{n}", neighbourhood(n), surname=f"Gezin{n}",
                                adults=[{"birth_date": "1970-01-01",
                                         "given_names": f"Moeder{n}"}],
                                children=[{"birth_date": "1995-01-01",
                                           "given_names": f"Kind{n}"}])
                if "B" in letters:
                    rows.setdefault("BIB", []).append(self.record(h.mother, "2003-03-03"))
                if "M" in letters:
                    for agency in ("GELDZORG", "WOONKANS", "OGGZ"):
                        rows.setdefault(agency, []).append(self.record(h.mother, "2003-04-04"))
                if "Z" in letters:
                    rows.setdefault("ZORGNETWERK", []).append(self.record(h.child, "2003-05-05"))
        return rows, n

    def all_identifying_values(self) -> list[str]:
        """Names, BSNs and birth dates in the register, in the forms a message could show
        them. Used to check that messages never carry identifying data."""
        out: list[str] = []
        for p in self.persons:
            b = _iso(p.birth_date)
            out += [p.surname, p.given_names, p.birth_date, b.strftime("%d-%m-%Y"),
                    b.strftime("%d/%m/%Y"), b.strftime("%Y%m%d")]
            if p.bsn:
                out.append(p.bsn)
        return sorted(set(v for v in out if v))


def write_table(target: Path, fmt: str, header: list[str], rows: list[list[Any]], *,
                delimiter: str = ",", encoding: str = "utf-8") -> None:
    if fmt in ("csv", "tsv"):
        with open(target, "w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
    elif fmt == "xlsx":
        import openpyxl
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append([None if v == "" else v for v in r])
        wb.save(target)
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        cols = {h: pa.array([r[i] if r[i] != "" else None for r in rows], pa.string())
                for i, h in enumerate(header)}
        pq.write_table(pa.table(cols) if cols else pa.table({}), target)
    else:
        raise ValueError(f"unknown format {fmt}")


# --------------------------------------------------------------------- TOML writer
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()  # a TOML local date
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def toml_dumps(data: Mapping[str, Any], prefix: str = "") -> str:
    lines: list[str] = []
    for k, v in data.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{prefix}{_key(k)}]"]
            body = toml_dumps(v, f"{prefix}{_key(k)}.")
            if body:
                lines.append(body)
    for k, v in data.items():
        if _is_table_array(v):
            for item in v:
                lines += ["", f"[[{prefix}{_key(k)}]]"]
                body = toml_dumps(item, f"{prefix}{_key(k)}.")
                if body:
                    lines.append(body)
    return "\n".join(lines).lstrip("\n") + ("\n" if not prefix else "")
