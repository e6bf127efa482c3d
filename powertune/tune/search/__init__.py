"""Searches decide which memory sizes to measure next, and how many times."""

from powertune.tune.search.interface import Batch, Observations, Search

__all__ = ["Batch", "Observations", "Search"]
