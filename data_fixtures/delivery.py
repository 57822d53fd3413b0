"""Write one quarter's delivery (../shared/spec/delivery.md) and return what the truth needs.

The register is the extract on the reference date. Each agency exports its records up to a
few weeks after the window ends (its export day), in its own format (formats.py); an end date
after the export day is not known yet and is written empty. A few unusable rows (no
record_id, a record_id used before, a contact date that is not a date) are mixed in where
agencies tend to produce them; they are counted in the truth as `rejects`.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mpg.data_fixtures import formats
from mpg.data_fixtures.formats import SOURCES, Source
from mpg.data_fixtures.population import NO_DAY, Town, to_dates

EXPORT_LAG = 21  # days between the end of the window and the day agencies export
EXPORT_LOOKBACK = 913  # agencies export what was active in the 2.5 years before the window
REJECT_SHARE = 0.0008  # unusable rows per exported row, per kind, in files that have them


@dataclass(frozen=True)
class Written:
    records: pd.DataFrame  # usable rows: agency, file, record_id, canonical fields (dates)
    truth_records: pd.DataFrame  # agency, file, record_id, person_id, why, noise
    rejects: pd.DataFrame  # file, row, reason


def _date_strings(days: np.ndarray, fmt: str) -> np.ndarray:
    """Day numbers as text in a strftime format of %Y, %m, %d and separators; NO_DAY -> "".
    Built from numpy's ISO strings (strftime per value is too slow for a million)."""
    iso = np.datetime_as_string(to_dates(days), unit="D").astype("<U10")
    chars = iso.view("<U1").reshape(len(iso), 10)
    part = {"%Y": iso.astype("<U4"),
            "%m": np.strings.add(chars[:, 5], chars[:, 6]),
            "%d": np.strings.add(chars[:, 8], chars[:, 9])}
    out = np.full(len(iso), "", dtype="<U10")
    for token in re.split("(%[Ymd])", fmt):
        out = np.strings.add(out, part[token] if token in part else token)
    return np.where(np.asarray(days) == NO_DAY, "", out).astype(object)


def _write_csv(columns: dict[str, np.ndarray], path: Path) -> None:
    """A plain utf-8 comma csv, fast (pyarrow): text columns as object arrays of str, numbers
    as ints, dates as datetime64 (written ISO, NaT empty). Fails loudly if a value would need
    quotes, which a register extract never has."""
    def arrow(v: np.ndarray) -> pa.Array:
        v = np.asarray(v)
        if v.dtype.kind == "M":
            return pa.array(v.astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
        if v.dtype.kind in "iu":
            return pa.array(v)
        return pa.array(v, type=pa.string(), from_pandas=True)

    table = pa.table({k: arrow(v) for k, v in columns.items()})
    with open(path, "wb") as fh:  # pyarrow would quote the header names
        fh.write((",".join(columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(
            include_header=False, quoting_style="none"))


def assign_ids(rendered: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Stable record and client numbers per source, in order of contact (as systems number)."""
    out = rendered.copy()
    out["record_id"] = ""
    out["client_id"] = ""
    for source in SOURCES:
        m = np.flatnonzero((out["source"] == source.agency).to_numpy())
        if not len(m):
            continue
        order = m[np.argsort(out["contact"].to_numpy()[m], kind="stable")]
        first = int(rng.integers(1000, 5000))
        out.loc[out.index[order], "record_id"] = [source.id_format.format(first + i)
                                                  for i in range(len(order))]
        # A client number per person (or per unregistered client row).
        who = np.where(out["person"].to_numpy()[m] >= 0, out["person"].to_numpy()[m],
                       -1 - np.arange(len(m)))
        _, client = np.unique(who, return_inverse=True)
        out.loc[out.index[m], "client_id"] = [f"K{20000 + c:06d}" for c in client]
    return out


def write_register(town: Town, folder: Path, day: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write gba/*.csv; returns the canonical persons and residences for the oracle."""
    persons, residences = town.register_on(day)
    ids = town.persons["person_id"].to_numpy()

    def parent(col: str) -> np.ndarray:
        idx = persons[col].to_numpy()
        return np.where(idx >= 0, ids[np.maximum(idx, 0)], "")

    (folder / "gba").mkdir(parents=True, exist_ok=True)
    pc = formats.PERSONS_COLUMNS
    birth = to_dates(persons["birth"].to_numpy())
    out = {
        pc["person_id"]: persons["person_id"].to_numpy(), pc["bsn"]: persons["bsn"].to_numpy(),
        pc["surname"]: persons["surname"].to_numpy(), pc["prefix"]: persons["prefix"].to_numpy(),
        pc["given_names"]: persons["given_names"].to_numpy(),
        pc["birth_date"]: birth,
        pc["sex"]: persons["sex"].to_numpy(), pc["origin"]: persons["origin"].to_numpy(),
        pc["mother_id"]: parent("mother"), pc["father_id"]: parent("father"),
        "gemeentecode": np.full(len(persons), "0014"),
    }
    _write_csv(out, folder / formats.PERSONS_FILE)

    a = town.addresses
    addr = residences["address"].to_numpy()
    rc = formats.RESIDENCES_COLUMNS
    wijk_codes = town.neighbourhoods["code"].to_numpy()
    # The register writes postcodes with a space; the contract allows any spacing.
    spaced = np.array([f"{x[:4]} {x[4:]}" for x in a["postcode"]], dtype=object)
    res = {
        rc["person_id"]: ids[residences["person"].to_numpy()],
        rc["address_id"]: a["address_id"].to_numpy()[addr],
        rc["street"]: a["street"].to_numpy()[addr],
        rc["house_number"]: a["house_number"].to_numpy()[addr],
        rc["house_number_addition"]: a["addition"].to_numpy()[addr],
        rc["postcode"]: spaced[addr],
        rc["city"]: np.full(len(addr), "Groningen"),
        rc["neighbourhood_code"]: wijk_codes[a["wijk"].to_numpy()[addr]],
        rc["start_date"]: to_dates(residences["start"].to_numpy()),
        rc["end_date"]: to_dates(residences["end"].to_numpy()),
    }
    _write_csv(res, folder / formats.RESIDENCES_FILE)
    nc = formats.NEIGHBOURHOODS_COLUMNS
    town.neighbourhoods.rename(columns={"code": nc["neighbourhood_code"],
                                        "name": nc["neighbourhood_name"]})[
        [nc["neighbourhood_code"], nc["neighbourhood_name"]]].to_csv(
        folder / formats.NEIGHBOURHOODS_FILE, index=False, encoding="utf-8")

    canon_persons = pd.DataFrame({"person_id": persons["person_id"].to_numpy(),
                                  "birth_date": birth})
    canon_res = pd.DataFrame({
        "person_id": res[rc["person_id"]],
        "address_id": res[rc["address_id"]],
        "neighbourhood_code": res[rc["neighbourhood_code"]],
        "start_date": res[rc["start_date"]], "end_date": res[rc["end_date"]],
    })
    return canon_persons, canon_res


def exported(rendered: pd.DataFrame, source: Source, window_start: int, window_end: int,
             export_day: int) -> pd.DataFrame:
    """The rows of one source an agency exports on `export_day` for this run."""
    r = rendered[rendered["source"] == source.agency]
    c = r["contact"].to_numpy()
    end = r["end"].to_numpy()
    keep = c <= (window_end if source.window_only else export_day)
    if source.window_only:
        keep &= c >= window_start
    else:  # what was active at some point since `export_from` days before the window
        since = window_start - (source.export_from or EXPORT_LOOKBACK)
        keep &= (c >= since) | ((end != NO_DAY) & (end >= since))
    r = r[keep].copy()
    end = r["end"].to_numpy()
    r["end"] = np.where(end > export_day, NO_DAY, end)  # not known on the export day
    return r.sort_values("contact", kind="stable")


def _file_frame(source: Source, r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The rows as the file holds them: the agency's column names, strings or typed dates."""
    cols = {}
    for canonical, column in source.columns.items():
        if canonical in ("contact_date", "end_date", "birth_date"):
            days = r[{"contact_date": "contact", "end_date": "end",
                      "birth_date": "birth"}[canonical]].to_numpy()
            cols[column] = to_dates(days) if source.typed_dates else _date_strings(
                days, source.date_format)
        elif canonical == "house_number":
            hn = r["house_number"].to_numpy()
            cols[column] = np.where(hn >= 0, hn.astype(str), "").astype(object)
        else:
            cols[column] = r[canonical].to_numpy(dtype=object)
    for column, values in source.extra.items():
        cols[column] = np.array(values, dtype=object)[rng.integers(0, len(values), size=len(r))]
    return pd.DataFrame(cols)


_BAD_DATES = {"%d-%m-%Y": ("31-02-{y}", "onbekend"), "%d/%m/%Y": ("30/02/{y}", "?"),
              "%Y-%m-%d": ("{y}-02-30", "nvt"), "%Y%m%d": ("{y}1301", "0"),
              "%d.%m.%Y": ("31.04.{y}", "-")}


def _with_rejects(source: Source, frame: pd.DataFrame, rng: np.random.Generator,
                  window_start: int) -> tuple[pd.DataFrame, list[str]]:
    """Mix unusable rows into the file; returns the frame and one reason per rejected row
    in file order (the row numbers are recomputed after insertion)."""
    if not source.rejects or len(frame) < 2:
        return frame.assign(_reject=""), []
    rid = source.columns["record_id"]
    cdate = source.columns["contact_date"]
    frame = frame.assign(_key=np.arange(len(frame), dtype=float), _reject="")
    k = max(1, int(round(len(frame) * REJECT_SHARE)))
    extra = []
    year = int(str(to_dates(np.array([window_start]))[0])[:4]) + 1
    for kind in source.rejects:
        for j in range(k):
            base = int(rng.integers(0, len(frame)))
            row = frame.iloc[base].copy()
            if kind == "no_record_id":
                row[rid] = ""
                row["_key"] = rng.integers(0, len(frame)) + 0.5
            elif kind == "duplicate_record_id":
                # Another person's row re-using an earlier number, placed after the original.
                original = int(rng.integers(0, len(frame) - 1))
                row[rid] = frame.iloc[original][rid]
                row["_key"] = rng.integers(original, len(frame)) + 0.5
            else:  # bad_contact_date: a number of its own and a date that is not one
                row[rid] = f"{frame.iloc[base][rid]}-{j + 1}"
                pattern = _BAD_DATES[source.date_format][j % 2]
                row[cdate] = pattern.format(y=year)
                row["_key"] = rng.integers(0, len(frame)) + 0.5
            row["_reject"] = kind
            extra.append(row)
    frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    frame = frame.sort_values("_key", kind="stable").drop(columns="_key").reset_index(drop=True)
    return frame, list(frame["_reject"])


def write_sources(rendered: pd.DataFrame, folder: Path, window_start: int, window_end: int,
                  rng: np.random.Generator) -> Written:
    export_day = window_end + EXPORT_LAG
    usable, truth, rejects = [], [], []
    for source in SOURCES:
        r = exported(rendered, source, window_start, window_end, export_day)
        frame = _file_frame(source, r, rng)
        frame, reasons = _with_rejects(source, frame, rng, window_start)
        bad = np.array([x != "" for x in reasons], dtype=bool) if reasons else np.zeros(
            len(frame), dtype=bool)
        path = folder / source.path
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(source, frame.drop(columns="_reject"), path)
        rejects.append(pd.DataFrame({"file": source.path, "row": np.flatnonzero(bad) + 1,
                                     "reason": np.array(reasons, dtype=object)[bad]
                                     if len(reasons) else []}))
        usable.append(pd.DataFrame({
            "agency": source.agency, "file": source.path, "record_id": r["record_id"].to_numpy(),
            "contact_date": to_dates(r["contact"].to_numpy()),
            "end_date": to_dates(r["end"].to_numpy()) if source.has("end_date")
            else np.full(len(r), np.datetime64("NaT"), dtype="datetime64[D]"),
            "bsn": r["bsn"].to_numpy(), "surname": r["surname"].to_numpy(),
            "birth_date": to_dates(r["birth"].to_numpy()),
        }))
        truth.append(pd.DataFrame({
            "agency": source.agency, "file": source.path, "record_id": r["record_id"].to_numpy(),
            "person_id": r["person_id"].to_numpy(), "why": r["why"].to_numpy(),
            "noise": r["noise"].to_numpy()}))
    return Written(pd.concat(usable, ignore_index=True), pd.concat(truth, ignore_index=True),
                   pd.concat(rejects, ignore_index=True))


def _write(source: Source, frame: pd.DataFrame, path: Path) -> None:
    if source.kind == "csv" or source.kind == "tsv":
        frame.to_csv(path, sep=source.delimiter, encoding=source.encoding, index=False)
    elif source.kind == "xlsx":
        _write_xlsx(frame, path)
    elif source.kind == "parquet":
        arrays = {}
        for column in frame.columns:
            values = frame[column]
            if values.dtype.kind == "M":
                arrays[column] = pa.array(values.to_numpy().astype("datetime64[D]"),
                                          type=pa.date32(), from_pandas=True)
            else:
                arrays[column] = pa.array(values.map(lambda v: None if v == "" else v),
                                          type=pa.string())
        pq.write_table(pa.table(arrays), path)
    else:
        raise ValueError(f"unknown file type {source.path}")


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """Dates as real date cells, as Excel exports from a case system hold them."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    # A fixed creation time: the same seed must give byte-identical files (content hashes).
    book.set_properties({"created": dt.datetime(2004, 1, 1), "author": "data_fixtures"})
    sheet = book.add_worksheet("Dossiers")
    date_cell = book.add_format({"num_format": "dd-mm-yyyy"})
    sheet.write_row(0, 0, list(frame.columns))
    columns = []
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "M":
            columns.append([None if pd.isna(v) else v.to_pydatetime() for v in values])
        else:
            columns.append(values.tolist())
    dates = [frame[c].dtype.kind == "M" for c in frame.columns]
    for i, row in enumerate(zip(*columns), start=1):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            if dates[j]:
                sheet.write_datetime(i, j, v, date_cell)
            else:
                sheet.write_string(i, j, str(v))
    book.close()


def write_manifest(folder: Path, name: str, reference_date: dt.date, window_start: dt.date,
                   window_end: dt.date) -> Path:
    q = json.dumps  # TOML basic strings accept JSON string escapes (\t, \", unicode)
    lines = ["# Synthetic delivery written by data_fixtures (no real persons).",
             "[run]", f"name = {q(name)}", f"reference_date = {q(reference_date.isoformat())}",
             f"window_start = {q(window_start.isoformat())}",
             f"window_end = {q(window_end.isoformat())}", "",
             "[register]", f"persons = {q(formats.PERSONS_FILE)}",
             f"residences = {q(formats.RESIDENCES_FILE)}",
             f"neighbourhoods = {q(formats.NEIGHBOURHOODS_FILE)}", ""]
    for table, mapping in (("persons_columns", formats.PERSONS_COLUMNS),
                           ("residences_columns", formats.RESIDENCES_COLUMNS),
                           ("neighbourhoods_columns", formats.NEIGHBOURHOODS_COLUMNS)):
        lines.append(f"[register.{table}]")
        lines += [f"{k} = {q(v)}" for k, v in mapping.items()]
        lines.append("")
    for s in SOURCES:
        lines += ["[[source]]", f"agency = {q(s.agency)}", f"path = {q(s.path)}"]
        if s.kind in ("csv", "tsv"):
            lines += [f"delimiter = {q(s.delimiter)}", f"encoding = {q(s.encoding)}",
                      f"date_format = {q(s.date_format)}"]
        elif s.kind == "xlsx":
            lines.append('sheet = "Dossiers"')
        mapped = {k: v for k, v in s.columns.items() if k != v}
        if mapped:
            lines.append("[source.columns]")
            lines += [f"{k} = {q(v)}" for k, v in mapped.items()]
        lines.append("")
    path = folder / "delivery.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

