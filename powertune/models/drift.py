"""Host drift between rounds: a per-round speed factor, estimated beside the curve.

An adaptive search measures different sizes in different rounds. When the host's speed moves
between rounds (a shared or virtual machine: seen here, one invocation's CPU work moving by a
third from one round to the next, every size alike), that drift lands on whichever sizes were
measured then and bends the curve by as much as the differences the decision is about.

The model is a two-way layout on log durations, ``log d = size effect + round effect + noise``,
estimated by least squares over the warm successful samples of the sizes and rounds that share
measurements (one connected block: a round whose sizes were measured in no other round says
nothing about its own speed). The round effects are used only when an F test says they are real
(``ALPHA``, 1%): on a steady host (Lambda itself, a replay) the curve is left as measured rather
than given the noise of estimating them. Factors are centred on the block's average round, so
the curve keeps the run's average level.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.stats import f as f_dist

from powertune.types import Observations

ALPHA = 0.01


def round_factors(observations: Observations) -> dict[int, float]:
    """Round -> multiplicative speed factor (a duration measured then, divided by it, is at the
    run's average speed); empty when drift is not significant or cannot be estimated."""
    rows: list[tuple[int, int, float]] = []
    for m, samples in observations.samples.items():
        rounds = observations.rounds.get(m, [])
        if m in observations.skipped or len(rounds) != len(samples):
            continue
        for s, r in zip(samples, rounds, strict=True):
            if s.ok and not s.cold and s.duration_ms > 0:
                rows.append((m, r, float(np.log(s.duration_ms))))
    block = _largest_block(rows)
    rows = [row for row in rows if (row[0], row[1]) in block]
    sizes = sorted({m for m, _, _ in rows})
    rounds = sorted({r for _, r, _ in rows})
    if len(rounds) < 2:
        return {}
    y = np.array([v for *_, v in rows])
    size_ix = {m: i for i, m in enumerate(sizes)}
    round_ix = {r: i for i, r in enumerate(rounds[1:])}  # the first round is the reference
    x0 = np.zeros((len(rows), len(sizes)))
    x1 = np.zeros((len(rows), len(sizes) + len(rounds) - 1))
    for k, (m, r, _) in enumerate(rows):
        x0[k, size_ix[m]] = x1[k, size_ix[m]] = 1.0
        if r in round_ix:
            x1[k, len(sizes) + round_ix[r]] = 1.0
    rss0, rank0 = _rss(x0, y)
    rss1, rank1 = _rss(x1, y)
    df_rounds, df_resid = rank1 - rank0, len(y) - rank1
    if df_rounds <= 0 or df_resid < 3 or rss1 <= 0:
        return {}
    stat = ((rss0 - rss1) / df_rounds) / (rss1 / df_resid)
    if float(f_dist.sf(stat, df_rounds, df_resid)) >= ALPHA:
        return {}
    coef = np.linalg.lstsq(x1, y, rcond=None)[0]
    effects = {rounds[0]: 0.0, **{r: float(coef[len(sizes) + i]) for r, i in round_ix.items()}}
    centre = float(np.mean([effects[r] for r in rounds]))
    return {r: float(np.exp(e - centre)) for r, e in effects.items()}


def drift_adjusted(observations: Observations) -> tuple[Observations, dict[int, float]]:
    """A copy whose durations are divided by their round's factor (``round_factors``), and the
    factors; the observations themselves when there is no drift to correct."""
    factors = round_factors(observations)
    if not factors:
        return observations, {}
    out = dataclasses.replace(observations, samples={}, rounds={})
    for m, samples in observations.samples.items():
        rounds = observations.rounds.get(m, [])
        adjusted = [
            dataclasses.replace(s, duration_ms=s.duration_ms / factors.get(r, 1.0))
            for s, r in zip(samples, rounds, strict=True)
        ]
        out.samples[m] = adjusted
        out.rounds[m] = list(rounds)
    return out, factors


def _rss(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    return float(resid @ resid), int(rank)


def _largest_block(rows: list[tuple[int, int, float]]) -> set[tuple[int, int]]:
    """The (size, round) cells of the connected block of sizes and rounds (linked by a sample
    measured at that size in that round) holding the most samples."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(a: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for m, r, _ in rows:
        ra, rb = find(("m", m)), find(("r", r))
        if ra != rb:
            parent[ra] = rb
    count: dict[tuple[str, int], int] = {}
    for m, _, _ in rows:
        root = find(("m", m))
        count[root] = count.get(root, 0) + 1
    if not count:
        return set()
    best = max(count, key=lambda k: count[k])
    return {(m, r) for m, r, _ in rows if find(("m", m)) == best}


def round_spread(observations: Observations, factors: dict[int, float]) -> dict[int, float]:
    """Size -> the relative standard deviation of its mean that the host's speed leaves, given
    the round factors found (``round_factors``): the spread of the rounds' speeds over the
    square root of the number of rounds the size was measured in. Adjusting for the factors
    removes most of it; what is left (the factors are estimates too) is not known, so the
    whole spread is kept: a size measured in one or two rounds, whose level rests on how fast
    the host was then, is not priced as if its samples were independent. Empty without drift."""
    if len(factors) < 2:
        return {}
    sd = float(np.std(np.log(list(factors.values())), ddof=1))
    out: dict[int, float] = {}
    for m, rounds in observations.rounds.items():
        k = len(set(rounds))
        if k:
            out[m] = sd / float(np.sqrt(k))
    return out
