"""Searches decide which memory sizes to measure next, and how many times.

What a search asks for and reads back (Batch, Observations) lives in ``powertune.types``.
"""

from powertune.tune.search.interface import Search

__all__ = ["Search"]
