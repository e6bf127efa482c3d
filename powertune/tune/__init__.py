"""The tuning pipeline, in the order data travels.

plan (config) -> targets -> search -> tuner -> decide -> build, tied together by run:
``run.prepare(plan)`` opens the target and builds the search, ``run.run`` measures and builds
the Result, ``run.price_dry_run`` says what a run would spend.
"""
