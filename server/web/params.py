"""Ids from the path, the query string and forms, read with the one id parser
(server/ids.py), with the web's answer when they are not ids: 400, 404 or 422."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from server.ids import MAX_ID, parse_id


def query_id(request: Request, name: str, *, most: int = MAX_ID) -> int | None:
    """An optional id from the query string; 400 when it is there and not an id."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = parse_id(raw, most=most)
    if value is None:
        raise HTTPException(400, f"“{name}” must be a number.")
    return value


def path_id(request: Request, name: str, *, most: int = MAX_ID) -> int:
    """An id from the path; anything else is a page that does not exist."""
    value = parse_id(str(request.path_params[name]), most=most)
    if value is None:
        raise HTTPException(404)
    return value


def form_id(raw: str, message: str, *, most: int = MAX_ID) -> int | None:
    """An optional id from a form field; 422 with `message` when it is not one."""
    if raw == "":
        return None
    value = parse_id(raw, most=most)
    if value is None:
        raise HTTPException(422, message)
    return value
