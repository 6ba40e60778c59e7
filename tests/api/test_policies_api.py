"""Interaction policies in the client API: Mastodon's quote_approval_policy, QuoteApproval
and source.quote_policy, GoToSocial's interaction_policy and default policies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models.interaction_policies import PostPolicy
from server.services.interaction_policies import PRESETS, Policy
from tests.api.schemas import assert_shape
from tests.api.test_grant_cache import api, token_for
from tests.conftest import publish_due


@pytest.fixture
async def ana(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api(app, await token_for(app, "ana", clock)) as client:
        yield client


@pytest.fixture
async def ben(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api(app, await token_for(app, "ben", clock)) as client:
        yield client


async def stored(app: Starlette, status_id: str) -> Policy | None:
    async with app.state.sessions() as session:
        row = await session.get(PostPolicy, int(status_id))
        return Policy.from_json(row.policy) if row else None


async def published(
    app: Starlette, clock: FrozenClock, client: httpx.AsyncClient, **form: str
) -> str:
    answer = await client.post("/api/v1/statuses", data={"status": "Tea on the porch", **form})
    assert answer.status_code == 200, answer.text
    await publish_due(app, clock, 60)
    return str(answer.json()["id"])


async def test_a_new_post_follows_the_community_default_and_strangers_ask_to_quote(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient, ben: httpx.AsyncClient
) -> None:
    """Nobody chose anything: the norms say followers (and people mentioned) quote,
    others ask. Ben, a stranger, sees that he would have to ask; Ana may always."""
    status_id = await published(app, clock, ana)
    assert await stored(app, status_id) == Policy(quote=PRESETS["followers-others-ask"])
    seen = (await ben.get(f"/api/v1/statuses/{status_id}")).json()
    assert_shape("Status", seen)
    assert seen["quote_approval"] == {
        "automatic": ["followers", "unsupported_policy"],
        "manual": ["public"],
        "current_user": "manual",
    }
    assert_shape("InteractionPolicy", seen["interaction_policy"])
    assert seen["interaction_policy"]["can_reply"] == {
        "automatic_approval": ["author", "public"],
        "manual_approval": [],
    }
    own = (await ana.get(f"/api/v1/statuses/{status_id}")).json()
    assert own["quote_approval"]["current_user"] == "automatic"


async def test_quote_approval_policy_nobody_denies_everyone_but_the_author(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient, ben: httpx.AsyncClient
) -> None:
    status_id = await published(app, clock, ana, quote_approval_policy="nobody")
    seen = (await ben.get(f"/api/v1/statuses/{status_id}")).json()
    assert seen["quote_approval"] == {"automatic": [], "manual": [], "current_user": "denied"}
    timeline = (await ben.get("/api/v1/timelines/public")).json()
    assert [s["quote_approval"]["current_user"] for s in timeline] == ["denied"]


async def test_a_wrong_quote_policy_is_refused_and_nothing_is_posted(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient
) -> None:
    answer = await ana.post(
        "/api/v1/statuses", data={"status": "Hello", "quote_approval_policy": "friends"}
    )
    assert answer.status_code == 422
    assert "public, followers or nobody" in answer.json()["error"]
    bad = await ana.post(
        "/api/v1/statuses",
        json={"status": "Hello", "interaction_policy": {"can_quote": {"automatic_approval": []}}},
    )
    assert bad.status_code == 422 and "can_quote" in bad.json()["error"]
    odd = await ana.post(
        "/api/v1/statuses",
        json={
            "status": "Hello",
            "interaction_policy": {"can_reply": {"automatic_approval": ["friends"]}},
        },
    )
    assert odd.status_code == 422 and "friends" in odd.json()["error"]
    async with app.state.sessions() as session:
        assert (await session.exec(select(PostPolicy))).all() == []


async def test_a_followers_only_post_is_never_quotable_whatever_the_app_asks(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient
) -> None:
    status_id = await published(
        app, clock, ana, visibility="private", quote_approval_policy="public"
    )
    found = await stored(app, status_id)
    assert (
        found is not None and found.quote == PRESETS["nobody"] and found.boost == PRESETS["nobody"]
    )


async def test_gotosocial_interaction_policy_sets_the_rules_it_names(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient, ben: httpx.AsyncClient
) -> None:
    """Ana's app sends GoToSocial's object: replies from her followers, others ask."""
    answer = await ana.post(
        "/api/v1/statuses",
        json={
            "status": "Thinking out loud",
            "interaction_policy": {
                "can_reply": {
                    "automatic_approval": ["followers", "me"],
                    "manual_approval": ["public"],
                }
            },
        },
    )
    assert answer.status_code == 200, answer.text
    found = await stored(app, answer.json()["id"])
    assert found is not None
    assert found.reply.automatic == {"followers"} and found.reply.manual == {"public"}
    assert found.like == PRESETS["anyone"]  # not named: as it would have been


async def test_ana_changes_who_may_quote_a_published_post(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient, ben: httpx.AsyncClient
) -> None:
    status_id = await published(app, clock, ana, quote_approval_policy="nobody")
    changed = await ana.put(
        f"/api/v1/statuses/{status_id}/interaction_policy",
        data={"quote_approval_policy": "public"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["quote_approval"]["automatic"] == ["public"]
    seen = (await ben.get(f"/api/v1/statuses/{status_id}")).json()
    assert seen["quote_approval"]["current_user"] == "automatic"
    # Ben cannot change Ana's post: it is not his.
    refused = await ben.put(
        f"/api/v1/statuses/{status_id}/interaction_policy",
        data={"quote_approval_policy": "nobody"},
    )
    assert refused.status_code == 404
    empty = await ana.put(f"/api/v1/statuses/{status_id}/interaction_policy", data={})
    assert empty.status_code == 422
    assert (await stored(app, status_id)) == Policy(quote=PRESETS["anyone"])


async def test_default_policies_are_read_and_changed_as_gotosocial_does(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient
) -> None:
    found = await ana.get("/api/v1/interaction_policies/defaults")
    assert found.status_code == 200
    body = found.json()
    assert sorted(body) == ["direct", "private", "public", "unlisted"]
    for policy in body.values():
        assert_shape("InteractionPolicy", policy)
    # Followers-only posts are never boosted: only their author may.
    assert body["private"]["can_reblog"] == {
        "automatic_approval": ["author"],
        "manual_approval": [],
    }
    changed = await ana.patch(
        "/api/v1/interaction_policies/defaults",
        json={"public": {"can_reply": {"automatic_approval": ["followers"]}}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["public"]["can_reply"]["automatic_approval"] == ["author", "followers"]
    assert changed.json()["unlisted"]["can_reply"]["automatic_approval"] == ["author", "public"]
    status_id = await published(app, clock, ana)
    found_policy = await stored(app, status_id)
    assert found_policy is not None and found_policy.reply.automatic == {"followers"}
    wrong = await ana.patch(
        "/api/v1/interaction_policies/defaults",
        json={"public": {"can_reply": {"automatic_approval": ["everyone"]}}},
    )
    assert wrong.status_code == 422


async def test_the_default_quote_policy_in_credentials_and_preferences(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient
) -> None:
    """Mastodon's words: the norms' default (followers, others ask) reads as followers."""
    mine = (await ana.get("/api/v1/accounts/verify_credentials")).json()
    assert_shape("CredentialAccount", mine)
    assert mine["source"]["quote_policy"] == "followers"
    changed = await ana.patch(
        "/api/v1/accounts/update_credentials", data={"source[quote_policy]": "nobody"}
    )
    assert changed.status_code == 200 and changed.json()["source"]["quote_policy"] == "nobody"
    preferences = (await ana.get("/api/v1/preferences")).json()
    assert_shape("Preferences", preferences)
    assert preferences["posting:default:quote_policy"] == "nobody"
    wrong = await ana.patch(
        "/api/v1/accounts/update_credentials",
        data={"display_name": "Ana B", "source[quote_policy]": "everyone"},
    )
    assert wrong.status_code == 422
    assert (await ana.get("/api/v1/accounts/verify_credentials")).json()["display_name"] != "Ana B"
    status_id = await published(app, clock, ana)
    assert (await stored(app, status_id)) == Policy(quote=PRESETS["nobody"])


async def test_an_edit_can_change_who_may_quote(
    app: Starlette, clock: FrozenClock, ana: httpx.AsyncClient
) -> None:
    status_id = await published(app, clock, ana, quote_approval_policy="nobody")
    edited = await ana.put(
        f"/api/v1/statuses/{status_id}",
        data={"status": "Tea on the porch, with cake", "quote_approval_policy": "followers"},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["quote_approval"]["automatic"] == ["followers", "unsupported_policy"]
    assert (await stored(app, status_id)) == Policy(quote=PRESETS["followers"])
