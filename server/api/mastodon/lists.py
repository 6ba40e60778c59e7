"""Lists and their timelines.

Lists are rendered from `ListView`, not from the table, so the list Porch makes itself,
Conversations (the member's home ranked by conversation), is served first beside the
member's own: any Mastodon app can read it as a list. It cannot be changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.paging import paged, window
from server.ids import MAX_SERIAL_ID, parse_id
from server.json_response import JSONResponse
from server.models import PersonList, RepliesPolicy
from server.services import accounts, lists, ranked_timeline, ranking, timelines


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


#: The built-in list: the Conversations timeline.
CONVERSATIONS = ListView("conversations", "Conversations", RepliesPolicy.followed.value, False)


def _builtin(call: Call) -> bool:
    return str(call.request.path_params.get("id", "")) == CONVERSATIONS.id


def _refuse_builtin(call: Call) -> None:
    if _builtin(call):
        raise ApiError(
            422, "Conversations is Porch's ranked home timeline; it has no members to change."
        )


def _account_ids(call: Call) -> list[int]:
    found = [parse_id(raw, most=MAX_SERIAL_ID) for raw in call.params.texts("account_ids")]
    if not found or any(i is None for i in found):
        raise ApiError(422, "account_ids must list the ids of people you follow.")
    return [i for i in found if i is not None]


def _actor_id(call: Call) -> int:
    assert call.actor.id is not None
    return call.actor.id


@endpoint("read:lists")
async def index(call: Call) -> Response:
    rows = await lists.of(call.session, _actor_id(call))
    return JSONResponse([CONVERSATIONS.entity()] + [ListView.of(r).entity() for r in rows])


@endpoint("read:lists")
async def show(call: Call) -> Response:
    if _builtin(call):
        return JSONResponse(CONVERSATIONS.entity())
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
    _refuse_builtin(call)
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
    _refuse_builtin(call)
    await lists.remove(call.session, _actor_id(call), call.path_id())
    return JSONResponse({})


@endpoint("read:lists")
async def members(call: Call) -> Response:
    if _builtin(call):
        return JSONResponse([])
    page = window(call.params, default=40, most=80)
    people = await lists.members(call.session, _actor_id(call), call.path_id(), page)
    body = await render.accounts(call, people)
    return paged(call.request, body, [a.id or 0 for a in people])


@endpoint("write:lists")
async def add_members(call: Call) -> Response:
    _refuse_builtin(call)
    await lists.add(call.session, _actor_id(call), call.path_id(), _account_ids(call))
    return JSONResponse({})


@endpoint("write:lists")
async def remove_members(call: Call) -> Response:
    _refuse_builtin(call)
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
    if _builtin(call):
        return await _conversations(call)
    chosen = await lists.own(call.session, _actor_id(call), call.path_id())
    page = await timelines.of_list(call.session, call.actor, chosen, window(call.params))
    body = await render.statuses(call, page.items)
    return paged(call.request, body, [v.post.id for v in page.items])


async def _conversations(call: Call) -> Response:
    """The ranked timeline. Apps page by the last post they showed (max_id, as in the
    Link header), which continues the order the member opened; asking for newer posts
    (since_id, min_id) has no meaning in a ranked order and answers an empty page."""
    page = window(call.params)
    if page.since_id is not None or page.min_id is not None:
        return paged(call.request, [], [])
    ranked = await ranked_timeline.page(
        call.session,
        _actor_id(call),
        call.now,
        ranking.weights(await call.norms()),
        after_post_id=page.max_id,
        limit=page.limit,
        kept=call.request.app.state.orders,
    )
    views = [item.view for item in ranked.items]
    body = await render.statuses(call, views)
    return paged(call.request, body, [v.post.id for v in views])
