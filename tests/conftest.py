"""Shared fixtures and helpers: build a delivery, run the pipeline, read what it wrote."""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from builder import Delivery  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# The CLI's consoles are made when mpg.cli is first imported, and Rich reads the width then:
# wide in every test process (xdist workers too), so the tests that read a table find a
# row on one line.
os.environ["COLUMNS"] = "200"
TEST_KEY = b"test-key-not-secret-0001"


def example_dir() -> Path | None:
    """The worked example of the contract (read-only): ../shared beside the repo (as in CI),
    or /work/shared on a developer's machine; None when neither is there."""
    for candidate in (REPO.parent / "shared" / "spec" / "example",
                      Path("/work/shared/spec/example")):
        if (candidate / "delivery" / "delivery.toml").is_file():
            return candidate
    return None


def find_example() -> Path:
    """The worked example, or skip the test that needs it."""
    example = example_dir()
    if example is None:
        pytest.skip("the worked example (../shared/spec/example) is not available")
    return example


@functools.lru_cache(maxsize=1)
def accepting_rules() -> Path:
    """The default rules, except that no share of rejected rows stops a run: for deliveries
    built to hold mostly unusable rows, whose rejects the test itself checks."""
    from mpg.pipeline.config import DEFAULT_RULES

    folder = Path(tempfile.mkdtemp(prefix="mpg-test-rules-"))
    path = folder / "rules-accepting-rejects.toml"
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("max_reject_share = 0.5",
                                                              "max_reject_share = 1.0")
    assert "max_reject_share = 1.0" in text
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def delivery(tmp_path: Path) -> Delivery:
    return Delivery(tmp_path / "delivery")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    # OUT lives in its own parent folder so a test can check that nothing else appears there.
    (tmp_path / "runs").mkdir()
    return tmp_path / "runs" / "out"


def run_pipeline(manifest: Path, out: Path, **kwargs: Any):
    """`pipeline.run` with the test key (imported late: the pipeline may still be missing)."""
    from mpg.pipeline import run

    kwargs.setdefault("pseudonym_key", TEST_KEY)
    return run(manifest, out, **kwargs)


def run_delivery(d: Delivery, out: Path, **kwargs: Any) -> dict[str, Any]:
    """Write `d`, run it, check summary.json against RunResult.summary; return the summary."""
    manifest = d.write()
    result = run_pipeline(manifest, out, **kwargs)
    on_disk = read_summary(out)
    assert Path(result.out_dir).resolve() == out.resolve()
    assert result.summary == on_disk, "RunResult.summary differs from OUT/summary.json"
    return on_disk


# --------------------------------------------------------------------- reading OUT
def read_summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_neighbourhoods(out: Path) -> list[dict[str, str]]:
    return read_csv(out / "neighbourhoods.csv")


def read_rejects(out: Path) -> list[dict[str, str]]:
    return read_csv(out / "rejects.csv")


def read_links(out: Path):
    import pandas as pd

    return pd.read_parquet(out / "links.parquet")


def neighbourhood_table(out: Path) -> dict[str, dict[str, Any]]:
    """neighbourhoods.csv keyed by code, counts as int and shares as float."""
    table = {}
    for row in read_neighbourhoods(out):
        conv: dict[str, Any] = {"neighbourhood_name": row["neighbourhood_name"]}
        for k in ("family_households", "bib", "multi_agency", "zorgnetwerk", "mpg_total"):
            conv[k] = int(row[k])
        for k in ("share_of_family_households", "share_of_mpg"):
            conv[k] = float(row[k])
        table[row["neighbourhood_code"]] = conv
    return table


# --------------------------------------------------------------------- expectations
def expected_summary(d: Delivery, *, family_households: int, bib: int = 0,
                     multi_agency: int = 0, zorgnetwerk: int = 0,
                     zorgnetwerk_identified: int = 0, bib_without_children: int = 0,
                     single_parent: int = 0, two_adults: int = 0, more_adults: int = 0,
                     children_per_household: dict[str, int] | None = None,
                     agency_combinations: dict[str, int] | None = None,
                     bijstand_households: int = 0, anonymous_zorgnetwerk: int = 0,
                     unlinked_records: int = 0, no_family_household: int = 0,
                     outside_window: int = 0, rejects: int = 0) -> dict[str, Any]:
    """The whole summary.json (outputs.md) a run of `d` must write; zero unless given."""
    per_household = dict(children_per_household or {})
    return {
        "run": d.run["name"],
        "reference_date": d.run["reference_date"],
        "window": [d.run["window_start"], d.run["window_end"]],
        "family_households": family_households,
        "mpg_total": bib + multi_agency + zorgnetwerk,
        "by_category": {"BIB": bib, "MULTI_AGENCY": multi_agency, "ZORGNETWERK": zorgnetwerk},
        "zorgnetwerk_identified": zorgnetwerk_identified,
        "bib_without_children": bib_without_children,
        "household_types": {"single_parent": single_parent, "two_adults": two_adults,
                            "more_adults": more_adults},
        "children": {"total": sum(int(k) * v for k, v in per_household.items()),
                     "per_household": per_household},
        "agency_combinations": dict(agency_combinations or {}),
        "bijstand_households": bijstand_households,
        "not_counted": {"anonymous_zorgnetwerk": anonymous_zorgnetwerk,
                        "unlinked_records": unlinked_records,
                        "no_family_household": no_family_household,
                        "outside_window": outside_window},
        "rejects": rejects,
    }


def comparable(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """`actual` restricted to the keys of `expected` (outputs.md: keys may be added, never
    renamed), with zero-valued entries of the open-ended maps (children.per_household,
    agency_combinations) dropped: a key with count 0 says the same as no key."""
    out: dict[str, Any] = {}
    for k in expected:
        if k not in actual:
            out[k] = "<missing>"
            continue
        v = actual[k]
        if k == "agency_combinations" and isinstance(v, dict):
            v = {a: n for a, n in v.items() if n != 0}
        if k == "children" and isinstance(v, dict) and isinstance(v.get("per_household"), dict):
            v = {**{x: v[x] for x in expected[k] if x in v},
                 "per_household": {a: n for a, n in v["per_household"].items() if n != 0}}
        out[k] = v
    return out


def assert_summary(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert comparable(actual, expected) == expected


# --------------------------------------------------------------------- file system state
def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the sha256 of its bytes (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "<dir>" for p in sorted(folder.rglob("*"))}


def assert_no_identifying_data(text: str, d: Delivery) -> None:
    leaked = [v for v in d.all_identifying_values()
              if re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text)]
    assert not leaked, f"identifying values in a message: {leaked}\n{text}"


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPG_PSEUDONYM_KEY", raising=False)


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPG_PSEUDONYM_KEY", TEST_KEY.decode())


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPG_PSEUDONYM_KEY"}
    env.update(extra)
    return env
