"""The result type: a frozen record whose constructor is written by hand for speed, so
it must still behave as the dataclass it declares itself to be."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle

import pytest

from recommender import Related

FIELDS = ("id", "title", "url", "author", "date", "blurb", "score", "pinned", "lang",
          "explanation")
VALUES = ("a1", "Título", "/a1/", "Ana", dt.date(2024, 5, 2), "resumo", 0.5, True, "pt", None)


def test_every_field_is_set_from_positions_and_from_keywords():
    by_position = Related(*VALUES)
    by_keyword = Related(**dict(zip(FIELDS, VALUES, strict=True)))
    assert [f.name for f in dataclasses.fields(Related)] == list(FIELDS)
    assert [getattr(by_position, name) for name in FIELDS] == list(VALUES)
    assert by_keyword == by_position and hash(by_keyword) == hash(by_position)


def test_optional_fields_default_and_required_ones_are_required():
    item = Related(*VALUES[:7])
    assert (item.pinned, item.lang, item.explanation) == (False, None, None)
    with pytest.raises(TypeError, match="score"):
        Related(*VALUES[:6])
    with pytest.raises(TypeError, match="colour"):
        Related(*VALUES, colour="red")


def test_it_stays_frozen_and_works_with_the_dataclass_tools():
    item = Related(*VALUES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.score = 1.0  # type: ignore[misc]
    assert not hasattr(item, "__dict__")
    changed = dataclasses.replace(item, score=0.25)
    assert changed.score == 0.25 and changed.id == item.id and changed != item
    assert pickle.loads(pickle.dumps(item)) == item == copy.deepcopy(item)
    assert dataclasses.asdict(item)["date"] == dt.date(2024, 5, 2)
    match item:
        case Related(identifier, title):
            assert (identifier, title) == ("a1", "Título")
    assert repr(item).startswith("Related(id='a1', title='Título'")


def test_an_item_made_for_a_list_is_a_plain_related():
    """Lists build their items through ``related_item`` (faster than ``Related(...)``):
    the result must be indistinguishable from one the constructor makes."""
    from recommender.results import related_item

    made, built = related_item(*VALUES), Related(*VALUES)
    assert type(made) is Related and made == built and hash(made) == hash(built)
    assert repr(made) == repr(built) and made.to_dict() == built.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.score = 1.0
    assert pickle.loads(pickle.dumps(made)) == built
    assert copy.copy(made) == dataclasses.replace(made) == built
    assert not hasattr(made, "__dict__")
