"""Base errors of powertune's core. The CLI maps them to exit codes; nothing else prints them."""


class PowertuneError(Exception):
    """A tool or AWS failure (exit code 3)."""

    exit_code = 3


class InputError(PowertuneError):
    """Bad input from the user: flags, files, names (exit code 2)."""

    exit_code = 2
