"""The health check that compose and load balancers poll."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from server.db import unavailable
from server.jobs import ArqJobs
from server.services import statements
from server.web.context import db

log = logging.getLogger(__name__)

#: A check that waits longer than this counts as a failure: pollers have their own timeouts.
CHECK_SECONDS = 3.0


async def _database_reachable(request: Request) -> bool:
    try:
        async with asyncio.timeout(CHECK_SECONDS), db(request) as session:
            await statements.execute(session, text("SELECT 1"))
    except TimeoutError:
        return False
    except Exception as error:
        if not unavailable(error):
            raise
        return False
    return True


async def healthz(request: Request) -> Response:
    """200 "ok" when the web process can reach its database, else 503 saying what is down.

    Redis being away is reported but keeps the answer 200: pages, posting and logins go on
    without it (the sweep publishes from the database), so taking the web process out of
    rotation would only make things worse.
    """
    problems = []
    database_up = await _database_reachable(request)
    if not database_up:
        problems.append("database: unreachable")
    jobs = getattr(request.app.state, "jobs", None)
    if isinstance(jobs, ArqJobs) and not await jobs.reachable(CHECK_SECONDS):
        problems.append("redis: unreachable (jobs wait for the worker's database sweep)")
    if not database_up:
        return PlainTextResponse(
            "\n".join(problems), status_code=503, headers={"Retry-After": "30"}
        )
    return PlainTextResponse("\n".join(["ok", *problems]))
