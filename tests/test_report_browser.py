"""The HTML reports in a real browser: every chart draws, nothing is logged as an error and
nothing is fetched from the network. Run with `pytest -m browser`.

Uses the system's Chromium (/usr/bin/chromium) through Playwright; Playwright's own browser
download is never used. Screenshots go to $MPG_SCREENSHOT_DIR (else the test's tmp folder)
for a person to look at.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from mpg.reports.compare import compare
from mpg.reports.publish import publish
from test_publication import small_city_households
from test_reports_support import next_quarter, synthetic_city, write_out

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Every container holds an svg with at least one drawn mark (a bar, a dot, a line).
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('figure.chart')];
  return charts.length > 0 && charts.every(c => {
    const svg = c.querySelector('svg');
    return svg && svg.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] line, '
      + 'g[class*="mark-"] text, g[class*="mark-"] circle').length > 0;
  });
}"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MPG_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_report(browser, path: Path, screenshot: Path) -> dict:
    """Open a report offline; return what the page logged, requested and drew."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
    info = page.evaluate("""() => ({
      charts: document.querySelectorAll('figure.chart').length,
      drawn: [...document.querySelectorAll('figure.chart')].map(
        c => c.querySelectorAll('g[class*="mark-"] > *').length),
      tables: document.querySelectorAll('table').length,
      lang: document.documentElement.lang})""")
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return {**info, "errors": errors, "requests": requests}


def test_report_renders_every_chart(browser, tmp_path: Path, shots: Path):
    hh, families = synthetic_city(seed=5)
    outs = []
    for i, (run, date) in enumerate((("2004Q1", "2004-03-31"), ("2004Q2", "2004-06-30"),
                                     ("2004Q3", "2004-09-30"))):
        if i:
            hh = next_quarter(hh, seed=10 + i)
        outs.append(write_out(tmp_path / run, hh, families, run=run, reference_date=date))
    pub = tmp_path / "pub"
    publish(outs[-1], pub, previous=outs[:-1], images=False)
    result = open_report(browser, pub / "report.html", shots / "report_nl.png")
    assert result["charts"] == 7  # wijken, shares, combinations, types, children, origin, trend
    assert all(n > 0 for n in result["drawn"]), result["drawn"]
    assert result["errors"] == []
    assert result["requests"] == [], "the report fetched something from the network"
    assert result["lang"] == "nl" and result["tables"] >= 8

    compare(outs[-2], outs[-1], pub, lang="en", images=False)
    result = open_report(browser, pub / "compare.html", shots / "compare_en.png")
    assert result["charts"] == 3 and all(n > 0 for n in result["drawn"])
    assert result["errors"] == [] and result["requests"] == []


def test_small_city_report_renders(browser, tmp_path: Path, shots: Path):
    """A city with kept-back cells: grey parts in the bars, fewer shares; still no errors."""
    hh, families = small_city_households()
    out = write_out(tmp_path / "out", hh, families)
    publish(out, tmp_path / "pub", lang="en", images=False)
    result = open_report(browser, tmp_path / "pub" / "report.html", shots / "report_small_en.png")
    assert result["charts"] >= 5 and all(n > 0 for n in result["drawn"])
    assert result["errors"] == [] and result["requests"] == []


def test_report_with_a_fourth_category_renders(browser, tmp_path: Path, shots: Path):
    """A rules file with a category of its own (SIGNALS): its bars and its column draw."""
    from conftest import run_delivery
    from test_publication_categories import SIGNALS, signals_delivery
    from test_rules_registry import rules_file

    out = tmp_path / "runs" / "out"
    run_delivery(signals_delivery(tmp_path / "delivery"), out,
                 rules_path=rules_file(tmp_path, SIGNALS))
    publish(out, tmp_path / "pub", images=False)
    result = open_report(browser, tmp_path / "pub" / "report.html", shots / "report_signals.png")
    assert result["charts"] >= 4 and all(n > 0 for n in result["drawn"])
    assert result["errors"] == [] and result["requests"] == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_report_with_the_estimate_renders(browser, tmp_path: Path, shots: Path, lang: str):
    """A run with the prevalence estimate: the chart of counted against estimated, with its
    intervals, draws (bars and interval lines) without an error."""
    from test_publication_estimate import PLAIN_TABLE, counted

    out = counted(tmp_path, PLAIN_TABLE)
    publish(out, tmp_path / "pub", lang=lang, images=False)
    result = open_report(browser, tmp_path / "pub" / "report.html",
                         shots / f"report_estimate_{lang}.png")
    assert all(n > 0 for n in result["drawn"]) and result["lang"] == lang
    assert result["errors"] == [] and result["requests"] == []
    page = browser.new_page()
    page.goto((tmp_path / "pub" / "report.html").as_uri())
    page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
    marks = page.evaluate("""() => {
      const svg = document.querySelector('#chart-estimate svg');
      return svg ? {bars: svg.querySelectorAll('g.mark-rect.role-mark path').length,
                    rules: svg.querySelectorAll('g.mark-rule.role-mark line').length} : null;
    }""")
    page.close()
    assert marks == {"bars": 2, "rules": 3}, marks  # linkage range, 95% and 80% interval
