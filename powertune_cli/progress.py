"""The tuning run's progress on stderr: a rich progress bar and one line per event."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from powertune.tune.tuner import Observer
from powertune.types import FunctionInfo, Sample

err = Console(stderr=True)


class ProgressObserver(Observer):
    """Shows the run on stderr with a rich progress bar."""

    def __init__(
        self, quiet: bool = False, *, verbosity: int | None = None, total: int = 0
    ) -> None:
        # -1 quiet (nothing), 0 the bar and a line per step, 1 also a line per invocation
        self.verbosity = verbosity if verbosity is not None else (-1 if quiet else 0)
        self.quiet = self.verbosity < 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=self.quiet,
        )
        # total: the run's upper bound (warm-ups included); it only grows if the run outgrows it
        self.task = self.progress.add_task("starting", total=total or None)
        self.planned = 0
        self.current = ""

    def __enter__(self) -> ProgressObserver:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _log(self, text: str, *, level: int = 0) -> None:
        if self.verbosity >= level:
            self.progress.console.print(text, highlight=False)

    def on_start(self, info: FunctionInfo) -> None:
        self._log(
            f"tuning {info.name} ({info.architecture}, {info.region}, "
            f"now {info.memory_mb} MB, log format {info.log_format})"
        )

    def on_configure(self, memory_mb: int) -> None:
        self.progress.update(self.task, description=f"configuring {memory_mb} MB")
        self._log(f"configuring {memory_mb} MB")

    def on_planned(self, count: int) -> None:
        self.planned += count
        total = max(self.progress.tasks[0].total or 0, self.planned)
        self.progress.update(self.task, total=total, description="invoking")

    def on_sample(self, sample: Sample, *, warmup: bool) -> None:
        self.progress.advance(self.task)
        if self.verbosity >= 1:  # -v: every invocation
            kind = "warm-up" if warmup else sample.status
            init = f", init {sample.init_ms:.1f} ms" if sample.init_ms else ""
            self._log(
                f"  {sample.memory_mb} MB {kind}: {sample.duration_ms:.1f} ms "
                f"(billed {sample.billed_ms} ms{init})",
                level=1,
            )

    def on_skip(self, memory_mb: int, reason: str) -> None:
        self._log(f"[yellow]skipping {memory_mb} MB: {reason}[/yellow]")

    def on_message(self, text: str) -> None:
        err.print(text, highlight=False)

    def on_restore(self, state: str) -> None:
        if state == "start":
            self.progress.update(self.task, description="restoring")
            self._log("restoring the configuration; deleting tuning aliases and versions")
        else:
            self._log("restored: original configuration back, tuning aliases and versions deleted")
