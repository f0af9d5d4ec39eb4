import datetime as dt

import numpy as np
import pytest

from recommender.ranking import tiebreak_ranks, top_k


def test_tiebreak_orders_by_date_descending_then_id_ascending_with_undated_last():
    ids = ["b", "a", "c", "d", "e"]
    dates = [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 6, 1), None,
             dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))]
    ranks = tiebreak_ranks(ids, dates)
    order = [ids[i] for i in np.argsort(ranks)]
    assert order == ["c", "e", "a", "b", "d"]


def test_equal_scores_follow_the_tiebreak_not_the_position():
    ranks = np.array([3, 0, 2, 1])
    scores = np.array([0.5, 0.5, 0.5, 0.9], dtype=np.float32)
    rows, values = top_k(scores, 4, ranks)
    assert rows.tolist() == [3, 1, 2, 0]
    assert values.tolist() == [0.9, 0.5, 0.5, 0.5]


def test_ties_at_the_cut_are_decided_by_the_tiebreak():
    ranks = np.array([4, 3, 2, 1, 0])
    scores = np.array([0.9, 0.4, 0.4, 0.4, 0.4])
    rows, _ = top_k(scores, 2, ranks)
    assert rows.tolist() == [0, 4]


def test_scores_equal_after_rounding_count_as_ties():
    ranks = np.array([1, 0])
    scores = np.array([0.30000001, 0.3])
    rows, values = top_k(scores, 2, ranks)
    assert rows.tolist() == [1, 0]
    assert values[0] == values[1]


def test_the_excluded_row_is_never_returned_even_when_best():
    scores = np.array([1.0, 1.0, 0.2])
    rows, _ = top_k(scores, 3, np.arange(3), exclude=0)
    assert rows.tolist() == [1, 2]


def test_zero_scores_are_never_results_and_k_larger_than_n_is_fine():
    scores = np.array([0.0, 0.3, 0.0, 0.1])
    rows, _ = top_k(scores, 100, np.arange(4))
    assert rows.tolist() == [1, 3]


@pytest.mark.parametrize(("floor", "expected"), [(0.0, [1, 3, 2]), (0.25, [1, 3]), (1.0, [])])
def test_min_score_is_a_floor(floor, expected):
    scores = np.array([0.0, 0.9, 0.1, 0.25])
    rows, _ = top_k(scores, 10, np.arange(4), min_score=floor)
    assert rows.tolist() == expected


def test_scores_are_clipped_into_the_unit_interval():
    _, values = top_k(np.array([1.0000004, 0.5]), 2, np.arange(2))
    assert values.tolist() == [1.0, 0.5]
