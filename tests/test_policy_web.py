"""Who may reply, boost and quote, on the web: Ana's defaults, the composer's choices and
what an intent brings, one post's rules changed, and what readers' controls say."""

from __future__ import annotations

from sqlmodel import select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import MemberRole, Post
from server.models.interaction_policies import PolicyDefault, PostPolicy
from server.services import accounts, norms
from server.services.interaction_policies import PRESETS, Policy
from tests.conftest import Person, csrf_from, publish_due

VENTING = "venting — no advice please"


async def policy_of(app: Starlette, post_id: int) -> Policy:
    async with app.state.sessions() as session:
        row = await session.get(PostPolicy, post_id)
        assert row is not None
        return Policy.from_json(row.policy)


async def compose(person: Person, **form: str) -> int:
    data = {"text": "Long day at the workshop", "visibility": "public", **form}
    answer = await person.client.post("/posts", data={**data, "csrf_token": await person.token()})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


async def test_ana_sets_her_defaults_and_her_next_post_follows_them(app, people) -> None:
    ana = people["ana"]
    page = await ana.client.get("/settings/interactions")
    assert page.status_code == 200
    assert 'href="/settings" aria-current="page"' in page.text  # in the Settings area
    # Followers-only and direct posts are never boosted or quoted: nothing to choose.
    assert 'id="followers_quote">Never' in page.text and 'name="followers_quote"' not in page.text
    token = await csrf_from(ana.client, "/settings/interactions")
    saved = await ana.client.post(
        "/settings/interactions",
        data={
            "public_reply": "followers-others-ask",
            "public_quote": "nobody",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    post_id = await compose(ana)
    found = await policy_of(app, post_id)
    assert found.reply == PRESETS["followers-others-ask"] and found.quote == PRESETS["nobody"]
    again = await ana.client.get("/settings/interactions")
    assert '<option value="nobody" selected>' in again.text


async def test_a_defaults_form_without_its_token_or_with_a_made_up_choice_changes_nothing(
    app, people
) -> None:
    ana = people["ana"]
    forged = await ana.client.post("/settings/interactions", data={"public_reply": "nobody"})
    assert forged.status_code == 403
    token = await csrf_from(ana.client, "/settings/interactions")
    odd = await ana.client.post(
        "/settings/interactions", data={"public_reply": "everyone", "csrf_token": token}
    )
    assert odd.status_code == 422
    assert (
        '<p class="field-error" id="public_reply-error">“everyone” is not one of the choices'
        in (odd.text)
    )
    async with app.state.sessions() as session:
        assert (await session.exec(select(PolicyDefault))).all() == []


async def test_the_composer_shows_the_rules_in_force_and_what_venting_brings(app, people) -> None:
    page = await people["ana"].client.get("/compose")
    assert "Who may reply, boost and quote:" in page.text
    assert (
        "anyone may reply; anyone may boost; quotes from people who do not follow you need "
        "your approval" in page.text
    )
    assert "“venting — no advice please” brings: replies from people who are not mutuals" in (
        page.text.replace("&#34;", '"')
    )


async def test_venting_brings_its_rules_and_ana_can_change_one_for_this_post(app, people) -> None:
    ana = people["ana"]
    venting = await policy_of(app, await compose(ana, intent=VENTING))
    assert venting.reply == PRESETS["mutuals-others-ask"] and venting.quote == PRESETS["nobody"]
    mine = await policy_of(app, await compose(ana, intent=VENTING, policy_reply="anyone"))
    assert mine.reply == PRESETS["anyone"] and mine.quote == PRESETS["nobody"]


async def test_intent_rules_win_over_ana_s_default_and_her_choice_wins_over_both(
    app, people
) -> None:
    ana = people["ana"]
    token = await csrf_from(ana.client, "/settings/interactions")
    await ana.client.post(
        "/settings/interactions", data={"public_quote": "anyone", "csrf_token": token}
    )
    assert (await policy_of(app, await compose(ana))).quote == PRESETS["anyone"]
    assert (await policy_of(app, await compose(ana, intent=VENTING))).quote == PRESETS["nobody"]
    chosen = await compose(ana, intent=VENTING, policy_quote="followers")
    assert (await policy_of(app, chosen)).quote == PRESETS["followers"]


async def test_a_refused_post_comes_back_with_the_rules_ana_chose(app, people) -> None:
    ana = people["ana"]
    answer = await ana.client.post(
        "/posts",
        data={
            "text": "",
            "visibility": "public",
            "policy_quote": "nobody",
            "csrf_token": await ana.token(),
        },
    )
    assert answer.status_code == 422
    assert '<option value="nobody" selected>' in answer.text
    assert "no quotes" in answer.text
    bad = await ana.client.post(
        "/posts",
        data={"text": "Hi", "policy_quote": "all", "csrf_token": await ana.token()},
    )
    assert bad.status_code == 422
    async with app.state.sessions() as session:
        assert (await session.exec(select(Post))).all() == []


async def test_ben_sees_that_only_ana_s_followers_can_reply(app, clock, people, visitor) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await compose(ana, policy_reply="followers")
    await publish_due(app, clock, 60)
    page = await ben.client.get(f"/@ana/{post_id}")
    assert "replies limited" in page.text
    assert "Only people who follow ana can reply" in page.text
    assert f'href="/compose?reply_to={post_id}"' not in page.text
    await ben.follow("ana")
    page = await ben.client.get(f"/@ana/{post_id}")
    assert f'href="/compose?reply_to={post_id}"' in page.text
    seen = await visitor.get(f"/@ana/{post_id}")
    assert "replies limited" in seen.text


async def test_cleo_is_told_she_would_ask_before_replying(app, clock, people) -> None:
    ana, cleo = people["ana"], people["cleo"]
    await compose(ana, policy_reply="followers-others-ask")
    await publish_due(app, clock, 60)
    page = await cleo.client.get("/local")
    assert "Ask to reply" in page.text and "Asks ana first" in page.text


async def test_ana_changes_who_may_quote_one_post_and_only_she_can(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await compose(ana, visibility="followers")
    await publish_due(app, clock, 60)
    page = await ana.client.get(f"/posts/{post_id}/policy")
    assert page.status_code == 200 and "Never: this post is for your followers only" in page.text
    assert (await ben.client.get(f"/posts/{post_id}/policy")).status_code == 404
    token = await csrf_from(ana.client, f"/posts/{post_id}/policy")
    saved = await ana.client.post(
        f"/posts/{post_id}/policy",
        data={"policy_reply": "mutuals", "policy_quote": "anyone", "csrf_token": token},
    )
    assert saved.status_code == 303
    found = await policy_of(app, post_id)
    assert found.reply == PRESETS["mutuals"]
    assert found.quote == PRESETS["nobody"]  # a followers-only post stays unquotable
    refused = await ben.client.post(
        f"/posts/{post_id}/policy", data={"policy_reply": "anyone", "csrf_token": token}
    )
    assert refused.status_code in (403, 404)
    assert (await policy_of(app, post_id)).reply == PRESETS["mutuals"]


async def test_an_admin_is_told_which_line_of_intents_rules_is_wrong(
    app: Starlette, clock: FrozenClock, people
) -> None:
    ana = people["ana"]
    async with app.state.sessions() as session:
        admin = await accounts.local_member(session, "ana")
        admin.member.role = MemberRole.admin
        session.add(admin.member)
        await session.commit()
    for value, says in (
        ("gossip: reply=nobody", "“gossip” is not one of the intents"),
        ("celebrating: reply=everyone", "“everyone” is not a preset"),
        ("celebrating: reblog=anyone", "should be reply=, like=, boost= or quote="),
        ("celebrating", "needs an intent, a colon, then rules"),
    ):
        token = await csrf_from(ana.client, "/admin/norms")
        answer = await ana.client.post(
            "/admin/norms",
            data={"name": "intents.rules", "value": value, "reason": "try", "csrf_token": token},
        )
        assert answer.status_code == 422, value
        assert says in answer.text.replace("&#34;", '"'), value
    token = await csrf_from(ana.client, "/admin/norms")
    fine = await ana.client.post(
        "/admin/norms",
        data={
            "name": "intents.rules",
            "value": "celebrating: quote=anyone, reply=anyone",
            "reason": "joy travels",
            "csrf_token": token,
        },
    )
    assert fine.status_code == 303
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    assert found["intents.rules"] == ["celebrating: quote=anyone, reply=anyone"]
    venting = await policy_of(app, await compose(ana, intent=VENTING))
    assert venting.quote == PRESETS["followers-others-ask"]  # venting brings nothing now
    assert (await policy_of(app, await compose(ana, intent="celebrating"))).quote == PRESETS[
        "anyone"
    ]


async def test_an_admin_can_leave_intents_without_rules(app: Starlette, people) -> None:
    ana = people["ana"]
    async with app.state.sessions() as session:
        admin = await accounts.local_member(session, "ana")
        admin.member.role = MemberRole.admin
        session.add(admin.member)
        await session.commit()
    token = await csrf_from(ana.client, "/admin/norms")
    answer = await ana.client.post(
        "/admin/norms",
        data={"name": "intents.rules", "value": "", "reason": "no rules", "csrf_token": token},
    )
    assert answer.status_code == 303, answer.text
    venting = await policy_of(app, await compose(ana, intent=VENTING))
    assert venting == Policy(quote=PRESETS["followers-others-ask"])
