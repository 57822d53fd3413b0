"""Any manifest, no traceback (delivery.md "Manifest"; outputs.md exit codes).

Hypothesis breaks a valid `delivery.toml` in every way a person editing it could: keys
missing, unknown, misspelt or of the wrong TOML type (text, numbers, dates, times, arrays,
tables), reversed windows, unknown agencies and fields, odd paths, odd delimiters, encodings
and date formats, and text-level damage (truncation, stray characters). Every case must end
in a loaded delivery or a ConfigError / DeliveryError with a message; through the CLI in
exit 0 or 1 with `error:` and never `unexpected error` or a traceback.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_fuzz_readers import DERANDOMIZE, small_register, toml_string, validate

FUZZ = settings(max_examples=int(os.environ.get("MPG_FUZZ_EXAMPLES", "10")), deadline=None,
                derandomize=DERANDOMIZE, database=None,
                suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ TOML of any value
def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_string(str(k))} = {toml_value(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_document(data: dict[str, Any]) -> str:
    """Top-level keys as `key = value` lines, tables inline: any data, valid TOML."""
    return "".join(f"{toml_string(str(k))} = {toml_value(v)}\n" for k, v in data.items())


SCALARS = st.one_of(
    st.text(max_size=12), st.sampled_from(["", " ", "2003-09-01", "01-09-2003", "MJD", "mjd",
                                           "utf-8", ";", "%d-%m-%Y", "m.csv"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(), st.booleans(),
    st.dates(), st.datetimes(), st.times())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)

PATHS = st.sampled_from([
    "", ".", "..", "m.csv", "M.CSV", "m.csv/", "./m.csv", "gba/personen.csv", "gba",
    "nergens.csv", "m.xlsx", "m.parquet", "m", "ü/ß.csv", "m\u0000.csv", "x" * 300 + ".csv",
    "/", "gba/../m.csv", " m.csv", "m.csv ", "\\m.csv", "*.csv"])
FIELD_NAMES = st.sampled_from([
    "record_id", "contact_date", "surname", "end_date", "birth_date", "bsn", "person_id",
    "Surname", "unknown", "", "neighbourhood_code", "start_date", "address_id"])


def valid_manifest() -> dict[str, Any]:
    return {
        "run": {"name": "2004Q2", "reference_date": dt.date(2003, 9, 1),
                "window_start": dt.date(2003, 1, 1), "window_end": dt.date(2004, 6, 30)},
        "register": {"persons": "gba/personen.csv", "residences": "gba/verblijfplaatsen.csv",
                     "neighbourhoods": "gba/wijken.csv",
                     "persons_columns": {}},
        "source": [{"agency": "MJD", "path": "m.csv", "delimiter": ";",
                    "encoding": "utf-8", "date_format": "%d-%m-%Y",
                    "columns": {"record_id": "Nr", "contact_date": "Datum"}},
                   {"agency": "OGGZ", "path": "o.csv"}],
    }


# Where in the manifest a mutation can land: (path of keys/indexes).
LOCATIONS = [
    (), ("run",), ("run", "name"), ("run", "reference_date"), ("run", "window_start"),
    ("run", "window_end"), ("register",), ("register", "persons"), ("register", "residences"),
    ("register", "neighbourhoods"), ("register", "persons_columns"),
    ("register", "persons_columns", "person_id"), ("register", "residences_columns"),
    ("source",), ("source", 0), ("source", 0, "agency"), ("source", 0, "path"),
    ("source", 0, "delimiter"), ("source", 0, "encoding"), ("source", 0, "date_format"),
    ("source", 0, "sheet"), ("source", 0, "columns"), ("source", 0, "columns", "record_id"),
    ("source", 0, "columns", "surname"), ("source", 1), ("source", 1, "path"),
]


def _node(data: Any, location: tuple) -> Any:
    """The value at `location`, or None when the path is not there (any more)."""
    node = data
    for step in location:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node


def _parent(data: Any, location: tuple) -> tuple[Any, Any] | None:
    node = _node(data, location[:-1])
    return None if node is None else (node, location[-1])


@st.composite
def mutation(draw):
    kind = draw(st.sampled_from(["delete", "set", "set", "add_key", "path", "field",
                                 "setting", "window", "agency", "source_as_table"]))
    location = draw(st.sampled_from(LOCATIONS))
    if kind == "set":
        return kind, location, draw(VALUES)
    if kind == "add_key":
        return kind, location, draw(st.text(max_size=10))
    if kind == "path":
        return kind, draw(st.sampled_from([("source", 0, "path"), ("source", 1, "path"),
                                           ("register", "persons"),
                                           ("register", "neighbourhoods")])), draw(PATHS)
    if kind == "field":
        section = draw(st.sampled_from([("source", 0, "columns"),
                                        ("register", "persons_columns"),
                                        ("register", "residences_columns")]))
        return kind, section, (draw(FIELD_NAMES), draw(st.text(max_size=8)))
    if kind == "setting":
        key = draw(st.sampled_from(["delimiter", "encoding", "date_format", "sheet"]))
        value = draw(st.one_of(st.sampled_from({
            "delimiter": ["", ";;", "\t", "\n", '"', "\u20ac", "|", " ", ",", "\u0000"],
            "encoding": ["", "utf8", "UTF-8", "latin-1", "cp1252", "rot13", "hex", "utf-16",
                         "undefined", "bogus", "utf-32-be", "idna"],
            "date_format": ["", "%", "%d", "%d-%m-%Y", "%Y%m%d", "%e", "%s", "%Q", "dd-mm-yyyy",
                            "%d-%m-%Y %", "%-d-%-m-%Y", "%y", "%%"],
            "sheet": ["", "Blad1", "Sheet"]}[key]), st.text(max_size=6)))
        return kind, ("source", 0, key), value
    if kind == "window":
        a, b = draw(st.dates()), draw(st.dates())
        return kind, ("run",), (a, b)
    if kind == "agency":
        return kind, ("source", 0, "agency"), draw(st.one_of(
            st.sampled_from(["mjd", "MJD ", "JEUGDZORG", "REGISTER_PERSONS", "BIJSTAND", ""]),
            st.text(max_size=6)))
    return kind, ("source",), None


def apply(data: dict[str, Any], m: tuple) -> None:
    kind, location, value = m
    if kind == "source_as_table":
        if isinstance(data.get("source"), list) and data["source"]:
            data["source"] = data["source"][0]
        return
    if kind == "window":
        run = data.get("run")
        if isinstance(run, dict):
            run["window_start"], run["window_end"] = value
        return
    if kind in ("field", "add_key"):
        node = _node(data, location)
        if node is None and kind == "field":  # a mapping the manifest left out
            found = _parent(data, location)
            if found is not None and isinstance(found[0], dict):
                node = found[0].setdefault(found[1], {})
        if isinstance(node, dict):
            if kind == "field":
                node[value[0]] = value[1]
            else:
                node[value] = "x"
        return
    if not location:
        return
    found = _parent(data, location)
    if found is None:
        return
    node, key = found
    if kind == "delete":
        if isinstance(node, dict):
            node.pop(key, None)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node.pop(key)
        return
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list) and isinstance(key, int) and key < len(node):
        node[key] = value


def write_delivery(root: Path) -> Path:
    d = small_register(root)
    (root / "m.csv").write_text("Nr;Datum;surname\n1;01-02-2003;Jansen\n2;31-02-2003;Jansen\n",
                                encoding="utf-8")
    (root / "o.csv").write_text("record_id,contact_date\nO1,2003-04-05\n", encoding="utf-8")
    return d.root / "delivery.toml"


def assert_outcome(manifest: Path) -> None:
    """A loaded delivery (every file's rows accounted for) or an error with a message."""
    outcome = validate(manifest)
    if outcome.error is not None:
        message = str(outcome.error)
        assert message.strip(), "an error without a message"
        assert "Traceback" not in message
        return
    for f in outcome.files:
        if f["duplicate_of"] is None:
            assert f["rows_in"] == f["rows_loaded"] + f["rows_rejected"], f


def write_mutated_delivery(folder: Path, mutations) -> Path:
    """A valid delivery in `folder` whose manifest carries `mutations`; its path."""
    manifest = write_delivery(folder / "delivery")
    data = valid_manifest()
    for m in mutations:
        apply(data, m)
    manifest.write_text(toml_document(data), encoding="utf-8")
    return manifest


@FUZZ
@given(mutations=st.lists(mutation(), min_size=1, max_size=3))
def test_any_broken_manifest_is_a_config_or_delivery_error(mutations):
    with tempfile.TemporaryDirectory() as tmp:
        assert_outcome(write_mutated_delivery(Path(tmp), mutations))


@FUZZ
@given(data=st.data())
def test_damaged_manifest_text_is_a_config_error(data):
    """Truncated, with stray characters, a line doubled: invalid TOML is a ConfigError."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_delivery(Path(tmp) / "delivery")
        text = toml_document(valid_manifest())
        how = data.draw(st.sampled_from(["truncate", "insert", "double", "delete"]))
        at = data.draw(st.integers(0, len(text)))
        if how == "truncate":
            text = text[:at]
        elif how == "insert":
            text = text[:at] + data.draw(st.text(min_size=1, max_size=3)) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 5)):]
        else:
            lines = text.splitlines(keepends=True)
            i = data.draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "".join(lines)
        manifest.write_text(text, encoding="utf-8")
        assert_outcome(manifest)


def test_the_valid_manifest_loads(tmp_path: Path):
    """The base of the mutations is valid: a mutation, not the base, makes the errors."""
    manifest = write_delivery(tmp_path / "delivery")
    manifest.write_text(toml_document(valid_manifest()), encoding="utf-8")
    outcome = validate(manifest)
    assert outcome.error is None, outcome.error
    by_file = {f["file"]: (f["rows_in"], f["rows_loaded"], f["rows_rejected"])
               for f in outcome.files}
    assert by_file["m.csv"] == (2, 1, 1) and by_file["o.csv"] == (1, 1, 0)


@pytest.mark.parametrize("content", [
    pytest.param(None, id="missing"),
    pytest.param("DIR", id="a directory"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\x00\x01 = 2\n", id="control characters"),
    pytest.param(bytes(range(256)), id="binary"),
    pytest.param('[run]\nname = "Gemeente Sneek \xe9\xe9n"\n'.encode("cp1252"), id="not utf-8"),
    pytest.param('[run]\nname = "x"\n'.encode("utf-16"), id="utf-16"),
    pytest.param(b'{"run": {"name": "x"}}', id="json"),
    pytest.param(b'name = "x"\n', id="no tables"),
])
def test_unreadable_manifest_file_is_a_config_error(content, tmp_path: Path):
    from mpg.pipeline.errors import ConfigError

    write_delivery(tmp_path / "delivery")
    manifest = tmp_path / "delivery" / "delivery.toml"
    if content == "DIR":
        manifest.mkdir()
    elif content is not None:
        manifest.write_bytes(content)
    outcome = validate(manifest)
    assert isinstance(outcome.error, ConfigError), outcome
    assert "delivery.toml" in str(outcome.error)


# ------------------------------------------------------------------ through the CLI
CLI_CASES = {
    "window reversed": lambda m: m["run"].update(window_start=dt.date(2005, 1, 1)),
    "unknown agency": lambda m: m["source"][0].update(agency="POLITIE"),
    "unknown field": lambda m: m["source"][0]["columns"].update(naam="Naam"),
    "date as text": lambda m: m["run"].update(reference_date="1 september 2003"),
    "delimiter too long": lambda m: m["source"][0].update(delimiter=";;"),
    "encoding unknown": lambda m: m["source"][0].update(encoding="klingon"),
    "encoding not text": lambda m: m["source"][0].update(encoding="rot13"),
    "date format unusable": lambda m: m["source"][0].update(date_format="%d-%m-%Y %e"),
    "source missing": lambda m: m["source"][1].update(path="nergens.csv"),
    "register missing": lambda m: m.pop("register"),
    "source is a table": lambda m: m.update(source=m["source"][0]),
    "path with NUL": lambda m: m["source"][1].update(path="o\u0000.csv"),
    "path too long": lambda m: m["source"][1].update(path="o" * 300 + ".csv"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_bad_manifest_exits_1_with_a_message(case, command, tmp_path: Path):
    from typer.testing import CliRunner

    from mpg.cli import app

    manifest = write_delivery(tmp_path / "delivery")
    data = valid_manifest()
    CLI_CASES[case](data)
    manifest.write_text(toml_document(data), encoding="utf-8")
    out = tmp_path / "runs" / "out"
    args = [command, str(manifest)] + (["--out", str(out)] if command == "run" else [])
    result = CliRunner().invoke(app, args, env={"MPG_PSEUDONYM_KEY": "k" * 32,
                                                "MPG_DEBUG": ""})
    output = result.output  # stdout and stderr, as the user sees them
    assert result.exit_code == 1, (result.exit_code, output)
    assert "error:" in output, output
    assert "unexpected error" not in output, output
    assert "Traceback" not in output
    assert not out.exists()
    assert not list((tmp_path / "runs").glob(".*")) if (tmp_path / "runs").exists() else True


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 1))
@given(mutations=st.lists(mutation(), min_size=1, max_size=3))
def test_cli_validate_any_broken_manifest_exits_0_or_1_without_a_traceback(mutations):
    from typer.testing import CliRunner

    from mpg.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_mutated_delivery(Path(tmp), mutations)
        result = CliRunner().invoke(app, ["validate", str(manifest)],
                                    env={"MPG_DEBUG": None, "COLUMNS": "200"})
        assert result.exit_code in (0, 1), (result.exit_code, result.output)
        assert "unexpected error" not in result.output, result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 1:
            assert "error:" in result.output
