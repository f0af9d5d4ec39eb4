"""Lists packed in a worker come back unchanged."""

import numpy as np

from recommender.packing import pack_lists, unpack_lists


def test_lists_sent_back_by_workers_unpack_to_what_was_packed():
    lists = [(3, (np.array([7]), np.array([0.5]), np.array([1, 2]), np.array([0.4, 0.3]))),
             (4, (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64), np.zeros(0))),
             (5, (np.zeros(0, np.int64), np.zeros(0), np.array([9]), np.array([0.2])))]
    back = list(unpack_lists(pack_lists(iter(lists))))
    assert [row for row, _ in back] == [3, 4, 5]
    for (_, want), (_, got) in zip(lists, back):
        for a, b in zip(want, got):
            np.testing.assert_array_equal(a, b)
    assert list(unpack_lists(pack_lists(iter([])))) == []
