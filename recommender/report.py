"""Coverage of the related lists: who gets short lists, who is never recommended, who is
recommended everywhere, and whether any list points at an article the index lacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .index import RelatedIndex

__all__ = ["CoverageReport", "coverage_report", "format_report"]


@dataclass(frozen=True)
class CoverageReport:
    """The coverage of every related list of an index, for editors.

    Attributes
    ----------
    articles : int
        Articles in the index (one list each).
    k : int
        The list length asked for.
    min_score : float
        The index's relevance floor.
    short : tuple of (id, title, length)
        Articles whose list has fewer than ``k`` entries above the floor,
        shortest first, then by id.
    orphans : tuple of (id, title)
        Articles in nobody's list, by id.
    hubs : tuple of (id, title, in_degree)
        The most recommended articles (in how many lists each appears), most
        first, then by id; only articles listed at least once.
    missing : tuple of (id, listed_id)
        List entries naming an article that is not in the index, by list id
        then listed id. Always empty for a sound index.
    """

    articles: int
    k: int
    min_score: float
    short: tuple[tuple[str, str, int], ...]
    orphans: tuple[tuple[str, str], ...]
    hubs: tuple[tuple[str, str, int], ...]
    missing: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, keys in a fixed order."""
        return {
            "articles": self.articles,
            "k": self.k,
            "min_score": self.min_score,
            "short_lists": {
                "count": len(self.short),
                "articles": [{"id": i, "title": t, "related": n} for i, t, n in self.short],
            },
            "orphans": {
                "count": len(self.orphans),
                "articles": [{"id": i, "title": t} for i, t in self.orphans],
            },
            "hubs": [{"id": i, "title": t, "in_degree": n} for i, t, n in self.hubs],
            "missing": {
                "count": len(self.missing),
                "links": [{"from": a, "to": b} for a, b in self.missing],
            },
        }


def coverage_report(index: RelatedIndex, k: int = 10, *, hubs: int = 10) -> CoverageReport:
    """Measure the coverage of the related lists of every article of ``index``.

    The lists are the ones :meth:`RelatedIndex.iter_related` gives (pins
    included, translations and the article itself excluded), read one at a time:
    memory grows with the number of articles, not of list entries.

    Parameters
    ----------
    index : RelatedIndex
        A fitted (or loaded) index.
    k : int, default 10
        List length: a list with fewer entries is short.
    hubs : int, default 10
        How many of the most recommended articles to report.

    Returns
    -------
    CoverageReport

    Examples
    --------
    >>> from recommender import RelatedIndex, load_articles
    >>> index = RelatedIndex().fit(load_articles("fixtures/articles.jsonl"))
    >>> report = coverage_report(index, k=5)
    >>> report.articles, report.missing
    (88, ())
    """
    if not isinstance(hubs, int) or isinstance(hubs, bool) or hubs < 0:
        raise ConfigError(f"hubs must be a whole number from 0, got {hubs!r}")
    titles = {entry.id: entry.title for entry in index.entries_}
    in_degree = dict.fromkeys(index.ids_, 0)
    short: list[tuple[str, str, int]] = []
    missing: list[tuple[str, str]] = []
    count = 0
    for article_id, items in index.iter_related(k):
        count += 1
        if len(items) < k:
            short.append((article_id, titles.get(article_id, ""), len(items)))
        for item in items:
            if item.id in in_degree:
                in_degree[item.id] += 1
            else:
                missing.append((article_id, item.id))
    ranked = sorted((item for item in in_degree.items() if item[1] > 0),
                    key=lambda pair: (-pair[1], pair[0]))
    return CoverageReport(
        articles=count,
        k=k,
        min_score=float(index.get_settings()["min_score"]),
        short=tuple(sorted(short, key=lambda row: (row[2], row[0]))),
        orphans=tuple((i, titles[i]) for i in sorted(i for i, n in in_degree.items() if n == 0)),
        hubs=tuple((i, titles[i], n) for i, n in ranked[:hubs]),
        missing=tuple(sorted(missing)),
    )


def _label(article_id: str, title: str) -> str:
    return f"{article_id}  {title}" if title and title != article_id else article_id


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def format_report(report: CoverageReport) -> str:
    """The report as text for an editor: four sections, counts first."""
    lines = [f"{_count(report.articles, 'article', 'articles')}, lists of up to {report.k} "
             f"(relevance floor min_score = {report.min_score:g})", ""]
    if report.short:
        lines.append(f"Short lists: {_count(len(report.short), 'article has', 'articles have')} "
                     f"fewer than {report.k} related articles (count, id, title)")
        lines += [f"  {n:>3}  {_label(i, t)}" for i, t, n in report.short]
    else:
        lines.append(f"Short lists: none, every article has {report.k} related articles")
    lines.append("")
    if report.orphans:
        lines.append(f"Orphans: {_count(len(report.orphans), 'article is', 'articles are')} "
                     "in no related list")
        lines += [f"  {_label(i, t)}" for i, t in report.orphans]
    else:
        lines.append("Orphans: none, every article is in at least one related list")
    lines.append("")
    if report.hubs:
        lines.append("Hubs: the most recommended articles (lists they are in, id, title)")
        width = len(f"{report.hubs[0][2]:,}")
        lines += [f"  {n:>{width},}  {_label(i, t)}" for i, t, n in report.hubs]
    else:
        lines.append("Hubs: none, no article is in any related list")
    lines.append("")
    entries = _count(len(report.missing), "list entry points", "list entries point")
    lines.append(f"Missing articles: {entries} at articles not in the index"
                 + ("" if report.missing else " (as it should be)"))
    lines += [f"  {a} -> {b}" for a, b in report.missing]
    return "\n".join(lines) + "\n"
