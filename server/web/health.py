"""The health check that compose and load balancers poll."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.web.context import db


async def healthz(request: Request) -> Response:
    """200 when the web process can reach its database."""
    async with db(request) as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return PlainTextResponse("ok")
