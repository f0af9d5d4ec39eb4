"""Incremental publish: add, replace and remove articles in a built index without
refitting, and say exactly which stored lists changed.

Policy: the model (vocabulary and IDF) is frozen at the last full build. New and
replaced articles are weighed under it — terms it has never seen are ignored —
so an updated index answers exactly as a full rebuild under the same model
would. Only the lists that can change are recomputed: those of the new and
replaced articles, lists that showed a replaced or removed article, and lists
that a new or replaced article could enter (it scores at least as much as the
list's last entry, or the list is not full). As the archive drifts away from the
model, the report's ``drift`` grows; past ``DRIFT_WARNING`` a full ``build``
is advised, which refits the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .analysis import analyse_articles
from .catalog import Entry
from .corpus import Article
from .errors import CorpusError
from .parallel import dispatch

__all__ = ["update_index", "DRIFT_WARNING"]

#: Share of articles added or replaced since the model was fitted past which the
#: report advises a full rebuild.
DRIFT_WARNING = 0.2


def _display(lists: tuple[np.ndarray, np.ndarray], entries: Sequence[Entry],
             row: int) -> list[tuple]:
    """What ``export`` writes for the kept list of ``row``: ids, order and shown fields."""
    ids, scores = lists
    out = []
    for i, score in zip(ids[row].tolist(), scores[row].tolist()):
        if i >= 0:
            e = entries[i]
            out.append((e.id, e.title, e.url, e.author, e.date, e.blurb, score))
    return out


def update_index(index: Any, articles: Sequence[Article], remove: Iterable[str] = ()) -> dict:
    """Apply new or changed ``articles`` and removals to a fitted index, in place.

    Returns
    -------
    dict
        ``added``, ``updated``, ``removed`` (ids, sorted), ``changed`` (existing
        articles whose kept list differs in ids, order or shown fields, sorted),
        ``unpinned`` (pins to removed articles that were dropped) and ``drift``.

    Raises
    ------
    CorpusError
        Repeated ids in ``articles``, removals of unknown ids, an id both given
        and removed, or pins to ids that will not exist.
    """
    index._check_fitted()
    articles = list(articles)
    remove = sorted(set(remove))
    _check_request(index, articles, remove)
    if index.lists_[0].shape[1] == 0:
        index.precompute(10)
    width = index.lists_[0].shape[1]
    old_position = dict(index._position)
    # Lists are compared before and after only where they were recomputed: every other
    # list keeps its articles, and those articles their fields.
    old_lists, old_entries = index.lists_, index.entries_
    digests = {e.id: e.digest for e in index.entries_}
    added = [a for a in articles if a.id not in old_position]
    updated = [a for a in articles if a.id in old_position]
    updated = [a for a in updated if Entry.from_article(a, "pt").digest != digests[a.id]]
    touched_ids = {a.id for a in added} | {a.id for a in updated}
    gone = set(remove)

    # New rows for new and replaced articles, weighed under the frozen model.
    fresh = added + updated
    analysed = analyse_articles(fresh, index._analyzer, **dispatch(index._settings))
    matrix, norms, field_tf = index._weigh([f for _, f in analysed], index._term_column,
                                           index.idf_)
    fresh_entry = {a.id: Entry.from_article(a, lang) for a, (lang, _) in zip(fresh, analysed)}
    fresh_row = {a.id: i for i, a in enumerate(fresh)}

    # Final order: kept articles in place (replaced ones too), new ones appended.
    order: list[tuple[str, int]] = []  # ("old"|"new", row)
    entries: list[Entry] = []
    unpinned: list[str] = []
    for ident, row in old_position.items():
        if ident in gone:
            continue
        if ident in fresh_entry:
            order.append(("new", fresh_row[ident]))
            entries.append(fresh_entry[ident])
        else:
            order.append(("old", row))
            entries.append(index.entries_[row])
    for article in added:
        order.append(("new", fresh_row[article.id]))
        entries.append(fresh_entry[article.id])
    for i, entry in enumerate(entries):
        kept = tuple(p for p in entry.pins if p not in gone)
        if kept != entry.pins:
            unpinned += [f"{entry.id} -> {p}" for p in entry.pins if p in gone]
            entries[i] = dataclasses.replace(entry, pins=kept)

    def stack(old: sp.csr_matrix, new: sp.csr_matrix) -> sp.csr_matrix:
        both = sp.vstack([old, new], format="csr")
        offset = old.shape[0]
        rows = [row if kind == "old" else offset + row for kind, row in order]
        return sp.csr_matrix(both[rows], dtype=both.dtype)

    old_ids, old_scores = index.lists_
    new_matrix = stack(index.matrix_, matrix)
    new_norms = np.concatenate([index.norms_, norms])[
        [row if kind == "old" else index.norms_.size + row for kind, row in order]]
    new_fields = {name: stack(index.field_tf_[name], field_tf[name]) for name in field_tf}
    fresh_latent = index._project(matrix)
    new_latent = np.concatenate([index.latent_vectors_, fresh_latent])[
        [row if kind == "old" else index.latent_vectors_.shape[0] + row for kind, row in order]]
    index._set_state(entries=entries, vocabulary=index.vocabulary_, idf=index.idf_,
                     matrix=new_matrix, norms=new_norms, field_tf=new_fields,
                     latent_components=index.latent_components_, latent_vectors=new_latent,
                     latent_blocks=index.latent_blocks_,
                     author_agreement=index.author_agreement_)

    # Carry the old lists over, renumbered; mark the ones to recompute.
    position = index._position
    renumber = np.full(len(old_position) + 1, -1, dtype=np.int64)  # last slot maps -1 to -1
    for ident, row in old_position.items():
        if ident in position and ident not in touched_ids:
            renumber[row] = position[ident]
    n = len(entries)
    ids = np.full((n, width), -1, dtype=np.int32)
    scores = np.zeros((n, width))
    stale = np.zeros(n, dtype=bool)
    for new_row, (kind, row) in enumerate(order):
        if kind == "new":
            stale[new_row] = True
            continue
        listed = old_ids[row]
        mapped = renumber[listed]  # -1 for removed or replaced articles, and for padding
        if np.any(mapped[listed >= 0] < 0):
            stale[new_row] = True
        ids[new_row] = mapped
        scores[new_row] = old_scores[row]
    if fresh:
        fresh_rows = np.array([position[a.id] for a in fresh], dtype=np.int64)
        reach = index._scores(index.matrix_[fresh_rows], index.latent_vectors_[fresh_rows])[0]
        index._bylines.add_to(reach, fresh_rows)  # symmetric: one author, one bonus
        full = ids[:, -1] >= 0
        floor = np.where(full, scores[:, -1], 0.0)
        stale |= np.any(np.round(reach, 6) >= floor[None, :], axis=0) & np.any(reach > 0, axis=0)
        groups = index._groups
        stale |= np.isin(groups, groups[fresh_rows])
    if index._settings["mmr_lambda"] < 1.0:
        stale[:] = True
    for row in np.flatnonzero(stale).tolist():
        pins, pin_scores, rows, values = index._list_of(row, width, exact=index.lists_exact_)
        chosen = np.concatenate((pins, rows))
        ids[row] = -1
        scores[row] = 0.0
        ids[row, :chosen.size] = chosen
        scores[row, :chosen.size] = np.concatenate((pin_scores, values))
    index.lists_ = (ids, scores)
    index.model_changes_ = getattr(index, "model_changes_", 0) + len(fresh)
    changed = sorted(ident for ident, row in old_position.items()
                     if ident in position and stale[position[ident]]
                     and _display(index.lists_, index.entries_, position[ident])
                     != _display(old_lists, old_entries, row))
    drift = index.model_changes_ / max(getattr(index, "model_articles_", n), 1)
    return {
        "added": sorted(a.id for a in added),
        "updated": sorted(a.id for a in updated),
        "removed": remove,
        "changed": changed,
        "unpinned": unpinned,
        "drift": round(drift, 4),
        "rebuild_advised": drift > DRIFT_WARNING,
        "recomputed": int(stale.sum()),
    }


def _check_request(index: Any, articles: list[Article], remove: list[str]) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    for article in articles:
        if not isinstance(article, Article):
            problems.append(f"expected an Article, got {type(article).__name__}")
            continue
        if article.id in seen:
            problems.append(f"id: duplicate id {article.id!r} in the update")
        seen.add(article.id)
    for ident in remove:
        if ident not in index._position:
            problems.append(f"remove: unknown article id {ident!r}")
        if ident in seen:
            problems.append(f"remove: {ident!r} is both given and removed")
    final = (set(index._position) - set(remove)) | seen
    for article in articles:
        if isinstance(article, Article):
            for pin in article.related:
                if pin not in final:
                    problems.append(f"article {article.id!r}: related: pins unknown article id {pin!r}")
    if problems:
        raise CorpusError(problems)
