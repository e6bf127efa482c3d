"""Errors of the apply package (exit codes as powertune.errors)."""

from powertune.errors import InputError, PowertuneError


class TemplateError(InputError):
    """A template that cannot be read or parsed (exit 2): names the file and, where known, line."""


class ApplyError(PowertuneError):
    """Applying to a live function failed or was refused (exit 3)."""
