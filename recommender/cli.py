"""The ``recommender`` command: argparse subcommands over the library.

Data goes to stdout, diagnostics to stderr. Exit codes: 0 success, 1 bad data
or index, 2 usage. No traceback reaches the user for an expected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ._version import __version__
from .errors import RecommenderError

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
                                description="Index articles and save the index to --out.")
    build.add_argument("inputs", nargs="+", metavar="INPUT", help="JSON Lines file(s), .gz ok")
    build.add_argument("--out", required=True, metavar="DIR", help="index directory to write")
    build.add_argument("--stemmer", choices=["none", "snowball"], default=None,
                       help="stem words (snowball needs PyStemmer)")
    build.add_argument("--min-score", type=_score, default=None, metavar="S",
                       help="relevance floor for listed articles, 0 to 1")
    build.add_argument("--n-jobs", type=int, default=None, metavar="N",
                       help="processes for text analysis (-1: all cores)")
    build.set_defaults(run=_cmd_build)

    related = commands.add_parser("related", help="articles related to an indexed article")
    related.add_argument("index", metavar="DIR")
    related.add_argument("article_id", metavar="ID")
    related.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    related.add_argument("--json", action="store_true", help="print a JSON array")
    related.set_defaults(run=_cmd_related)

    similar = commands.add_parser("similar", help="articles similar to free text")
    similar.add_argument("index", metavar="DIR")
    similar.add_argument("text", metavar="TEXT", help="the text, or - to read stdin")
    similar.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    similar.add_argument("--lang", choices=["pt", "en"], default=None,
                         help="language of TEXT (detected when absent)")
    similar.add_argument("--json", action="store_true", help="print a JSON array")
    similar.set_defaults(run=_cmd_similar)

    export = commands.add_parser("export", help="every article's related list as JSON")
    export.add_argument("index", metavar="DIR")
    export.add_argument("--out", required=True, metavar="FILE", help="JSON file to write, - for stdout")
    export.add_argument("-k", type=_positive_int, default=10, help="list length (default 10)")
    export.set_defaults(run=_cmd_export)

    info = commands.add_parser("info", help="describe an index")
    info.add_argument("index", metavar="DIR")
    info.add_argument("--json", action="store_true", help="print a JSON object")
    info.set_defaults(run=_cmd_info)
    return parser


def _cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .corpus import load_articles
    from .index import RelatedIndex
    from .progress import Progress

    started = time.perf_counter()
    articles = load_articles(args.inputs)
    settings = {}
    if args.stemmer is not None:
        settings["stemmer"] = None if args.stemmer == "none" else args.stemmer
    if args.min_score is not None:
        settings["min_score"] = args.min_score
    if args.n_jobs is not None:
        settings["n_jobs"] = args.n_jobs
    index = RelatedIndex(**settings)
    bar = Progress(len(articles), "analysing", err)
    try:
        index.fit(articles, progress=bar.advance)
    finally:
        bar.close()
    index.save(args.out)
    seconds = time.perf_counter() - started
    err.write(f"indexed {len(index):,} articles, {len(index.vocabulary_):,} terms "
              f"in {seconds:.1f} s -> {args.out}\n")
    return EXIT_OK


def _load(path: str):
    from .index import RelatedIndex

    return RelatedIndex.load(path)


def _print_list(items, as_json: bool, out: TextIO) -> None:
    from .render import dumps_list, sidebar_text

    out.write(dumps_list(items) if as_json else sidebar_text(items))


def _cmd_related(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _print_list(_load(args.index).related(args.article_id, k=args.k), args.json, out)
    return EXIT_OK


def _cmd_similar(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise _UsageError("recommender similar: error: TEXT is empty")
    _print_list(_load(args.index).similar(text, k=args.k, lang=args.lang), args.json, out)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .render import dumps_export

    index = _load(args.index)
    document = dumps_export(index.related_all(k=args.k))
    if args.out == "-":
        out.write(document)
    else:
        _write_atomically(Path(args.out), document.encode("utf-8"))
        err.write(f"exported the related lists of {len(index):,} articles -> {args.out}\n")
    return EXIT_OK


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .storage import read_manifest

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
    except KeyboardInterrupt:
        err.write("recommender: interrupted\n")
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
