"""Collectors: what powertune reads from AWS (CloudWatch Logs and metrics, and in ``account/``
what ``analyze`` reads from an account). The pure parsing of the records is ``powertune.logs``."""
