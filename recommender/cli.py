"""The ``recommender`` command: argparse subcommands over the library.

Data goes to stdout, diagnostics to stderr. Exit codes: 0 success, 1 bad data
or index, 2 usage. No traceback reaches the user for an expected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ._version import __version__
from .corpus import CorpusWarning as RecommenderWarning
from .errors import ConfigError, RecommenderError

__all__ = ["main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """argparse wanted to exit with a usage error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would call sys.exit
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _k_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, "
                                         f"got {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"cut-offs must be at least 1, got {text!r}")
    return values


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="recommender",
                     description="Related-articles lists from a TF-IDF index.")
    parser.add_argument("--version", action="version", version=f"recommender {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    build = commands.add_parser("build", help="index articles from JSON Lines files",
                                description="Index articles and save the index to --out. "
                                "Settings come from --config (TOML), then from the flags.")
    build.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="JSON Lines (.jsonl, .jsonl.gz), WordPress export (.xml), CSV, "
                       "or a folder of Markdown files")
    build.add_argument("--format", choices=["jsonl", "wxr", "csv", "markdown"], default=None,
                       help="read every INPUT in this format (default: by extension)")
    build.add_argument("--out", required=True, metavar="DIR", help="index directory to write")
    build.add_argument("--config", metavar="FILE", help="settings file (TOML)")
    build.add_argument("--stemmer", choices=["none", "snowball"], default=None,
                       help="stem words (snowball needs PyStemmer)")
    build.add_argument("--min-score", type=_score, default=None, metavar="S",
                       help="relevance floor for listed articles, 0 to 1")
    build.add_argument("--max-per-author", type=_positive_int, default=None, metavar="N",
                       help="at most N articles by one author per list")
    build.add_argument("--no-author-cap", action="store_true", help="no per-author cap")
    build.add_argument("--author-bonus", type=_score, default=None, metavar="B",
                       help="added to the score of an article by the same author(s), times "
                            "how alike that author's pieces are (0 to 1; 0: off)")
    build.add_argument("--mmr-lambda", type=_score, default=None, metavar="L",
                       help="diversity: 1 = relevance only, lower = more varied")
    build.add_argument("--duplicate-threshold", type=_score, default=None, metavar="S",
                       help="similarity from which an article counts as a near-duplicate")
    build.add_argument("--half-life-days", type=float, default=None, metavar="D",
                       help="soft time decay: halve scores of articles D days older")
    _add_filter_flags(build, older=True)
    build.add_argument("-k", "--list-length", type=_positive_int, default=10, metavar="N",
                       dest="list_length",
                       help="length of the related lists computed and kept (default 10)")
    build.add_argument("--exact", action="store_true",
                       help="compute the kept lists by scoring every article against every "
                       "other (much slower on a big archive) instead of the candidates")
    build.add_argument("--n-jobs", type=int, default=None, metavar="N",
                       help="processes for text analysis and the lists (default -1: all "
                       "cores)")
    build.add_argument("--backend", choices=["loky", "dask"], default=None,
                       help="where that work runs: local processes (loky, the default) or "
                       "a Dask cluster (needs --scheduler)")
    build.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="the Dask scheduler, such as tcp://10.0.0.5:8786")
    build.set_defaults(run=_cmd_build)

    related = commands.add_parser("related", help="articles related to an indexed article")
    related.add_argument("index", metavar="DIR")
    related.add_argument("article_id", metavar="ID")
    _add_list_flags(related)
    _add_filter_flags(related, older=True)
    related.set_defaults(run=_cmd_related)

    similar = commands.add_parser("similar", help="articles similar to free text")
    similar.add_argument("index", metavar="DIR")
    similar.add_argument("text", metavar="TEXT", help="the text, or - to read stdin")
    similar.add_argument("--lang", choices=["pt", "en"], default=None,
                         help="language of TEXT (detected when absent)")
    _add_list_flags(similar)
    _add_filter_flags(similar, older=False)
    similar.set_defaults(run=_cmd_similar)

    explain = commands.add_parser("explain", help="why one article is related to another")
    explain.add_argument("index", metavar="DIR")
    explain.add_argument("article_id", metavar="ID")
    explain.add_argument("other_id", metavar="OTHER_ID")
    explain.add_argument("--json", action="store_true", help="print a JSON object")
    explain.set_defaults(run=_cmd_explain)

    export = commands.add_parser(
        "export", help="every article's related list as JSON, JSON Lines or HTML fragments",
        description="Write every article's related list for a site build: one JSON object "
        "{id: [items]} with keys sorted (json), one line per article in id order (jsonl), or "
        "a directory with one HTML sidebar fragment per article (html). Byte-identical for "
        "the same index; written atomically.")
    export.add_argument("index", metavar="DIR")
    export.add_argument("--out", required=True, metavar="PATH",
                        help="file to write (json, jsonl; - for stdout) or directory (html)")
    export.add_argument("--format", choices=["json", "jsonl", "html"], default="json",
                        help="output format (default json)")
    export.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    export.add_argument("--locale", choices=["pt", "en"], default=None,
                        help="html: words of every sidebar (\"Por\"/\"By\"); default: the "
                        "language of each article")
    export.add_argument("--template", metavar="FILE", default=None,
                        help="html: a Jinja2 template for each sidebar (needs the 'site' extra)")
    export.set_defaults(run=_cmd_export)

    report = commands.add_parser(
        "report", help="coverage of the related lists: short lists, orphans, hubs",
        description="Articles with fewer than k related articles above the floor, articles "
        "in no list (orphans), the most recommended articles (hubs), and list entries that "
        "point at articles not in the index (exit 1 if any).")
    report.add_argument("index", metavar="DIR")
    report.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    report.add_argument("--json", action="store_true", help="print a JSON object")
    report.set_defaults(run=_cmd_report)

    evaluate = commands.add_parser(
        "evaluate", help="measure relevance on labelled JSON Lines against baselines",
        description="Precision@k, recall@k, nDCG@10, MRR and coverage with bootstrap 95%% "
        "intervals, for our index and the baselines, on the same documents. Records need "
        "'labels' (two articles are related when they share one).")
    evaluate.add_argument("inputs", nargs="+", metavar="FILE", help="labelled JSON Lines, .gz ok")
    evaluate.add_argument("-k", type=_k_list, default=(5, 10), metavar="K,K",
                          help="cut-offs for precision and recall (default 5,10)")
    evaluate.add_argument("--config", metavar="FILE", help="settings of our index (TOML)")
    evaluate.add_argument("--ours-only", action="store_true", help="skip the baselines")
    evaluate.add_argument("--resamples", type=_positive_int, default=1000, metavar="N",
                          help="bootstrap resamples (default 1000)")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    evaluate.set_defaults(run=_cmd_evaluate)

    update = commands.add_parser(
        "update", help="add, replace and remove articles in a built index",
        description="Add new articles, replace changed ones (same id) and remove ids, "
        "under the model of the last full build; print which lists changed.")
    update.add_argument("index", metavar="DIR")
    update.add_argument("inputs", nargs="*", metavar="INPUT", help="new or changed articles")
    update.add_argument("--remove", action="append", default=[], metavar="ID",
                        help="remove this article (repeatable)")
    update.add_argument("--format", choices=["jsonl", "wxr", "csv", "markdown"], default=None,
                        help="read every INPUT in this format (default: by extension)")
    update.add_argument("--json", action="store_true", help="print the report as JSON")
    update.set_defaults(run=_cmd_update)

    info = commands.add_parser("info", help="describe an index")
    info.add_argument("index", metavar="DIR")
    info.add_argument("--json", action="store_true", help="print a JSON object")
    info.set_defaults(run=_cmd_info)
    return parser


def _add_list_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--explain", action="store_true",
                        help="show the shared terms and each field's contribution")
    parser.add_argument("--exact", action="store_true",
                        help="score every article, not only the candidates (slower)")


def _add_filter_flags(parser: argparse.ArgumentParser, *, older: bool) -> None:
    parser.add_argument("--exclude-id", action="append", default=None, metavar="ID",
                        dest="exclude_ids", help="never list this article (repeatable)")
    parser.add_argument("--exclude-tag", action="append", default=None, metavar="TAG",
                        dest="exclude_tags", help="never list articles with this tag (repeatable)")
    parser.add_argument("--max-age-days", type=float, default=None, metavar="D",
                        help="skip articles more than D days older than the query")
    if older:
        parser.add_argument("--only-older", action="store_true", default=None,
                            help="list only articles published before the query article")


def _build_settings(args: argparse.Namespace) -> dict:
    from .config import read_settings_file
    from .settings import validate_settings

    settings = read_settings_file(args.config) if args.config else {}
    flags = {
        "stemmer": None if args.stemmer == "none" else args.stemmer,
        "min_score": args.min_score, "max_per_author": args.max_per_author,
        "author_bonus": args.author_bonus,
        "mmr_lambda": args.mmr_lambda, "duplicate_threshold": args.duplicate_threshold,
        "half_life_days": args.half_life_days, "max_age_days": args.max_age_days,
        "only_older": args.only_older, "exclude_ids": args.exclude_ids,
        "exclude_tags": args.exclude_tags, "n_jobs": args.n_jobs, "backend": args.backend,
        "scheduler": args.scheduler,
    }
    settings.update({name: value for name, value in flags.items()
                     if value is not None and not (name == "stemmer" and args.stemmer is None)})
    if args.stemmer == "none":
        settings["stemmer"] = None
    if args.no_author_cap:
        settings["max_per_author"] = None
    settings.setdefault("n_jobs", -1)  # a build uses every core unless told otherwise
    settings = validate_settings(settings)
    if settings["backend"] == "dask" and settings["scheduler"] is None:
        raise ConfigError("backend 'dask' needs the scheduler's address: --scheduler "
                          "tcp://HOST:8786")
    return settings


def _cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .corpus import iter_articles
    from .index import RelatedIndex
    from .progress import Progress

    started = time.perf_counter()
    settings = _build_settings(args)  # settings errors before reading any input
    articles = iter_articles(args.inputs, format=args.format)  # read as analysed
    index = RelatedIndex(**settings)
    bar = Progress(None, "analysing", err)
    try:
        index.fit(articles, progress=bar.advance)
    finally:
        bar.close()
    index.precompute(args.list_length, exact=args.exact)
    index.save(args.out)
    seconds = time.perf_counter() - started
    err.write(f"indexed {len(index):,} articles, {len(index.vocabulary_):,} terms "
              f"in {seconds:.1f} s -> {args.out}\n")
    return EXIT_OK


def _load(path: str):
    from .index import RelatedIndex

    return RelatedIndex.load(path)


def _print_list(items, as_json: bool, out: TextIO, also=()) -> None:
    from .render import dumps_list, sidebar_text

    out.write(dumps_list(items) if as_json else sidebar_text(items, also_in=also))


def _query_options(args: argparse.Namespace) -> dict:
    options = {"explain": args.explain, "exclude_ids": args.exclude_ids or (),
               "exclude_tags": args.exclude_tags or (), "max_age_days": args.max_age_days,
               "exact": args.exact}
    if getattr(args, "only_older", None):
        options["only_older"] = True
    return options


def _cmd_related(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.explain or args.exclude_ids or args.exclude_tags or args.max_age_days is not None \
            or args.only_older or args.exact:
        index = _load(args.index)
        items = index.related(args.article_id, k=args.k, **_query_options(args))
        also = index.translations(args.article_id)
    else:  # nothing to compute: read the kept list, no full load (no scipy import)
        from .lookup import related

        items, also = related(args.index, args.article_id, args.k)
    _print_list(items, args.json, out, also=also)
    return EXIT_OK


def _cmd_similar(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise _UsageError("recommender similar: error: TEXT is empty")
    items = _load(args.index).similar(text, k=args.k, lang=args.lang, **_query_options(args))
    _print_list(items, args.json, out)
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    index = _load(args.index)
    explanation = index.explain(args.article_id, args.other_id)
    score = round(sum(value for _, value in explanation.fields), 6)
    if args.json:
        document = {"id": args.article_id, "other_id": args.other_id, "cosine": score,
                    **explanation.to_dict()}
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    out.write(f"cosine {score:.6f} between {args.article_id} and {args.other_id}\n")
    out.write("fields of " + args.other_id + "\n")
    for name, value in explanation.fields:
        out.write(f"  {name:<8} {value:.6f}\n")
    out.write("shared terms\n")
    for term, value in explanation.terms:
        out.write(f"  {term:<30} {value:.6f}\n")
    if not explanation.terms:
        out.write("  (none)\n")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .export import (
        export_html,
        export_json,
        export_jsonl,
        iter_json_pieces,
        iter_jsonl_lines,
    )
    from .render import SidebarTemplate

    if args.format != "html":
        for flag, value in (("--locale", args.locale), ("--template", args.template)):
            if value is not None:
                raise _UsageError(f"recommender export: error: {flag} needs --format html")
    elif args.out == "-":
        raise _UsageError("recommender export: error: --format html writes a directory; "
                          "give one with --out")
    template = SidebarTemplate.load(args.template) if args.template else None  # fail early
    index = _load(args.index)
    if args.format in ("json", "jsonl"):
        if args.out == "-":
            pieces = iter_json_pieces if args.format == "json" else iter_jsonl_lines
            for piece in pieces(index, k=args.k):
                out.write(piece)
            return EXIT_OK
        (export_json if args.format == "json" else export_jsonl)(index, args.out, k=args.k)
    else:
        result = export_html(index, args.out, k=args.k, locale=args.locale, template=template)
        if result.unlinked:
            shown = ", ".join(result.unlinked[:10])
            more = f" and {len(result.unlinked) - 10:,} more" if len(result.unlinked) > 10 else ""
            err.write(f"recommender: warning: {len(result.unlinked):,} listed article(s) shown "
                      f"without a link, their url is not http(s) or relative: {shown}{more}\n")
    err.write(f"exported the related lists of {len(index):,} articles -> {args.out}\n")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .report import coverage_report, format_report

    report = coverage_report(_load(args.index), k=args.k)
    if args.json:
        out.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_report(report))
    if report.missing:
        entries = "list entry points" if len(report.missing) == 1 else "list entries point"
        err.write(f"recommender: error: {len(report.missing):,} {entries} at articles not in "
                  "the index; rebuild it\n")
        return EXIT_DATA
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .config import read_settings_file
    from .corpora import read_labelled
    from .evaluate import BASELINES, run_evaluation, to_markdown

    settings = read_settings_file(args.config) if args.config else {}
    methods = {} if args.ours_only else dict(BASELINES)
    methods["ours"] = settings
    results = []
    for path in args.inputs:
        corpus = read_labelled(path)
        results.append(run_evaluation(corpus, ks=args.k, methods=methods,
                                      n_resamples=args.resamples,
                                      progress=lambda line: err.write(line + "\n")))
    if args.json:
        out.write(json.dumps(results if len(results) > 1 else results[0], ensure_ascii=False,
                             indent=2) + "\n")
    else:
        out.write(to_markdown(results))
    return EXIT_OK


def _cmd_update(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .corpus import load_articles

    if not args.inputs and not args.remove:
        raise _UsageError("recommender update: error: give INPUT files, --remove ID, or both")
    index = _load(args.index)
    articles = load_articles(args.inputs, format=args.format) if args.inputs else []
    report = index.update(articles, remove=args.remove)
    index.save(args.index)
    if args.json:
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        for name in ("added", "updated", "removed", "changed"):
            out.write(f"{name:<8} {len(report[name]):>6}  {' '.join(report[name])}\n")
    if report["rebuild_advised"]:
        err.write(f"recommender: note: {report['drift']:.0%} of the articles were weighed by a "
                  "model fitted before them; a full 'recommender build' would refresh it\n")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .indexfiles import read_manifest

    index = _load(args.index)  # verifies every file before describing it
    manifest = read_manifest(args.index)
    folder = Path(args.index)
    sizes = {name: (folder / name).stat().st_size for name in sorted(manifest["files"])}
    sizes["manifest.json"] = (folder / "manifest.json").stat().st_size
    languages: dict[str, int] = {}
    for entry in index.entries_:
        languages[entry.lang] = languages.get(entry.lang, 0) + 1
    report = {
        "path": str(folder),
        "format_version": manifest["format_version"],
        "articles": len(index),
        "terms": len(index.vocabulary_),
        "nonzeros": int(index.matrix_.nnz),
        "languages": dict(sorted(languages.items())),
        "settings": manifest["settings"],
        "versions": manifest["versions"],
        "bytes_on_disk": sum(sizes.values()),
        "files": sizes,
    }
    if args.json:
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    out.write(f"index      {report['path']} (format version {report['format_version']})\n")
    out.write(f"articles   {report['articles']:,} "
              f"({', '.join(f'{n:,} {lang}' for lang, n in report['languages'].items())})\n")
    out.write(f"terms      {report['terms']:,}   non-zeros {report['nonzeros']:,}\n")
    out.write(f"on disk    {report['bytes_on_disk']:,} bytes\n")
    for name, size in sizes.items():
        out.write(f"  {name:<20} {size:>12,}\n")
    out.write("settings\n")
    for name, value in report["settings"].items():
        out.write(f"  {name:<14} {json.dumps(value, ensure_ascii=False)}\n")
    out.write("versions   " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + "\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 bad data or index, 2 usage)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("always", RecommenderWarning)
            warnings.showwarning = lambda message, *_: err.write(
                f"recommender: warning: {message}\n")
            return args.run(args, out, err)
    except _UsageError as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except RecommenderError as exc:
        err.write(f"recommender: error: {exc}\n")
        return EXIT_DATA
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return EXIT_OK
        name = f"{exc.filename}: " if exc.filename else ""
        err.write(f"recommender: error: {name}{exc.strerror or exc}\n")
        return EXIT_DATA
    except ImportError as exc:  # an optional extra that is not installed
        err.write(f"recommender: error: {exc}\n")
        return EXIT_DATA
    except KeyboardInterrupt:
        err.write("recommender: interrupted\n")
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
