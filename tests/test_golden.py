import json

import pytest

from .golden import GOLDEN, current_lists


def test_fixture_lists_match_the_golden_file():
    golden = json.loads(GOLDEN.read_text("utf-8"))
    current = current_lists()
    assert set(current) == set(golden)
    for ident, items in golden.items():
        assert [i for i, _ in current[ident]] == [i for i, _ in items], ident
        # one unit in the 6th decimal, which another CPU's BLAS may round the other way
        # (abs=1e-6 itself fails on float representation: 0.531585 - 0.531584 > 1e-6)
        assert [s for _, s in current[ident]] == pytest.approx([s for _, s in items],
                                                                      abs=1.5e-6)
