"""Errors raised by the pricing package."""

from powertune.errors import InputError, PowertuneError


class PricingError(PowertuneError):
    """The catalog could not be read or refreshed (exit code 3)."""


class UnknownPricingKey(InputError):
    """A region, architecture, plan or OS the catalog does not know (exit code 2)."""
