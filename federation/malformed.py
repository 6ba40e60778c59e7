"""The error every reader of other servers' JSON raises for what Porch cannot read."""


class Malformed(Exception):
    """The payload is not something Porch can read; str(exc) says why."""
