"""Errors raised by the pricing package. pricing/ imports nothing from powertune: these have their
own base, and carry the exit code the CLI gives them (as powertune's errors do)."""


class PricingError(Exception):
    """The catalog could not be read or refreshed (exit code 3)."""

    exit_code = 3


class PricingInputError(PricingError):
    """Input the pricing math cannot accept: a negative quantity, a bad task size (exit code 2)."""

    exit_code = 2


class UnknownPricingKey(PricingInputError):
    """A region, architecture, plan or OS the catalog does not know (exit code 2)."""
