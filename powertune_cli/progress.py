"""The tuning run's progress on stderr: a rich progress bar and one line per event."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from powertune.tune.tuner import Observer
from powertune.types import FunctionInfo, Sample

err = Console(stderr=True)


class ProgressObserver(Observer):
    """Shows the run on stderr with a rich progress bar."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=quiet,
        )
        self.task = self.progress.add_task("starting", total=0)
        self.current = ""

    def __enter__(self) -> ProgressObserver:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _log(self, text: str) -> None:
        if not self.quiet:
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
        total = (self.progress.tasks[0].total or 0) + count
        self.progress.update(self.task, total=total, description="invoking")

    def on_sample(self, sample: Sample, *, warmup: bool) -> None:
        if not warmup:
            self.progress.advance(self.task)

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
