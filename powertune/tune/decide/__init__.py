"""Deciding from observations: the cost curve over sizes and the strategies that choose on it."""
