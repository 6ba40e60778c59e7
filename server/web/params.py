"""Reading ids from the path, the query string and forms, with a clear 400, 404 or 422
when they are malformed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

_MAX_ID = 2**63 - 1


def as_id(raw: str | None) -> int | None:
    """`raw` as an id Porch could have made: ASCII digits (str.isdigit also takes "²",
    which int() refuses) within 64 bits; None for anything else."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if value <= _MAX_ID else None


def query_id(request: Request, name: str) -> int | None:
    """An optional numeric id from the query string."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = as_id(raw)
    if value is None:
        raise HTTPException(400, f"“{name}” must be a number.")
    return value


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path; anything else is a page that does not exist."""
    value = as_id(str(request.path_params[name]))
    if value is None:
        raise HTTPException(404)
    return value


def form_id(raw: str, message: str) -> int | None:
    """An optional id from a form field; 422 with `message` when it is not one."""
    if raw == "":
        return None
    value = as_id(raw)
    if value is None:
        raise HTTPException(422, message)
    return value
