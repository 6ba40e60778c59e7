"""The inboxes (personal and shared): verify, parse, check origin, apply once, answer."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from federation import bodies, dispatch, incoming
from federation.authentication import Refused, as_incoming, federation, signer
from federation.incoming import Malformed
from federation.runtime import Federation
from server.db import unavailable
from server.json_response import JSONResponse
from server.models import ReceivedActivity
from server.services import accounts, remote_actors
from server.services.errors import NotFound
from server.services.rows import write_once

log = logging.getLogger(__name__)

_MEDIA_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def _answer(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


async def receive(request: Request) -> Response:
    """POST /inbox and /users/{name}/inbox.

    202 once applied (or ignored as irrelevant); 4xx for what must never be sent again;
    503 for trouble on this side, so the sender retries later. Database trouble (busy
    or away) is left to the app's outage handler, which answers 503 with Retry-After.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _MEDIA_TYPES:
        return _answer(415, "Send activities as application/activity+json.")
    body = await request.body()
    fed = federation(request)
    async with fed.sessions() as session:
        username = request.path_params.get("username")
        if username is not None:
            try:
                await accounts.local_actor(session, username)
            except NotFound:
                # Gone for good: Mastodon stops delivering on a 4xx other than 429.
                return _answer(404, f"There is nobody called {username} here.")
        # Mastodon's account deletions fan out to every server that ever saw the account,
        # and its key is gone by then: one Porch never knew costs no fetch (as Mastodon's
        # inbox skips them), and one whose key cannot be checked any more is not retried.
        leaving = _self_delete(body)
        if leaving is not None and await remote_actors.by_uri(session, leaving) is None:
            return Response(status_code=202)
        try:
            actor = await signer(fed, session, as_incoming(request, body))
        except Refused as exc:
            if exc.status == 401 and leaving is not None:
                return Response(status_code=202)
            log.info("refused inbox POST: %s %s", exc.status, exc)
            return _answer(exc.status, str(exc))
        signer_uri = actor.uri  # read now: a rollback below expires the row
        await fed.heard(session, incoming.host(signer_uri or ""))
        try:
            data = bodies.loads(body)
            activity = incoming.activity(data)
        except Malformed as exc:
            log.info("malformed activity from %s: %s", signer_uri, exc)
            return _answer(400, str(exc))
        if not bodies.has_as2_context(data):
            return _answer(400, "The activity has no ActivityStreams @context.")
        if incoming.host(activity.id) != incoming.host(activity.actor):
            # Ids are remembered to ignore redeliveries: one minted for another server
            # would make Porch ignore that server's real activity when it comes.
            return _answer(400, "The activity's id must be on its actor's server.")
        try:
            # Written first, so it commits with whatever the activity changes; one
            # statement both remembers the id and tells a redelivery (PostgreSQL holds a
            # concurrent one until the first commits, then it writes nothing; on SQLite
            # writers take turns from here to the commit: server/writer_queue.py).
            if not await _first_time(fed, session, activity.id):
                return Response(status_code=202)  # a redelivery: already applied
            with _rollbacks(session) as rolled_back:
                await dispatch.apply(fed, session, actor, activity)
            if rolled_back:  # a refusal, or a retry inside, undid the row: write it again
                await _first_time(fed, session, activity.id)
            await session.commit()
        except IntegrityError:
            await session.rollback()  # the same activity applied concurrently
        except Malformed as exc:
            await session.rollback()
            log.info("unusable %s from %s: %s", activity.type, signer_uri, exc)
            return _answer(400, str(exc))
        except Exception as exc:
            if unavailable(exc):
                raise  # answered 503 with Retry-After, as above
            log.exception("failed to apply %s %s", activity.type, activity.id)
            return _answer(503, "Porch could not apply this activity now; try again later.")
    return Response(status_code=202)


async def _first_time(fed: Federation, session: AsyncSession, activity_id: str) -> bool:
    """Remember that `activity_id` arrived (the caller commits); False if it had already."""
    return await write_once(session, ReceivedActivity, uri=activity_id, received_at=fed.clock.now())


#: Where a session counts its rollbacks (one listener for all sessions: adding and
#: removing one per request cost more than the count).
_ROLLBACKS = "porch.inbox.rollbacks"


@event.listens_for(Session, "after_rollback")
def _count_rollback(session: Session) -> None:
    session.info[_ROLLBACKS] = session.info.get(_ROLLBACKS, 0) + 1


@contextlib.contextmanager
def _rollbacks(session: AsyncSession) -> Iterator[list[bool]]:
    """A list that gets an item for each rollback of `session` while the block runs."""
    info = session.sync_session.info
    before = info.get(_ROLLBACKS, 0)
    seen: list[bool] = []
    try:
        yield seen
    finally:
        seen.extend([True] * (info.get(_ROLLBACKS, 0) - before))


def _self_delete(body: bytes) -> str | None:
    """The actor id, if the body is an actor's Delete of their own account."""
    if b'"Delete"' not in body:
        return None  # spares parsing every other activity twice
    try:
        activity = incoming.activity(bodies.loads(body))
    except Malformed:
        return None
    if activity.type == "Delete" and activity.object_ref == activity.actor:
        return activity.actor
    return None
