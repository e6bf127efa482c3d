"""Searches decide which memory sizes to measure next, and how many times."""

from powertune.search.interface import Batch, Observations, Search

__all__ = ["Batch", "Observations", "Search"]
