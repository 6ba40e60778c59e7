"""Reading path and query parameters, with a clear 400 or 404 when they are malformed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

_MAX_ID = 2**63 - 1


def query_id(request: Request, name: str) -> int | None:
    """An optional numeric id from the query string."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) > _MAX_ID:
        raise HTTPException(400, f"“{name}” must be a number.")
    return int(raw)


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path; anything else is a page that does not exist."""
    raw = str(request.path_params[name])
    if not raw.isdigit() or int(raw) > _MAX_ID:
        raise HTTPException(404)
    return int(raw)
