"""What a search decides once it stops: the fit, the curve the choice is priced on, the choice.

``Decision.curve`` is the one basis: the choice, its $/invocation and its $/month all come from
it (``basis`` says whether that is the measured sizes' own samples or the model). ``display`` is
the curve the report draws (the model, when one fitted); it prices only what ``curve`` cannot,
such as a current size that was never measured, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from powertune.models.fit import Fit, FitFailure, fit_curve
from powertune.tune.decide.costcurve import CostCurve, cost_curve, default_grid, warm_durations
from powertune.tune.decide.strategies import DEFAULT_TIE_BAND, Choice, choose
from powertune.tune.plan import SCORING_POWERTUNE
from powertune.types import Observations


@dataclass(frozen=True)
class DecideContext:
    """What deciding needs beyond the observations: prices, the function, the strategy."""

    catalog: Any
    region: str = "us-east-1"
    arch: str = "x86_64"
    ephemeral_mb: int = 512
    current_mb: int | None = None  # the function's size as found (priced for "now")
    strategy: str = "cost"
    balanced_weight: float = 0.5
    max_p95_ms: float | None = None
    percentile: int = 95
    tie_band: float = DEFAULT_TIE_BAND
    scoring: str = SCORING_POWERTUNE  # or aws-lambda-power-tuning's own (``strategies``)
    trim: float = 0.2
    cold_share: float = 0.0
    seed: int = 0
    memory_range: tuple[int, int] | None = None  # the range asked for (the display curve's)

    def choose(self, curve: CostCurve, strategy: str | None = None) -> Choice:
        return choose(
            strategy or self.strategy,
            curve,
            balanced_weight=self.balanced_weight,
            max_p95_ms=self.max_p95_ms,
            percentile=self.percentile,
            tie_band=self.tie_band,
            scoring=self.scoring,
        )

    def curve_kwargs(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "region": self.region,
            "arch": self.arch,
            "cold_share": self.cold_share,
            "ephemeral_mb": self.ephemeral_mb,
            "seed": self.seed,
        }

    def display_grid(self, observations: Observations, *extra: int) -> Any:
        warm = warm_durations(observations)
        lo, hi = self.memory_range or (min(warm), max(warm))
        current = (self.current_mb,) if self.current_mb and lo <= self.current_mb <= hi else ()
        return default_grid(lo, hi, extra=(*current, *warm, *extra))


@dataclass(frozen=True)
class Decision:
    """The choice, the curve it and its dollars come from, and the words a user needs."""

    fit: Fit | FitFailure | None
    curve: CostCurve  # the basis of the choice, its $/invocation and its $/month
    choice: Choice
    display: CostCurve | None = None  # the model curve the report draws (None: ``curve``)
    converged: bool | None = None  # None: the search makes no claim (a grid)
    evidence: str | None = None  # too little evidence, in plain words (None when enough)

    @property
    def basis(self) -> str:
        """ "measured" (the sizes' own samples) or "model"."""
        return self.curve.source

    @property
    def shown(self) -> CostCurve:
        return self.display if self.display is not None else self.curve


def measured_decision(observations: Observations, context: DecideContext) -> Decision | None:
    """The reference tool's decision: the strategy chooses among the measured sizes, each priced
    from its own (trimmed) samples; the model is still fitted so the report can draw it."""
    warm = warm_durations(observations)
    if not warm:
        return None
    kwargs = context.curve_kwargs()
    curve = cost_curve(None, observations, trim=context.trim, **kwargs)
    choice = context.choose(curve)
    fit = fit_curve(warm, seed=context.seed) if len(warm) >= 2 else FitFailure("fewer than 2 sizes")
    display = None
    if isinstance(fit, Fit):
        grid = context.display_grid(observations)
        display = cost_curve(fit, observations, memory_grid=grid, **kwargs)
    return Decision(fit=fit, curve=curve, choice=choice, display=display)
