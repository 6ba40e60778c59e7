"""Lists and their timelines.

Lists are rendered from `ListView`, not from the table, so lists Porch makes itself
(a ranked Conversations view, later) can be served beside the member's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.paging import paged, window
from server.api.mastodon.params import as_id
from server.models import PersonList, RepliesPolicy
from server.services import accounts, lists, timelines


@dataclass(frozen=True)
class ListView:
    id: str
    title: str
    replies_policy: str
    exclusive: bool

    @classmethod
    def of(cls, row: PersonList) -> ListView:
        return cls(str(row.id), row.title, RepliesPolicy(row.replies_policy).value, row.exclusive)

    def entity(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "replies_policy": self.replies_policy,
            "exclusive": self.exclusive,
        }


def _account_ids(call: Call) -> list[int]:
    found = [as_id(raw) for raw in call.params.texts("account_ids")]
    if not found or any(i is None for i in found):
        raise ApiError(422, "account_ids must list the ids of people you follow.")
    return [i for i in found if i is not None]


def _actor_id(call: Call) -> int:
    assert call.actor.id is not None
    return call.actor.id


@endpoint("read:lists")
async def index(call: Call) -> Response:
    rows = await lists.of(call.session, _actor_id(call))
    return JSONResponse([ListView.of(r).entity() for r in rows])


@endpoint("read:lists")
async def show(call: Call) -> Response:
    row = await lists.own(call.session, _actor_id(call), call.path_id())
    return JSONResponse(ListView.of(row).entity())


@endpoint("write:lists")
async def create(call: Call) -> Response:
    row = await lists.create(
        call.session,
        _actor_id(call),
        title=call.params.text("title"),
        replies_policy=call.params.text("replies_policy"),
        exclusive=call.params.flag("exclusive"),
        now=call.now,
    )
    return JSONResponse(ListView.of(row).entity())


@endpoint("write:lists")
async def update(call: Call) -> Response:
    row = await lists.change(
        call.session,
        _actor_id(call),
        call.path_id(),
        title=call.params.text("title"),
        replies_policy=call.params.text("replies_policy"),
        exclusive=call.params.flag("exclusive") if call.params.has("exclusive") else None,
    )
    return JSONResponse(ListView.of(row).entity())


@endpoint("write:lists")
async def delete(call: Call) -> Response:
    await lists.remove(call.session, _actor_id(call), call.path_id())
    return JSONResponse({})


@endpoint("read:lists")
async def members(call: Call) -> Response:
    page = window(call.params, default=40, most=80)
    people = await lists.members(call.session, _actor_id(call), call.path_id(), page)
    body = await render.accounts(call, people)
    return paged(call.request, body, [a.id or 0 for a in people])


@endpoint("write:lists")
async def add_members(call: Call) -> Response:
    await lists.add(call.session, _actor_id(call), call.path_id(), _account_ids(call))
    return JSONResponse({})


@endpoint("write:lists")
async def remove_members(call: Call) -> Response:
    await lists.take_off(call.session, _actor_id(call), call.path_id(), _account_ids(call))
    return JSONResponse({})


@endpoint("read:lists")
async def containing(call: Call) -> Response:
    """GET /api/v1/accounts/:id/lists: the member's lists that person is on."""
    person = await accounts.actor_by_id(call.session, call.path_id())
    assert person.id is not None
    rows = await lists.containing(call.session, _actor_id(call), person.id)
    return JSONResponse([ListView.of(r).entity() for r in rows])


@endpoint("read:lists")
async def timeline(call: Call) -> Response:
    chosen = await lists.own(call.session, _actor_id(call), call.path_id())
    page = await timelines.of_list(call.session, call.actor, chosen, window(call.params))
    body = await render.statuses(call, page.items)
    return paged(call.request, body, [v.post.id for v in page.items])
