"""Duration-versus-memory models: ``fit_curve`` returns a ``Fit`` (or a ``FitFailure``)."""

from powertune.models.fit import Fit, FitFailure, Prediction, fit_curve, trimmed_mean
from powertune.models.forms import FORMS, Form

__all__ = ["FORMS", "Fit", "FitFailure", "Form", "Prediction", "fit_curve", "trimmed_mean"]
