"""``python -m recommender``."""

from .cli import run

run()
