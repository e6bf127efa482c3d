"""Errors of the apply package (exit codes as powertune.errors)."""

from powertune.errors import InputError, PowertuneError


class TemplateError(InputError):
    """A template that cannot be read or parsed (exit 2): names the file and, where known, line."""


class ApplyError(PowertuneError):
    """Applying to a live function failed or was refused (exit 3)."""


class NotApplied(ApplyError):
    """A change was refused and not made (exit 4, apply's "some recommendation was not
    applied"): the function changed since the measurement, another apply holds it, a rollback
    record that cannot be proven this apply's."""

    exit_code = 4
