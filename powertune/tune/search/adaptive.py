"""Adaptive search: fit the curve, measure where the decision is uncertain, stop when it is not.

Each round:
1. Fit the warm durations (``powertune.models.fit_curve``: model-averaged bootstrap draws) and
   price every size of the candidate lattice (``tune.decide.costcurve.cost_curve``), keeping the
   bootstrap draws of the cost.
2. ``m*`` is the size the strategy picks on the point prediction. For every draw, the loss of
   picking ``m*`` is how much worse it is than that draw's own best (for ``cost``: the relative
   extra cost). Stop ("converged") when the loss is within ``tolerance`` in at least
   ``confidence`` of the draws, a size near ``m*`` was measured (the answer never rests on
   extrapolation alone), and the measurements can test the shape: more sizes than the fitted
   form has parameters, and no two neighbouring measured sizes more than ``MAX_GAP_RATIO``
   (2.5×) apart, which could hide a dip. When the same size has been chosen ``STABLE_ROUNDS``
   rounds running with the coverage met, the search also stops ("stable"): what doubt remains is
   misfit that more samples will not remove. A converged claim also needs ``MIN_AT_CHOICE`` (3) warm
   samples at the choice (or within 3% of it). For ``cost``: the fastest of the sizes the
   draws do not confidently put outside the band (``strategies.tied_with_cheapest``); the claim
   is "within band + tolerance" (the band is cost given up for speed on purpose). A converged
   claim also needs measured neighbours within ``BRACKET_RATIO`` (2x) of the choice on both
   sides, ``ROUGH_BRACKET_RATIO`` (1.25x) when the
   saturated model won (no smooth form fits, so the curve between measured sizes is unknown);
   the search measures between them until it has them. When
   the choice sits at the top of what was measured and the model says the curve still falls
   beyond it, the search doubles the top size, up to the range asked, before it may stop.
3. Otherwise measure where the draws disagree: ``m*`` itself when nothing near it was measured,
   and the size most draws would pick instead of ``m*`` (snapped to a measured neighbour within
   3%, so repeated doubt adds samples there); once a size holds
   ``MAX_PER_SIZE`` samples, the unsnapped size instead. The middle of the widest gap wider
   than 2.5× gets one warm sample every round until the coverage is met.

New sizes get ``batch_size`` invocations (one more once cold starts are seen: the first
invocation after a configuration change is cold and is left out of the fit). The first round
measures three log-spaced sizes from ``min_mb`` to ``min(max_mb, initial_max_mb)``, the largest
once: large sizes are the expensive ones, and the search only goes higher when the draws say more
memory may pay off. Sizes are integers on a lattice (64 MB over wide ranges, finer on narrow
ones), or only the sizes of a given ``lattice`` (``--memory 128,256,512``; ``--memory recorded``
for a replay, whose data exist only at its recorded sizes). Budgets: ``max_invocations``
(default 40) and ``max_spend_usd`` (planned with the upper predicted cost of each batch; the
tuner enforces both too) and ``max_rounds``. After ``next``
returns ``[]``, ``fit``, ``curve`` and ``choice`` hold the final state; when the tuner stops the
run itself, ``finalize(observations)`` refits and returns the choice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from powertune.errors import InputError
from powertune.models.cpu_share import MB_PER_VCPU
from powertune.models.drift import drift_adjusted, round_spread
from powertune.models.fit import Fit, FitFailure, fit_curve
from powertune.tune.decide.costcurve import CostCurve, cost_curve, warm_durations
from powertune.tune.decide.strategies import (
    CLAIM_BANDS,
    SPEED_TOLERANCE,
    STRATEGIES,
    Choice,
    UnknownStrategy,
    balanced_score,
    choose,
    memory_floor,
    speed_index,
)
from powertune.tune.plan import (
    DEFAULT_BALANCED_WEIGHT,
    DEFAULT_CONFIDENCE,
    DEFAULT_PERCENTILE,
    DEFAULT_STRATEGY,
    DEFAULT_TOLERANCE,
)
from powertune.tune.search.interface import DecideContext, Decision, Outline, Search
from powertune.types import Batch, Observations
from pricing.vectorized import UnitPrices

DEFAULT_MAX_INVOCATIONS = 40
FREE_MAX_INVOCATIONS = 2000  # with a time budget (free invocations): a backstop only
STABLE_ROUNDS = 4  # the same choice this many rounds running ends the search (noise, not doubt)
MAX_GAP_RATIO = 2.5  # converge only when consecutive measured sizes are at most 2.5x apart
MAX_PER_SIZE = 8  # past this, doubt is about the shape, not the noise: measure elsewhere
MIN_AT_CHOICE = 3  # a converged claim needs this many warm samples at (or within 3% of) it
STILL_FALLING = 0.03  # the top measured size is this much slower than the top of the range
BRACKET_RATIO = 2.0  # a converged choice has measured neighbours at most this far on each side
ROUGH_BRACKET_RATIO = 1.25  # ... and this close when no smooth form fits (the saturated model)


def lattice_step(min_mb: int, max_mb: int) -> int:
    """64 MB over wide ranges (cheap to configure); finer when the range is narrow."""
    span = max_mb - min_mb
    return 64 if span >= 1024 else max(1, round(span / 16))


class AdaptiveSearch(Search):
    """Model-guided search over integer sizes in [``min_mb``, ``max_mb``] (see module doc)."""

    name = "adaptive"

    def __init__(
        self,
        min_mb: int = 128,
        max_mb: int = 10240,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        confidence: float = DEFAULT_CONFIDENCE,
        strategy: str = DEFAULT_STRATEGY,
        catalog: Any,
        region: str = "us-east-1",
        arch: str = "x86_64",
        seed: int = 0,
        max_invocations: int | None = None,
        max_spend_usd: float | None = None,
        balanced_weight: float = DEFAULT_BALANCED_WEIGHT,
        max_p95_ms: float | None = None,
        percentile: int = DEFAULT_PERCENTILE,
        cold_share: float = 0.0,
        initial_max_mb: int = 3008,
        batch_size: int = 2,
        max_rounds: int = 12,
        n_boot: int = 64,
        lattice: Sequence[int] | None = None,
        confirm: int = 0,
        confirm_sizes: Sequence[int] = (),
        tie_band: float | None = None,
        time_budget_s: float | None = None,
    ) -> None:
        if not 128 <= min_mb <= max_mb <= 10240:
            raise InputError(
                f"sizes must satisfy 128 <= min <= max <= 10240, not {min_mb}-{max_mb}"
            )
        if not 0 < tolerance < 1 or not 0 < confidence < 1:
            raise InputError("tolerance and confidence must be within (0, 1)")
        if strategy not in STRATEGIES:
            raise UnknownStrategy(
                f"unknown strategy {strategy!r} (choose from {', '.join(STRATEGIES)})"
            )
        if strategy == "slo" and not (max_p95_ms and max_p95_ms > 0):
            raise InputError("the slo strategy needs a positive --max-p95-ms")
        self.min_mb, self.max_mb = int(min_mb), int(max_mb)
        self.tolerance, self.confidence = tolerance, confidence
        self.strategy = strategy
        self.catalog, self.region, self.arch = catalog, region, arch
        self.seed = seed
        # Free invocations: the time budget ends the run; the cap is only a backstop.
        free_cap = FREE_MAX_INVOCATIONS if time_budget_s is not None else DEFAULT_MAX_INVOCATIONS
        self.max_invocations = max_invocations or free_cap
        self.max_spend_usd = max_spend_usd
        self.balanced_weight, self.max_p95_ms, self.percentile = (
            balanced_weight,
            max_p95_ms,
            percentile,
        )
        if not 0.0 <= cold_share <= 1.0:
            raise InputError(f"the cold-start share must be within 0-1, not {cold_share}")
        self.cold_share = cold_share
        self.tie_band = tolerance if tie_band is None else float(tie_band)
        if not 0.0 <= self.tie_band < 1.0:
            raise InputError(f"the tie band must be within 0-1, not {self.tie_band}")
        self.batch_size = batch_size
        # Free invocations (the embedded runtime): the budget is wall time; every round measures
        # the tied sizes again (the host's drift hits them alike) until the decision holds.
        self.time_budget_s = time_budget_s
        self._deadline: float | None = None
        self.max_rounds = max_rounds if time_budget_s is None else 10**6
        self.max_per_size = MAX_PER_SIZE if time_budget_s is None else 10**6
        self.n_boot = n_boot
        self.step = lattice_step(self.min_mb, self.max_mb)
        if lattice is not None:
            sizes = [int(m) for m in lattice if self.min_mb <= int(m) <= self.max_mb]
            if not sizes:
                raise InputError(f"no candidate size within {self.min_mb}-{self.max_mb} MB")
            self.grid = np.unique(np.array(sizes, dtype=int))
        else:
            # Whole vCPUs (1,769 MB each) are candidates too: one thread stops speeding up
            # there, so a cost-flat curve's fastest size is one of them, not a lattice step off.
            kinks = [round(k * MB_PER_VCPU) for k in range(1, 6)]
            self.grid = np.unique(
                np.concatenate(
                    [
                        np.arange(self.min_mb, self.max_mb + 1, self.step),
                        [self.max_mb],
                        [k for k in kinks if self.min_mb <= k <= self.max_mb],
                    ]
                ).astype(int)
            )
        self._exact = lattice is not None  # only the lattice's own sizes count as measured
        top = min(self.max_mb, max(initial_max_mb, self.min_mb))
        self.initial = sorted({self.snap(m) for m in np.geomspace(self.min_mb, top, 3)})
        self.prices = UnitPrices.of(catalog, region, arch)
        self.fit: Fit | FitFailure | None = None
        self.curve: CostCurve | None = None
        self.choice: Choice | None = None
        self.confidence_reached: float | None = None
        self.rounds = 0
        self.history: list[dict[str, Any]] = []
        self._reason: str | None = None
        self._explore: int | None = None
        self._bracket: int | None = None
        self.drift: dict[int, float] = {}  # round -> host speed factor, when drift was found
        self._near_count = 0
        if confirm < 0:
            raise InputError(f"confirm must be 0 or more invocations, not {confirm}")
        self.confirm = confirm
        self.confirm_sizes = tuple(
            int(m) for m in confirm_sizes if self.min_mb <= int(m) <= self.max_mb
        )
        self.confirmed: dict[int, int] | None = None  # size -> invocations added, once done

    def snap(self, memory_mb: float) -> int:
        """The nearest lattice size."""
        return int(self.grid[int(np.argmin(np.abs(self.grid - memory_mb)))])

    def stop_reason(self) -> str | None:
        reason = self._reason
        if reason and self.confirmed:
            added = ", ".join(f"{n} at {m} MB" for m, n in self.confirmed.items())
            reason = f"{reason}; then confirmed: {added}"
        if reason and self.drift:
            lo, hi = min(self.drift.values()), max(self.drift.values())
            reason += (
                f"; the host's speed drifted between rounds (x{lo:.2f} to x{hi:.2f}): "
                "durations were put back to its average before fitting"
            )
        return reason

    def outline(self, warmup: int) -> Outline:
        """The first sizes, the stopping rule, and the budget spread over the first sizes (the
        rest are not known yet); confirmations priced at the dearest of them."""
        sizes = list(self.initial)
        description = (
            f"adaptive search over {self.min_mb}-{self.max_mb} MB: starts at "
            f"{', '.join(map(str, sizes))} MB, stops when the choice is within "
            f"{self.claim_bound:.0%} of the best at {self.confidence:.0%} confidence"
            + (
                f" (the {self.tie_band:.0%} tie band + {self.tolerance:.0%} tolerance)"
                if self.claim_bound != self.tolerance
                else ""
            )
            + (
                f", held {STABLE_ROUNDS} rounds running (interleaved across the tied sizes), or "
                f"after {self.time_budget_s:g} s"
                if self.time_budget_s is not None
                else f", or at {self.max_invocations} invocations"
            )
        )
        if self.confirm:
            description += f"; then the chosen size is measured up to {self.confirm} invocations"
        per = self.max_invocations // max(len(sizes), 1)
        counts = {m: per for m in sizes}
        counts[max(sizes)] += self.confirm * (1 + len(self.confirm_sizes))
        return Outline(description, counts)

    # -- the round ---------------------------------------------------------------------------

    def next(self, observations: Observations) -> list[Batch]:
        if self.time_budget_s is not None and self._deadline is None:
            self._deadline = time.monotonic() + self.time_budget_s
        batches = self._next(observations)
        if batches or not self.confirm or self.confirmed is not None:
            return batches
        return self._confirm(observations)

    def _confirm(self, observations: Observations) -> list[Batch]:
        """Once the search is done: top the chosen size (and ``confirm_sizes``) up to
        ``confirm`` successful warm invocations, so a gate comparing two runs at that size has
        samples enough to tell a real change from noise. The next call refits on them."""
        warm = self._warm(observations)
        cold_seen = any(s.cold for ss in observations.samples.values() for s in ss)
        sizes = dict.fromkeys(self.confirm_sizes)
        if self.choice is not None:
            sizes = {self.choice.memory_mb: None, **sizes}
        self.confirmed = {}
        for m in sizes:
            if m in observations.skipped:
                continue
            missing = self.confirm - len(warm.get(m, []))
            if missing > 0:
                # A size not configured yet starts cold: one more, left out of the fit.
                fresh = cold_seen and m not in observations.samples
                self.confirmed[m] = missing + (1 if fresh else 0)
        return [Batch(m, n) for m, n in self.confirmed.items()]

    def _next(self, observations: Observations) -> list[Batch]:
        measured = [m for m in warm_durations(observations) if self.min_mb <= m <= self.max_mb]
        cold_seen = any(s.cold for ss in observations.samples.values() for s in ss)
        fresh = self.batch_size + (1 if cold_seen else 0)
        if self.rounds == 0 and not measured:
            self.rounds = 1
            # One invocation at the largest (dearest) size: the pooled noise estimate covers it.
            top = self.initial[-1] if len(self.initial) >= 3 else None
            first = [Batch(m, 1 if m == top else fresh) for m in self.initial]
            first = [b for b in first if b.memory_mb not in observations.skipped]
            if not first:
                self._reason = "nothing left to measure (sizes skipped)"
            return first
        self.rounds += 1
        if not measured:
            self._reason = "no successful invocations to fit or price"
            return []
        self._update(observations)
        if self._reason is None and self._deadline and time.monotonic() > self._deadline:
            self._reason = f"time budget reached ({self.time_budget_s:g} s)"
        if self._reason is not None:
            return []
        # A size that so far only had a cold start needs one warm invocation to count.
        warm_only = self._warm(observations)
        batches = [Batch(m, 1) for m in measured if m not in warm_only]
        taken = {b.memory_mb for b in batches}
        batches += [b for b in self._plan(warm_only, fresh) if b.memory_mb not in taken]
        batches = [b for b in batches if b.memory_mb not in observations.skipped]
        if not batches and self._reason is None:
            self._reason = "nothing left to measure (sizes skipped)"
        return self._within_budget(batches, observations)

    def decide(self, observations: Observations, context: DecideContext) -> Decision | None:
        """The search's own final state when it stopped by itself; a refit on everything
        measured when the tuner stopped it (a budget), so the last batch counts. The choice and
        its dollars come from the model curve; a run that did not converge says why."""
        if not warm_durations(observations):
            return None
        if self.cold_share != context.cold_share:
            self.cold_share = context.cold_share  # reprice: one basis for choice and dollars
            self.choice = None
        if not (self.stop_reason() and self.choice is not None and self.curve is not None):
            reason = self._reason
            self._update(observations)
            self._reason = reason or self._reason
        assert self.choice is not None and self.curve is not None
        display = None
        if isinstance(self.fit, Fit):
            grid = context.display_grid(observations, self.choice.memory_mb)
            kwargs = {**context.curve_kwargs(), "cold_share": self.cold_share}
            steady, _ = drift_adjusted(observations)  # the same durations the choice was made on
            display = cost_curve(self.fit, steady, memory_grid=grid, **kwargs)
        converged = (self._reason or "").startswith("converged")
        return Decision(
            fit=self.fit,
            curve=self.curve,
            choice=self.choice,
            display=display,
            converged=converged,
            # An SLO no size meets is the outcome (the result says so), not a doubt about it.
            evidence=None
            if converged or self.choice.slo_met is False
            else self._evidence_note(observations),
        )

    def _evidence_note(self, observations: Observations) -> str:
        """Why this run cannot claim its choice is within the bound, in plain words."""
        assert self.choice is not None
        m = self.choice.memory_mb
        warm = self._warm(observations)
        near = self._near_measured(m, list(warm))
        at = (
            f"{len(warm.get(near, []))} warm invocations at {near} MB"
            if near
            else (f"{m} MB itself was not measured")
        )
        share = self.confidence_reached
        odds = (
            f"; {m} MB is within {self.claim_bound:.0%} of the best in only {share:.0%} of the "
            "model's draws"
            if share is not None and share < self.confidence
            else ""
        )
        why = self._reason or "stopped early"
        return (
            f"too little evidence to claim {m} MB is within {self.claim_bound:.0%} of the best: "
            f"{at}{odds}; the search stopped on {why}"
        )

    def finalize(self, observations: Observations) -> Choice:
        """Refit on everything measured (for a run the tuner's budget cut short); the choice."""
        self._update(observations)
        assert self.choice is not None
        return self.choice

    def _warm(self, observations: Observations) -> dict[int, list[float]]:
        """Warm durations per size within the range (sizes with only cold starts left out)."""
        out: dict[int, list[float]] = {}
        for m, ss in observations.samples.items():
            if m in observations.skipped or not self.min_mb <= m <= self.max_mb:
                continue
            warm = [s.duration_ms for s in ss if s.ok and not s.cold]
            if warm:
                out[m] = warm
        return out

    def _update(self, observations: Observations) -> None:
        # Host drift between rounds would land on whichever sizes were measured then: fit and
        # price durations at the run's average host speed (none on a steady host).
        observations, self.drift = drift_adjusted(observations)
        warm = self._warm(observations)
        self._measured = [
            m for m in warm_durations(observations) if self.min_mb <= m <= self.max_mb
        ]
        # Drift found: each size's mean also carries the host's speed in its rounds.
        between = round_spread(observations, self.drift)
        self.fit = fit_curve(
            warm, seed=self.seed + self.rounds, n_boot=self.n_boot, between=between
        )
        grid = np.unique(np.concatenate([self.grid, list(warm)]).astype(int))
        grid = grid[~np.isin(grid, list(observations.skipped))]  # sizes the tuner could not set
        self.curve = cost_curve(
            self.fit,
            observations,
            catalog=self.catalog,
            region=self.region,
            arch=self.arch,
            memory_grid=grid,
            cold_share=self.cold_share,
            prices=self.prices,
            seed=self.seed,
        )
        self.choice = choose(
            self.strategy,
            self.curve,
            balanced_weight=self.balanced_weight,
            max_p95_ms=self.max_p95_ms,
            percentile=self.percentile,
            tie_band=self.tie_band,
            confidence=self.confidence,
            # Free invocations: the run measured until the answer held, so a tie the evidence
            # cannot break goes to the fastest tied size; a paid run bounds it (CLAIM_BANDS).
            claim_bands=None if self.time_budget_s is not None else CLAIM_BANDS,
            # Not below the smallest size measured above one that ran out of memory: the model
            # prices those from larger sizes, and the function may not fit in them.
            floor_mb=memory_floor(observations.skipped, self._measured),
        )
        if not isinstance(self.fit, Fit):
            self._measured_only_plan = True
            return
        self._measured_only_plan = False
        ok, alt = self._decision(self.curve, self.choice.memory_mb)
        self._alt = alt
        near = self._near_measured(self.choice.memory_mb, list(warm))
        self._near_count = len(warm.get(near, [])) if near is not None else 0
        self.history.append(
            {
                "round": self.rounds,
                "fit": self.fit.name,
                "choice_mb": self.choice.memory_mb,
                "confidence": ok,
                "invocations": observations.invocations,
            }
        )
        self.confidence_reached = ok
        # Trust a shape only once a size beyond its parameter count has tested it, and only
        # when no stretch wider than MAX_GAP_RATIO between measured sizes could hide a dip.
        self._explore = self._upward(list(warm))
        self._bracket = self._bracket_size(list(warm))
        enough = (
            len(warm) >= min(self._shape_params() + 1, len(self.grid))
            and len(warm) == len(self._measured)
            and self._gap_size(list(warm), MAX_GAP_RATIO) is None
            and self._explore is None
            and self._bracket is None
        )
        evidence = near is not None and self._near_count >= min(MIN_AT_CHOICE, MAX_PER_SIZE)
        # Free invocations: a claim also waits until the choice has held STABLE_ROUNDS rounds.
        held = self.time_budget_s is None or self._stable_rounds() >= STABLE_ROUNDS
        if ok >= self.confidence and evidence and enough and held:
            self._reason = (
                f"converged: {self.choice.memory_mb} MB is within {self.claim_bound:.1%} of the "
                f"best in {ok:.0%} of the bootstrap draws"
            )
        elif self._stable_rounds() >= STABLE_ROUNDS and enough and self.time_budget_s is None:
            self._reason = (
                f"stable: {self.choice.memory_mb} MB chosen {STABLE_ROUNDS} rounds running "
                f"(within {self.claim_bound:.1%} of the best in {ok:.0%} of the draws)"
            )
        elif self.rounds > self.max_rounds:
            self._reason = "round limit reached"

    @property
    def claim_bound(self) -> float:
        """How close to the best a converged choice claims to be. For ``cost`` that is the tie
        band plus the tolerance: the band is cost given up for speed on purpose, the tolerance
        is the doubt about the figures (a choice picked at +0.9% by the model cannot also claim
        to be within 1% of the true cheapest)."""
        return self.tolerance + self.tie_band if self.strategy == "cost" else self.tolerance

    def tied(self, curve: CostCurve) -> np.ndarray:
        """The sizes of ``curve`` the run cannot tell from the cheapest (``cost``: the tie band;
        other strategies: the chosen size alone)."""
        if self.choice is None or not self.choice.tied_mb:
            return curve.memory_mb[[int(np.argmin(curve.cost))]]
        return np.array(self.choice.tied_mb, dtype=int)

    def _upward(self, measured: list[int]) -> int | None:
        """A larger size to measure when the choice sits at the top of what was measured and
        the curve still falls there (multi-threaded code keeps getting faster up to 10240 MB):
        double the top measured size, up to the range asked. None when there is no need."""
        assert self.choice is not None and self.curve is not None
        top = max(measured)
        if top >= self.max_mb or self.strategy == "balanced":
            return None
        if self.choice.memory_mb < top / (1.0 + MAX_GAP_RATIO) ** 0.5:
            return None
        curve = self.curve
        at_top = float(curve.mean[curve.index(top)]) if top in curve.memory_mb else None
        beyond = float(curve.mean[-1])
        if at_top is None or beyond >= at_top * (1.0 - STILL_FALLING):
            return None
        nxt = self.snap(min(self.max_mb, top * 2))
        return nxt if nxt > top else None

    def _bracket_size(self, measured: list[int]) -> int | None:
        """A size to measure between the choice and a measured neighbour too far away to rule
        out a dip between them (``BRACKET_RATIO``; ``ROUGH_BRACKET_RATIO`` when the saturated
        model won: the measurements already bend where no smooth form does, so the curve
        between them is unknown). None when both neighbours are close enough, or when no
        candidate size lies between them."""
        assert self.choice is not None and isinstance(self.fit, Fit)
        m = self.choice.memory_mb
        limit = ROUGH_BRACKET_RATIO if self.fit.name == "interpolated" else BRACKET_RATIO
        below = [x for x in measured if x < m]
        above = [x for x in measured if x > m]
        sides = []
        if below and m / max(below) > limit:
            sides.append((m / max(below), max(below)))
        if above and min(above) / m > limit:
            sides.append((min(above) / m, min(above)))
        for _, other in sorted(sides, reverse=True):
            mid = self.snap(float(np.sqrt(m * other)))
            if mid not in measured and mid != m and min(m, other) < mid < max(m, other):
                return mid
        return None

    def _shape_params(self) -> int:
        """Parameters of the fitted shape; the saturated model (one per size) counts as the
        largest parametric form, or the coverage rule could never be met once it wins."""
        assert isinstance(self.fit, Fit)
        return 3 if self.fit.name == "interpolated" else self.fit.form.k

    def _stable_rounds(self) -> int:
        """How many rounds in a row ended with the same choice."""
        run = 0
        for h in reversed(self.history):
            if h["choice_mb"] != self.history[-1]["choice_mb"]:
                break
            run += 1
        return run

    def _losses(self, curve: CostCurve) -> tuple[np.ndarray, np.ndarray]:
        """Per draw: each size's loss against that draw's best (B, M), and each draw's best."""
        assert curve.cost_draws is not None
        c = curve.cost_draws
        if self.strategy == "cost":
            loss = c / c.min(axis=1, keepdims=True) - 1.0
        else:
            d = self._duration_draws(curve)
            if self.strategy == "speed":
                loss = np.maximum(d / d.min(axis=1, keepdims=True) - 1.0 - SPEED_TOLERANCE, 0.0)
            elif self.strategy == "balanced":
                score = balanced_score(c, d, self.balanced_weight)
                loss = score - score.min(axis=1, keepdims=True)
            else:
                assert self.max_p95_ms is not None
                ratio = curve.quantiles[self.percentile][0] / np.maximum(curve.mean, 1e-9)
                feasible = d * ratio[None, :] <= self.max_p95_ms
                masked = np.where(feasible, c, np.inf)
                best = masked.min(axis=1, keepdims=True)
                best = np.where(np.isfinite(best), best, c.min(axis=1, keepdims=True))
                loss = np.where(feasible, c / best - 1.0, np.inf)
        return loss, np.argmin(loss, axis=1)

    def _duration_draws(self, curve: CostCurve) -> np.ndarray:
        assert isinstance(self.fit, Fit)
        return self.fit.draws(curve.memory_mb)

    def _decision(self, curve: CostCurve, chosen: int) -> tuple[float, int | None]:
        """Share of draws in which ``chosen`` is within tolerance; the most-picked alternative."""
        loss, best = self._losses(curve)
        i = curve.index(chosen)
        ok = float(np.mean(loss[:, i] <= self.claim_bound))
        doubt = best[loss[:, i] > self.claim_bound]
        if not len(doubt):
            return ok, None
        values, counts = np.unique(doubt, return_counts=True)
        return ok, int(curve.memory_mb[int(values[np.argmax(counts)])])

    def _near_measured(self, memory_mb: int, measured: list[int]) -> int | None:
        """A measured size within 3% of ``memory_mb``, if any (a lattice step away is too far:
        between measured sizes a smooth model can miss a kink by several percent)."""
        if not measured:
            return None
        reach = 0.0 if self._exact else 0.03 * memory_mb
        dist = [abs(m - memory_mb) for m in measured]
        j = int(np.argmin(dist))
        return measured[j] if dist[j] <= reach else None

    def _plan(self, warm: dict[int, list[float]], fresh: int) -> list[Batch]:
        assert self.choice is not None
        measured = sorted(warm)
        if self._measured_only_plan:
            # The fit failed (too few sizes): add the next log-spaced size not measured yet.
            todo = [m for m in self.initial if m not in measured]
            if not todo:
                untried = [int(m) for m in self.grid if int(m) not in measured]
                if not untried:
                    self._reason = "no model fits and every size was measured"
                    return []
                todo = [untried[len(untried) // 2]]
            return [Batch(todo[0], fresh)]
        batches: dict[int, int] = {}
        counts = {m: len(v) for m, v in warm.items()}

        def add(memory_mb: int, count: int) -> None:
            """Sample ``memory_mb`` unless it already has enough samples or is planned."""
            if memory_mb not in batches and counts.get(memory_mb, 0) < self.max_per_size:
                batches[memory_mb] = count

        if self.time_budget_s is not None and self.curve is not None:
            # Interleave: one more at every measured size the choice rests on (tied sizes, the
            # cheapest, the choice), so drift between rounds lands on all of them alike.
            tied = self.tied(self.curve)
            for m in tied:
                at = self._near_measured(int(m), measured)
                if at is not None:
                    add(at, 1)
            # ... and the fastest tied size itself: the tie goes to it once its cost is bounded
            speed = [float(self.curve.mean[self.curve.index(int(m))]) for m in tied]
            fastest = int(tied[int(np.argmin(speed))])
            if self._near_measured(fastest, measured) is None:
                add(fastest, fresh)
            # ... and the speed edge (where more memory stops buying speed), tied or not: a
            # size left out of the tie on an unlucky handful of samples would otherwise never
            # be measured again, and its exclusion never tested. Fast sizes cost little time.
            edge = int(self.curve.memory_mb[speed_index(self.curve)])
            at = self._near_measured(edge, measured)
            add(at if at is not None else edge, self.batch_size if at is not None else fresh)

        chosen = self.choice.memory_mb
        near = self._near_measured(chosen, measured)
        confident = (self.confidence_reached or 0.0) >= self.confidence
        if self._explore is not None:
            add(self._explore, fresh)
        if self._bracket is not None:
            add(self._bracket, fresh - 1)
        if near is None:
            add(chosen, fresh)
        elif not confident or counts.get(near, 0) < MIN_AT_CHOICE:
            add(near, self.batch_size)
            if near != chosen and counts.get(near, 0) >= MAX_PER_SIZE:
                add(chosen, fresh)  # the neighbour is well known: test the size itself
        alt = self._alt
        if alt is not None:
            alt_near = self._near_measured(alt, measured)
            if alt_near is None:
                add(alt, fresh)
            else:
                add(alt_near, self.batch_size)
                if alt_near != alt and counts.get(alt_near, 0) >= MAX_PER_SIZE:
                    add(alt, fresh)
        # Doubt that more samples at known sizes cannot settle, or a stretch wide enough to
        # hide a dip: measure the middle of the widest gap (one warm sample: the pooled noise
        # estimate covers it).
        gap = self._gap_size(measured, MAX_GAP_RATIO) if batches else self._gap_size(measured)
        if gap is not None:
            add(gap, fresh - 1)
        if not batches:
            self._reason = "every candidate size was measured"
        return [Batch(m, n) for m, n in sorted(batches.items())]

    def _gap_size(self, measured: list[int], wider_than: float = 1.0) -> int | None:
        """The lattice size halving the widest log-scale gap between measured sizes (only gaps
        wider than the ratio ``wider_than``), or None."""
        pts = np.log(sorted(set(measured)))
        gaps = np.diff(pts)
        for j in np.argsort(-gaps):
            if gaps[j] <= np.log(wider_than):
                break
            mid = self.snap(float(np.exp((pts[j] + pts[j + 1]) / 2)))
            if mid not in measured:
                return mid
        return None

    def _within_budget(self, batches: list[Batch], observations: Observations) -> list[Batch]:
        left = self.max_invocations - observations.invocations
        if left <= 0:
            self._reason = f"invocation budget reached ({self.max_invocations})"
            return []
        out: list[Batch] = []
        spend_left = (
            None if self.max_spend_usd is None else self.max_spend_usd - observations.spend_usd
        )
        for b in batches:
            n = min(b.count, left)
            if spend_left is not None and self.curve is not None:
                j = int(np.argmin(np.abs(self.curve.memory_mb - b.memory_mb)))
                per = float(self.curve.cost_hi[j])
                n = min(n, int(spend_left // per) if per > 0 else n)
                spend_left -= n * per
            if n > 0:
                out.append(Batch(b.memory_mb, n))
                left -= n
        if not out:
            self._reason = "spend budget reached" if spend_left is not None else "budget reached"
        return out
