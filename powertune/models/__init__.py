"""Duration-versus-memory models: ``fit.fit_curve`` returns a ``Fit`` (or a ``FitFailure``) over
the candidate ``forms.FORMS``; ``cpu_share`` is the memory-to-CPU rule.

Nothing is imported here: the fit needs scipy, and what only reads the size limits
(``cpu_share``) must not load it.
"""
