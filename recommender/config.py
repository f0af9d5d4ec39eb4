"""Settings files: TOML whose keys are the index settings, checked strictly.

Example::

    min_score = 0.05
    max_per_author = 2
    exclude_tags = ["editorial"]

    [field_weights]
    title = 2.0
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from .errors import ConfigError
from .settings import validate_settings

__all__ = ["read_settings_file"]


def read_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The settings in a TOML file, validated; errors name the file.

    Raises
    ------
    ConfigError
        Unreadable file, TOML syntax error (with line and column), unknown
        setting, or a value out of range — every problem listed.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as stream:
            settings = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"{name}: settings file not found") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read settings file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not valid UTF-8") from None
    try:
        validate_settings(settings)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return settings
