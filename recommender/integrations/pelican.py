"""Pelican plugin: related articles computed during the site build.

Enable it in ``pelicanconf.py`` (needs ``pip install 'recommender[pelican]'``)::

    PLUGINS = ["recommender.integrations.pelican"]
    RECOMMENDER = {"min_score": 0.05}   # optional: RelatedIndex settings, checked strictly
    RECOMMENDER_K = 5                   # optional: length of each list (default 5)

When Pelican has read every article (signal ``all_generators_finalized``), the
plugin turns each published article and translation into an
:class:`~recommender.Article` (see :func:`relate_articles` for how the fields
are taken), fits a :class:`~recommender.RelatedIndex` and sets three attributes
on each of them, for the templates:

``related_posts``
    The related Pelican articles, best first: ``{{ related.title }}``,
    ``{{ SITEURL }}/{{ related.url }}``, ``{{ related.date }}``...
``related_scores``
    Their scores (floats in [0, 1]), in the same order.
``recommendations``
    The same list as :meth:`recommender.Related.to_dict` dicts (``id``, ``title``,
    ``url``, ``author``, ``date``, ``blurb``, ``score``, and ``pinned`` when true).

An article is never in its own list, nor are its translations. Hidden articles
and drafts are not indexed; they get empty lists. Settings are checked as soon as
Pelican starts (signal ``initialized``): an unknown key in ``RECOMMENDER`` or a
bad ``RECOMMENDER_K`` stops the build with a :class:`~recommender.ConfigError`
that names it. A site without articles is left as it is.
"""

from __future__ import annotations

import logging
import numbers
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ..corpus import LANGUAGES, Article
from ..errors import ConfigError, CorpusError
from ..index import RelatedIndex
from ..markup import html_to_text
from ..settings import validate_settings

try:
    from pelican import signals
    from pelican.generators import ArticlesGenerator
except ModuleNotFoundError as exc:
    if exc.name != "pelican":
        raise
    raise ImportError(
        "recommender.integrations.pelican needs Pelican 4.9 or newer: "
        "pip install 'recommender[pelican]'"
    ) from exc

__all__ = ["DEFAULT_K", "plugin_settings", "register", "relate_articles"]

logger = logging.getLogger(__name__)

#: Length of each related list when ``RECOMMENDER_K`` is not set.
DEFAULT_K = 5

# Generator lists whose articles have a page but are not indexed.
_UNLISTED = ("hidden_articles", "hidden_translations", "drafts", "drafts_translations")


def register() -> None:
    """Connect the plugin to Pelican's signals; Pelican calls it for ``PLUGINS``.

    ``initialized`` checks the settings before any content is read;
    ``all_generators_finalized`` runs :func:`relate_articles` on every
    articles generator, once every content object (and so every internal
    link) is known and before anything is written.
    """
    signals.initialized.connect(_check_settings)
    signals.all_generators_finalized.connect(_relate_all)


def plugin_settings(settings: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The index settings and list length that Pelican settings ask for.

    Parameters
    ----------
    settings : mapping
        Pelican's settings. ``RECOMMENDER`` is a dict of
        :class:`~recommender.RelatedIndex` settings (default ``{}``: the
        library's defaults); ``RECOMMENDER_K`` a whole number >= 1 (default
        :data:`DEFAULT_K`).

    Returns
    -------
    index_settings : dict
        The settings given in ``RECOMMENDER``, validated; the others take
        :class:`~recommender.RelatedIndex`'s defaults.
    k : int

    Raises
    ------
    ConfigError
        Naming the Pelican setting, the value given and what is allowed; every
        problem listed.

    Examples
    --------
    >>> index_settings, k = plugin_settings({"RECOMMENDER": {"min_score": 0.05}})
    >>> index_settings, k
    ({'min_score': 0.05}, 5)
    """
    problems: list[str] = []
    given = settings.get("RECOMMENDER")
    index_settings: dict[str, Any] = {}
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        problems.append("RECOMMENDER must be a dict of recommender settings, such as "
                        f"{{'min_score': 0.05}}; got {type(given).__name__} {given!r:.80}")
    else:
        try:
            validate_settings(given)
            index_settings = dict(given)
        except ConfigError as exc:
            problems.extend(f"RECOMMENDER: {line.strip()}" for line in str(exc).splitlines()
                            if line.strip() and line.strip() != "invalid settings:")
    k = settings.get("RECOMMENDER_K", DEFAULT_K)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        problems.append("RECOMMENDER_K must be a whole number >= 1 (the length of each "
                        f"related list), got {k!r}")
    if problems:
        raise ConfigError("invalid recommender settings in the Pelican configuration:\n  "
                          + "\n  ".join(problems))
    return index_settings, int(k)


def relate_articles(generator: ArticlesGenerator) -> RelatedIndex | None:
    """Compute the related lists of a Pelican articles generator and set them.

    The corpus is every published article (``generator.articles``) and
    translation (``generator.translations``), each made into an
    :class:`~recommender.Article`:

    - ``id``: the slug; when another article already has it (a translation
      shares its original's slug), ``slug-lang``, then the source path;
    - ``title``; ``body``: the article's HTML (``article.content``);
    - ``url``: Pelican's ``article.url``, relative to ``SITEURL`` as in
      Pelican's own templates (so it stays right with ``RELATIVE_URLS``);
    - ``author``: the names of ``article.authors``; ``tags``: the tag names;
      ``date``: ``article.date``, time zone included;
    - ``blurb``: the text of the ``Summary`` metadata when the article has one
      (never Pelican's automatic summary, which would count the opening words
      twice);
    - ``lang``: ``article.lang`` when it is Portuguese or English (``pt``,
      ``pt-BR``, ``en_US``...), else detected from the text;
    - ``translation_of``: for a translation, the id of its original (Pelican's
      ``article.translations`` linkage).

    Articles are taken in a fixed order (slug, the default language first,
    language, source path), so ids and lists do not depend on the order Pelican
    read the files in.

    Parameters
    ----------
    generator : pelican.generators.ArticlesGenerator
        After ``generate_context``; its settings hold ``RECOMMENDER`` and
        ``RECOMMENDER_K`` (see :func:`plugin_settings`).

    Returns
    -------
    RelatedIndex or None
        The fitted index; None when there is no published article (nothing is set).

    Raises
    ------
    ConfigError
        Invalid settings.
    CorpusError
        An article that cannot be indexed, named by its source path.
    """
    index_settings, k = plugin_settings(generator.settings)
    for name in _UNLISTED:
        for content in getattr(generator, name, None) or ():
            _set_lists(content, [], [])
    originals = _in_order(getattr(generator, "articles", None) or ())
    translations = _in_order(getattr(generator, "translations", None) or ())
    contents = originals + translations
    if not contents:
        return None

    start = time.perf_counter()
    ids = _assign_ids(contents)
    of_original = {id(content): ident for content, ident in zip(originals, ids, strict=False)}
    articles = []
    for position, (content, ident) in enumerate(zip(contents, ids, strict=True)):
        translation_of = None
        if position >= len(originals):
            linked = [of_original[id(other)] for other in getattr(content, "translations", ())
                      if id(other) in of_original]
            translation_of = min(linked) if linked else None
        articles.append(_to_article(content, ident, translation_of))

    pageless = {ident for content, ident in zip(contents, ids, strict=True)
                if not getattr(content, "save_as", "")}
    if pageless:  # indexed, but never linked to
        index_settings["exclude_ids"] = sorted({*index_settings.get("exclude_ids", ()),
                                                *pageless})
    try:
        index = RelatedIndex(**index_settings).fit(articles)
    except ConfigError as exc:  # e.g. min_df/max_df leave no terms in this site
        raise ConfigError(f"RECOMMENDER: {exc}") from None

    by_id = dict(zip(ids, contents, strict=True))
    for ident, items in index.iter_related(k):
        _set_lists(by_id[ident], [by_id[item.id] for item in items], items)
    logger.info("recommender: related lists of %d articles computed in %.2f s",
                len(contents), time.perf_counter() - start)
    return index


# -- internals -------------------------------------------------------------------------------


def _check_settings(pelican: Any) -> None:
    plugin_settings(pelican.settings)


def _relate_all(generators: Sequence[Any]) -> None:
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            relate_articles(generator)


def _set_lists(content: Any, posts: list[Any], items: Sequence[Any]) -> None:
    content.related_posts = posts
    content.related_scores = [item.score for item in items]
    content.recommendations = [item.to_dict() for item in items]


def _source(content: Any) -> str:
    """The source path relative to the content folder, or "" when there is none."""
    if not getattr(content, "source_path", None):
        return ""
    try:
        return content.get_relative_source_path() or ""
    except (AttributeError, KeyError, TypeError, ValueError):
        return str(content.source_path)


def _in_order(contents: Sequence[Any]) -> list[Any]:
    """By slug; among equal slugs the default language first (it keeps the bare slug)."""
    return sorted(contents, key=lambda c: (str(getattr(c, "slug", "") or ""),
                                           not getattr(c, "in_default_lang", True),
                                           str(getattr(c, "lang", "") or ""), _source(c)))


def _assign_ids(contents: Sequence[Any]) -> list[str]:
    """A unique id per article: the slug, else ``slug-lang``, else the source path."""
    taken: set[str] = set()
    ids = []
    for content in contents:
        slug = str(getattr(content, "slug", "") or "").strip()
        lang = str(getattr(content, "lang", "") or "").strip()
        candidates = [c for c in (slug, f"{slug}-{lang}" if slug and lang else "",
                                  _source(content)) if c]
        ident = next((c for c in candidates if c not in taken), None)
        if ident is None:
            base = candidates[0] if candidates else "article"
            ident = next(f"{base}-{n}" for n in range(2, len(taken) + 3)
                         if f"{base}-{n}" not in taken)
        taken.add(ident)
        ids.append(ident)
    return ids


def _names(values: Any) -> tuple[str, ...]:
    """Names of Pelican's Author/Tag objects (or of plain strings)."""
    if not values:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(str(getattr(value, "name", value)) for value in values)


def _language(value: Any) -> str | None:
    """``pt`` or ``en`` from a Pelican language code such as ``pt-BR`` or ``en_US``."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def _blurb(content: Any) -> str | None:
    """The text of the article's own ``Summary`` metadata, on one line.

    Read from the metadata, not from ``content.summary``: Pelican caches that
    property the first time it is read, and refreshes the summary's internal
    links only after ``all_generators_finalized``.
    """
    summary = (getattr(content, "metadata", None) or {}).get("summary")
    if not isinstance(summary, str):
        return None
    text = " ".join(html_to_text(summary).split())
    return text or None


def _to_article(content: Any, ident: str, translation_of: str | None) -> Article:
    try:
        return Article(
            id=ident,
            title=str(getattr(content, "title", "") or ""),
            body=content.content or "",
            url=getattr(content, "url", None) or None,
            author=_names(getattr(content, "authors", None)),
            date=getattr(content, "date", None),
            blurb=_blurb(content),
            tags=_names(getattr(content, "tags", None)),
            lang=_language(getattr(content, "lang", None)),
            translation_of=translation_of,
        )
    except CorpusError as exc:
        where = getattr(content, "source_path", None) or ident
        raise CorpusError([f"{where}: {problem}" for problem in exc.problems]) from None
