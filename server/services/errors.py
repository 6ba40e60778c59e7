"""Errors the services raise; each carries a message a person can act on."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule said no. `message` is safe to show; `status` is the HTTP status doors use."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class RateLimited(ServiceError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Several(ServiceError):
    """More than one rule said no at once (a form with several wrong fields): `errors`
    holds each, so a page can show them all; `message` and `field` are the first's."""

    def __init__(self, errors: list[ServiceError]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors
        self.status = errors[0].status


def one_or_several(errors: list[ServiceError]) -> ServiceError:
    """The error to raise for `errors` (at least one): itself when alone."""
    return errors[0] if len(errors) == 1 else Several(errors)
