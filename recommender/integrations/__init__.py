"""Integrations with the tools that build sites.

Each module here plugs :class:`recommender.RelatedIndex` into one tool and
imports that tool itself, so it is only importable when the tool is installed
(as an optional extra). Nothing is imported by this package.

- :mod:`recommender.integrations.pelican`: a Pelican plugin
  (``pip install 'recommender[pelican]'``; ``PLUGINS = ["recommender.integrations.pelican"]``).
"""
