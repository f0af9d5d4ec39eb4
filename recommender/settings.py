"""Index settings: defaults, validation, and their JSON form.

Every setting is checked when an index is made, and every problem is reported
at once, naming the setting, the value given and what is allowed.
"""

from __future__ import annotations

import importlib.util
import numbers
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError

__all__ = ["FIELDS", "DEFAULTS", "RUN_ONLY", "validate_settings", "saved_settings",
           "validate_saved_settings", "check_list_length", "is_list_length"]

#: How a field's term counts become term frequencies (see ``weighting.weighted_tf``).
TF_SCHEMES = ("log", "bm25")

#: Article fields that feed the index, in the order they are analysed.
FIELDS = ("title", "blurb", "body", "tags", "author")

DEFAULTS: dict[str, Any] = {
    "field_weights": {"title": 2.0, "blurb": 1.0, "body": 1.0, "tags": 1.0, "author": 0.5},
    "stop_words": "pt+en",
    "stemmer": None,
    "numbers": "years",
    "ngram_range": (1, 1),
    "sublinear_tf": True,
    "body_tf": "log",
    "min_df": 1,
    "max_df": 1.0,
    "max_features": None,
    "latent_components": (25, 100),
    "latent_weight": 0.5,
    "min_score": 0.0,
    "max_per_author": 3,
    "author_bonus": 0.2,
    "mmr_lambda": 1.0,
    "duplicate_threshold": 0.9,
    "detect_translations": True,
    "half_life_days": None,
    "max_age_days": None,
    "only_older": False,
    "exclude_ids": (),
    "exclude_tags": (),
    "candidate_terms": 50,
    "candidates": 200,
    "n_jobs": None,
    "backend": "loky",
    "scheduler": None,
}

#: Where a run computes, not what the index is: never saved with an index, so that an
#: index built on a cluster loads and works without it.
RUN_ONLY = ("backend", "scheduler")


def validate_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return a complete, normalised copy of ``settings`` or raise ConfigError.

    Unknown names are errors; missing names take their defaults; partial
    ``field_weights`` are merged over the default weights.
    """
    problems: list[str] = []
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        problems.append(f"unknown setting(s) {', '.join(unknown)}; "
                        f"known settings are {', '.join(sorted(DEFAULTS))}")
    out = {name: settings.get(name, default) for name, default in DEFAULTS.items()}

    weights = out["field_weights"]
    if weights is None:
        weights = {}
    if not isinstance(weights, Mapping):
        problems.append(f"field_weights must be a mapping of field name to weight, got {weights!r}")
        weights = {}
    merged = dict(DEFAULTS["field_weights"])
    for name, weight in weights.items():
        if name not in FIELDS:
            problems.append(f"field_weights: unknown field {name!r}; fields are {', '.join(FIELDS)}")
        elif not _is_real(weight) or not 0.0 <= weight <= 100.0:
            problems.append(f"field_weights[{name!r}] must be a number from 0 to 100, got {weight!r}")
        else:
            merged[name] = float(weight)
    if not any(merged[name] > 0 for name in ("title", "blurb", "body")):
        problems.append("field_weights: at least one of title, blurb, body needs a weight above 0")
    out["field_weights"] = {name: merged[name] for name in FIELDS}

    ngram = out["ngram_range"]
    if (not isinstance(ngram, list | tuple) or len(ngram) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in ngram)
            or not 1 <= ngram[0] <= ngram[1] <= 2):
        problems.append(f"ngram_range must be (1, 1), (1, 2) or (2, 2), got {ngram!r}")
    else:
        out["ngram_range"] = (ngram[0], ngram[1])

    if not isinstance(out["sublinear_tf"], bool):
        problems.append(f"sublinear_tf must be true or false, got {out['sublinear_tf']!r}")
    if not isinstance(out["body_tf"], str) or out["body_tf"] not in TF_SCHEMES:
        problems.append(f"body_tf must be one of {', '.join(map(repr, TF_SCHEMES))}, "
                        f"got {out['body_tf']!r}")
    for name in ("min_df", "max_df"):
        problems.extend(_check_df(name, out[name]))
    max_features = out["max_features"]
    if max_features is not None and (not _is_int(max_features) or max_features < 1):
        problems.append(f"max_features must be a positive whole number or null, got {max_features!r}")
    min_score = out["min_score"]
    if not _is_real(min_score) or not 0.0 <= min_score <= 1.0:
        problems.append(f"min_score must be a number from 0 to 1, got {min_score!r}")
    else:
        out["min_score"] = float(min_score)
    components = out["latent_components"]
    spaces = [components] if _is_int(components) else components
    if (not isinstance(spaces, list | tuple) or len(spaces) > 4
            or not all(_is_int(d) and 0 <= d <= 1000 for d in spaces)):
        problems.append(f"latent_components must be a whole number from 0 (off) to 1000, or a "
                        f"list of up to 4 of them (one latent space each), got {components!r}")
    else:
        out["latent_components"] = tuple(int(d) for d in spaces if d > 0)
    weight = out["latent_weight"]
    if not _is_real(weight) or not 0.0 <= weight <= 1.0:
        problems.append(f"latent_weight must be a number from 0 to 1, got {weight!r}")
    else:
        out["latent_weight"] = float(weight)
    problems.extend(_check_controls(out))
    for name in ("candidate_terms", "candidates"):
        if not _is_int(out[name]) or not 1 <= out[name] <= 1_000_000:
            problems.append(f"{name} must be a whole number from 1 to 1000000, got {out[name]!r}")
    n_jobs = out["n_jobs"]
    if n_jobs is not None and (not _is_int(n_jobs) or n_jobs == 0 or n_jobs < -1):
        problems.append(f"n_jobs must be a positive whole number, -1 (all cores) or null, got {n_jobs!r}")
    problems.extend(_check_backend(out))
    if problems:
        raise ConfigError("invalid settings:\n  " + "\n  ".join(problems))
    return out


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_df(name: str, value: Any) -> list[str]:
    if _is_int(value) and value >= 1:
        return []
    if _is_real(value) and not _is_int(value) and 0.0 < value <= 1.0:
        return []
    return [f"{name} must be a whole number of articles (>= 1) or a proportion in (0, 1], "
            f"got {value!r}"]


def _check_controls(out: dict[str, Any]) -> list[str]:
    """Editor controls: floors, diversity, time, exclusions. Normalises ``out`` in place."""
    problems = []
    cap = out["max_per_author"]
    if cap is not None and (not _is_int(cap) or cap < 1):
        problems.append(f"max_per_author must be a whole number >= 1 or null (no cap), got {cap!r}")
    bonus = out["author_bonus"]
    if not _is_real(bonus) or not 0.0 <= bonus <= 1.0:
        problems.append(f"author_bonus must be a number from 0 (off) to 1, got {bonus!r}")
    else:
        out["author_bonus"] = float(bonus)
    for name in ("mmr_lambda", "duplicate_threshold"):
        value = out[name]
        if name == "duplicate_threshold" and value is None:
            continue
        if not _is_real(value) or not 0.0 < value <= 1.0:
            off = " or null (off)" if name == "duplicate_threshold" else ""
            problems.append(f"{name} must be a number in (0, 1]{off}, got {value!r}")
        else:
            out[name] = float(value)
    for name in ("half_life_days", "max_age_days"):
        value = out[name]
        if value is not None and (not _is_real(value) or value <= 0 or value == float("inf")):
            problems.append(f"{name} must be a positive number of days or null (off), got {value!r}")
        elif value is not None:
            out[name] = float(value)
    for name in ("only_older", "detect_translations"):
        if not isinstance(out[name], bool):
            problems.append(f"{name} must be true or false, got {out[name]!r}")
    for name in ("exclude_ids", "exclude_tags"):
        value = out[name]
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset) \
                or not all(isinstance(x, str) for x in value):
            problems.append(f"{name} must be a list of strings, got {value!r}")
        else:
            out[name] = tuple(sorted(set(value)))
    return problems


def _check_backend(out: dict[str, Any]) -> list[str]:
    from .parallel import BACKENDS

    backend, scheduler, n_jobs = out["backend"], out["scheduler"], out["n_jobs"]
    if not isinstance(backend, str) or backend not in BACKENDS:
        return [f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}"]
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        return [f"scheduler must be a Dask scheduler address such as 'tcp://10.0.0.5:8786' "
                f"or null, got {scheduler!r}"]
    if backend != "dask" and scheduler is not None:
        return [f"scheduler is only used with backend 'dask', got backend {backend!r}"]
    if backend != "dask":
        return []
    problems = []
    if n_jobs not in (None, -1):
        problems.append(f"n_jobs must be -1 or null with backend 'dask' (the cluster's "
                        f"workers do the work), got {n_jobs!r}")
    if not all(_importable(name) for name in ("dask", "distributed")):
        problems.append("backend 'dask' needs dask and distributed: "
                        "pip install 'recommender[dask]'")
    elif scheduler is not None:
        from .parallel import address_problem

        problem = address_problem(scheduler)
        if problem:
            problems.append(f"scheduler {scheduler!r}: {problem}")
    return problems


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module already imported without a spec
        return False


def saved_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings kept with a saved index, in JSON form: all but :data:`RUN_ONLY`."""
    return settings_to_json({name: value for name, value in settings.items()
                             if name not in RUN_ONLY})


def validate_saved_settings(settings: Any) -> dict[str, Any]:
    """:func:`validate_settings` for the settings of a saved index, where :data:`RUN_ONLY`
    names are refused: a folder from someone else must not send work to a cluster of
    theirs (and have its pickled answers read back)."""
    named = sorted(set(settings) & set(RUN_ONLY)) if isinstance(settings, Mapping) else []
    if named:
        raise ConfigError(f"{', '.join(named)}: not a setting of a saved index (it says where "
                          "a build runs); give it to the index that is built")
    return validate_settings(settings)


def settings_to_json(settings: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready copy (tuples become lists)."""
    return {name: list(value) if isinstance(value, tuple) else value
            for name, value in settings.items()}


def is_list_length(k: Any) -> bool:
    """Whether ``k`` is a valid list length: a whole number of at least 1."""
    return isinstance(k, int) and not isinstance(k, bool) and k >= 1


def check_list_length(k: Any) -> None:
    """Raise ConfigError unless ``k`` is a valid list length."""
    if not is_list_length(k):
        raise ConfigError(f"k must be a positive whole number, got {k!r}")
