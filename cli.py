"""The `mpg` command. Holds no logic: each command calls a library function.

Errors are the project's own exception types, caught once here (`_guard`) and turned into a
message and an exit code from `ExitCode`.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape

from mpg.pipeline.errors import ExitCode, MpgError

app = typer.Typer(help="Count multi-problem families (multiprobleemgezinnen) in a delivery of "
                       "agency files linked to the population register.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
errors = Console(stderr=True)
# What an unexpected failure leaves behind, by command: only a run writes OUT.
AFTER_RUN = "Nothing was written to OUT; earlier results are intact."
AFTER_OTHER = "Nothing was changed."


def _interrupt_types() -> tuple[type[BaseException], ...]:
    """Ctrl-C reaches Python as KeyboardInterrupt, or, while DuckDB runs a query, as DuckDB's
    own InterruptException (an Exception: it must not pass for an unexpected error)."""
    import duckdb
    return (KeyboardInterrupt, duckdb.InterruptException)


@contextmanager
def _guard(after: str = AFTER_OTHER) -> Iterator[None]:
    try:
        yield
    except MpgError as exc:
        errors.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except (typer.Exit, typer.Abort):
        raise
    except _interrupt_types():
        errors.print(f"[yellow]interrupted.[/] {after}", highlight=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a message
        # The exception text may quote data from the delivery, so only its kind is shown.
        if os.environ.get("MPG_DEBUG"):
            raise
        errors.print(f"[red]unexpected error ({type(exc).__name__}).[/] {after} "
                     "Set MPG_DEBUG=1 to see the details.", highlight=False)
        raise typer.Exit(int(ExitCode.DELIVERY_PROBLEM)) from None


def _version(value: bool) -> None:
    if value:
        from mpg import __version__
        console.print(f"mpg {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version,
                                               is_eager=True, metavar="",
                                               help="Show the version and exit.")) -> None:
    """Count multi-problem families (multiprobleemgezinnen) in a delivery of agency files
    linked to the population register."""


def flag(name: str, help: str) -> bool:
    """An on/off option shown as a plain flag (no <bool> argument in the help)."""
    return typer.Option(False, name, help=help, metavar="")


MANIFEST = typer.Argument(..., help="The delivery's manifest, DELIVERY/delivery.toml.")
RULES = typer.Option(None, "--rules", help="A rules TOML instead of the default rule set.")
LINKAGE = typer.Option(None, "--linkage", help="Linkage settings TOML instead of the default.")
# Where `mpg review import` keeps an analyst's clerical decisions unless told otherwise.
# A run obeys decisions only when given them with --reviews: never a hidden input.
REVIEW_STORE = Path.home() / ".mpg" / "identifying_reviews.duckdb"
REVIEWS = typer.Option(None, "--reviews", help="Clerical-review decisions to obey (a store "
                       "written by `mpg review import`); recorded in run.json.")
KEY_FILE = typer.Option(None, "--key-file", help="File with the pseudonym key (else "
                        "$MPG_PSEUDONYM_KEY).")


@app.command()
def run(manifest: Path = MANIFEST,
        out: Path = typer.Option(..., "--out", help="Folder for the results; replaced only "
                                 "when the run succeeds."),
        rules: Optional[Path] = RULES, linkage: Optional[Path] = LINKAGE,
        key_file: Optional[Path] = KEY_FILE,
        demo: bool = flag("--demo", "Synthetic data: use the demo pseudonym key when no key "
                          "is set."),
        keep_identifying: bool = flag("--keep-identifying", "Keep the identifying database "
                                      "(names, BSNs) in OUT for an analyst's review. Delete it "
                                      "after the review."),
        publish: Optional[Path] = typer.Option(None, "--publish", help="Also write the "
                                               "workbook and report for policy staff here."),
        lang: str = typer.Option("nl", "--lang", help="Language of the publication: nl or en."),
        reviews: Optional[Path] = REVIEWS,
        memory_limit: str = typer.Option("6GB", "--memory-limit", help="Memory DuckDB may use "
                                         "before it spills to disk.")) -> None:
    """Count the multi-problem families of one quarterly delivery and write OUT."""
    with _guard(AFTER_RUN):
        from mpg.pipeline import Engine, run as run_pipeline

        result = run_pipeline(manifest, out, rules_path=rules, linkage_path=linkage,
                              key_file=key_file, demo=demo, keep_identifying=keep_identifying,
                              progress=True, engine=Engine(memory_limit=memory_limit),
                              review_db=reviews)
        _report_run(result, keep_identifying)
    if publish is not None:
        with _guard():
            _publish(result.out_dir, publish, lang, ())


def _report_run(result, keep_identifying: bool = False) -> None:
    """The count, then what the bureau must not miss: warnings in yellow, at the end."""
    from mpg.pipeline.api import IDENTIFYING_DB
    from mpg.reports.console import summary_table

    console.print(summary_table(result.summary))
    console.print(f"Results in {escape(str(result.out_dir))} ({result.seconds:.1f} s)")
    for warning in result.warnings:
        errors.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False,
                     soft_wrap=True)
    if keep_identifying:
        errors.print(f"[bold yellow]reminder:[/] {escape(str(result.out_dir / IDENTIFYING_DB))} "
                     "holds names, BSNs and birth dates. Delete it when the review is done.",
                     highlight=False, soft_wrap=True)


@app.command()
def validate(manifest: Path = MANIFEST, rules: Optional[Path] = RULES) -> None:
    """Read and check every file of a delivery without writing anything: rows, rejects and
    date range per file. Exits 1 where a run would stop."""
    with _guard():
        from mpg.pipeline import validate_delivery
        from mpg.reports.console import sources_table

        console.print(sources_table(validate_delivery(manifest, rules_path=rules)))


@app.command()
def demo(folder: Path = typer.Option(Path("mpg-demo"), "--out", help="Folder for the "
                                     "synthetic city, its results and publication."),
         persons: int = typer.Option(60_000, "--persons", help="Inhabitants of the city."),
         difficulty: str = typer.Option("easy", "--difficulty", help="Naming noise: easy or hard."),
         quarters: int = typer.Option(1, "--quarters", help="Consecutive quarters to count."),
         lang: str = typer.Option("nl", "--lang", help="Language of the publication: nl or en."),
         seed: int = typer.Option(2004, "--seed", help="Seed of the synthetic city.")) -> None:
    """Build a synthetic city (no real data), count its multi-problem families and publish
    the workbook and report, as a quarterly run would."""
    with _guard(AFTER_RUN):
        from mpg.data_fixtures import make_quarters
        from mpg.pipeline import run as run_pipeline
        from mpg.reports.console import demo_estimate_table

        with errors.status(f"Building a synthetic city of {persons:,} persons "
                           f"({quarters} quarter{'s' if quarters > 1 else ''}) ..."):
            cities = make_quarters(folder / "cities", n_quarters=quarters, n_persons=persons,
                                   difficulty=difficulty, seed=seed)
        outs: list[Path] = []
        for city in cities:
            out = folder / "out" / city.truth["run"]
            result = run_pipeline(city.manifest_path, out, demo=True, progress=True)
            _report_run(result)
            console.print(f"True count of the synthetic city: {city.truth['mpg_total']}; "
                          f"counted: {result.summary['mpg_total']}")
            console.print(demo_estimate_table(result.summary.get("estimate"),
                                              city.truth["prevalence"]["total"]))
            _publish(out, folder / "publish" / city.truth["run"], lang, tuple(outs))
            if outs:
                _compare(outs[-1], out, folder / "publish" / city.truth["run"], lang)
            outs.append(out)


@app.command()
def estimate(out: Optional[Path] = typer.Argument(None, help="A run's OUT folder: estimate "
                                                  "again from its run.duckdb and put the "
                                                  "result into its summary.json."),
             table: Optional[Path] = typer.Option(None, "--table", help="A CSV of counts: "
                                                  "one 0/1 column per list and a count column."),
             as_json: bool = flag("--json", "Print the estimate as JSON (the keys of "
                                  "summary.json's estimate)."),
             criterion: Optional[str] = typer.Option(None, "--criterion", help="Model choice: "
                                                     "auto, AIC, BIC or p-value (default: the "
                                                     "rules' [estimate])."),
             bootstrap: Optional[int] = typer.Option(None, "--bootstrap", help="Bootstrap "
                                                     "replicates (0: no intervals)."),
             seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the bootstrap."),
             rules: Optional[Path] = RULES) -> None:
    """How many multi-problem families are there really: the multiple-systems estimate of
    a table of list counts (--table) or of a run's capture lists (OUT)."""
    with _guard():
        import json

        from mpg.pipeline import estimate as prevalence
        from mpg.pipeline.config import load_rules
        from mpg.pipeline.errors import UsageError
        from mpg.pipeline.mse import EstimateError
        from mpg.reports.console import estimate_table

        if (out is None) == (table is None):
            raise UsageError("give a run's OUT folder or --table COUNTS.csv (one of the two)")
        options = {"criterion": criterion, "bootstrap": bootstrap, "seed": seed}
        loaded = load_rules(rules)
        if table is not None:
            section = prevalence.estimate_csv(table, loaded.estimate, **options)
        else:
            section = prevalence.reestimate(out, loaded, **options)
        if as_json:
            typer.echo(json.dumps(section, indent=2, ensure_ascii=False))
        else:
            console.print(estimate_table(section))
        if out is not None and not as_json:
            console.print(f"The estimate in {out / 'summary.json'} is replaced.")
        if "error" in section:
            raise EstimateError(section["error"])


def _publish(out: Path, pub: Path, lang: str, previous: tuple[Path, ...]) -> None:
    from mpg.reports.publish import publish

    written = publish(out, pub, lang=lang, previous=previous)
    console.print(f"Publication (safe to share) in {escape(str(pub))}: {len(written)} files")


def _compare(previous: Path, now: Path, pub: Path, lang: str) -> None:
    from mpg.reports.compare import compare

    compare(previous, now, pub, lang=lang)
    console.print(f"Quarter-over-quarter comparison in {escape(str(pub))}")


@app.command()
def report(out: Path = typer.Argument(..., help="The OUT folder of a run."),
           publish: Path = typer.Option(..., "--publish", help="Folder for the workbook, report "
                                        "and charts (safe to share)."),
           previous: list[Path] = typer.Option([], "--previous", help="OUT folders of earlier "
                                               "quarters, oldest first, for the trend."),
           lang: str = typer.Option("nl", "--lang", help="nl or en.")) -> None:
    """Write the neighbourhood workbook, the HTML report and charts for policy staff, with
    small counts suppressed."""
    with _guard():
        _publish(out, publish, lang, tuple(previous))


@app.command()
def compare(previous: Path = typer.Argument(..., help="OUT folder of the earlier quarter."),
            now: Path = typer.Argument(..., help="OUT folder of this quarter."),
            publish: Path = typer.Option(..., "--publish", help="Folder for the comparison."),
            lang: str = typer.Option("nl", "--lang", help="nl or en.")) -> None:
    """Compare two quarters: change per neighbourhood and category, and families that came
    in, left or stayed (by pseudonymous household key)."""
    with _guard():
        _compare(previous, now, publish, lang)


@app.command()
def tune(manifest: Path = MANIFEST,
         out: Path = typer.Option(..., "--out", help="Folder for the analyst's tuning files."),
         rules: Optional[Path] = RULES, linkage: Optional[Path] = LINKAGE,
         reviews: Optional[Path] = REVIEWS) -> None:
    """For analysts: match weights, m/u table, how the count depends on the linkage
    threshold, and the pairs nearest the threshold for clerical review (identifying)."""
    with _guard():
        from mpg.linkage.tune import tune as run_tune

        result = run_tune(manifest, out, linkage_path=linkage, rules_path=rules,
                          review_db=reviews, console=errors)
        console.print(f"Tuning files in {escape(str(out))}:")
        for name in ("match_weights_chart", "m_u_table", "threshold_curve", "threshold_chart",
                     "clerical_review"):
            console.print(f"  {escape(str(getattr(result, name)))}")


review = typer.Typer(help="Clerical review of links: store an analyst's decisions.",
                     no_args_is_help=True)
app.add_typer(review, name="review")


@review.command("import")
def review_import(reviewed: Path = typer.Argument(..., help="The clerical-review CSV with a "
                                                  "filled-in decision column."),
                  store: Path = typer.Option(REVIEW_STORE, "--store", help="Where decisions are kept; later "
                                             "runs read it with --reviews.")) -> None:
    """Store an analyst's match / non-match decisions so later runs obey them."""
    with _guard():
        from mpg.linkage.review import import_reviews

        counts = import_reviews(reviewed, store)
        console.print(f"{counts.get('match', 0)} match and {counts.get('non_match', 0)} "
                      f"non-match decisions stored in {escape(str(store))} "
                      f"({counts.get('skipped', 0)} rows without a decision skipped)")


@app.command()
def key(new: Path = typer.Option(..., "--new", help="Write a new random pseudonym key to this "
                                 "file (readable by you only).")) -> None:
    """Make a new pseudonym key. Keep it secret and keep it: the same key gives the same
    pseudonyms every quarter."""
    with _guard():
        from mpg.pipeline.keys import write_new_key

        path = write_new_key(new)
        console.print(f"New pseudonym key in {escape(str(path))} (readable by you only). Use "
                      "it with --key-file or MPG_PSEUDONYM_KEY_FILE, and keep a safe copy.")


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":
    sys.exit(main())
