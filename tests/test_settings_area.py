"""Ana's Settings area: one index, her preferences kept and used, the people she mutes
and blocks listed with a way back, and her data to take with her."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile

from tests.conftest import publish_due


async def _send(person, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = await person.token(path if not path.endswith(("unmute", "unblock")) else "/settings")
    return await person.client.post(path, data={**data, "csrf_token": token})


async def test_the_settings_index_lists_every_part(app, people) -> None:
    page = (await people["ana"].client.get("/settings")).text
    for path in (
        "/settings/profile",
        "/settings/preferences",
        "/settings/interactions",
        "/settings/muted",
        "/settings/blocked",
        "/settings/notifications",
        "/settings/apps",
        "/settings/sessions",
        "/settings/password",
        "/settings/standing",
        "/settings/export",
    ):
        assert f'href="{path}"' in page, path
    assert ">Apps</a>" in page  # "Settings > Apps", as the README says
    assert 'href="/settings"' in (await people["ana"].client.get("/")).text


async def test_preferences_are_kept_and_the_composer_and_apps_use_them(app, people) -> None:
    ana = people["ana"]
    saved = await _send(
        ana,
        "/settings/preferences",
        default_visibility="followers",
        language="pt",
        home_order="latest",
        show_counts="on",
    )
    assert saved.status_code == 303
    page = (await ana.client.get("/settings/preferences")).text
    assert re.search(r'value="followers" checked', page)
    assert re.search(r'<option value="pt" selected>', page)
    assert re.search(r'value="latest" checked', page)
    compose = (await ana.client.get("/compose")).text
    assert re.search(r'value="followers"[^>]*selected', compose)

    token_page = await ana.client.get("/settings/preferences")
    assert token_page.status_code == 200
    async with app.state.sessions() as session:
        from server.services import accounts, preferences

        member = await accounts.local_member(session, "ana")
        chosen = await preferences.chosen(session, member.member)
    assert chosen.show_counts and chosen.home_order == "latest" and chosen.language == "pt"


async def test_wrong_preferences_are_all_refused_and_nothing_kept(app, people) -> None:
    ana = people["ana"]
    refused = await _send(
        ana, "/settings/preferences", default_visibility="direct", language="xx", home_order="up"
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert "3 things need fixing" in page
    assert "Choose public, unlisted or followers only." in page
    compose = (await ana.client.get("/compose")).text
    assert re.search(r'value="public"[^>]*selected', compose)


async def test_ana_unmutes_and_unblocks_from_her_lists(app, people) -> None:
    ana = people["ana"]
    await _send(ana, "/@ben/mute", duration="0", notifications="on")
    await _send(ana, "/@cleo/block")
    muted = (await ana.client.get("/settings/muted")).text
    assert 'href="/@ben"' in muted and 'action="/settings/muted/ben/unmute"' in muted
    blocked = (await ana.client.get("/settings/blocked")).text
    assert 'href="/@cleo"' in blocked and 'action="/settings/blocked/cleo/unblock"' in blocked

    undone = await _send(ana, "/settings/muted/ben/unmute")
    assert undone.status_code == 303 and undone.headers["location"] == "/settings/muted"
    after = (await ana.client.get("/settings/muted")).text
    assert "You no longer mute @ben." in after and "You mute nobody." in after
    await _send(ana, "/settings/blocked/cleo/unblock")
    assert "You block nobody." in (await ana.client.get("/settings/blocked")).text


async def test_the_lists_show_only_ones_own(app, people) -> None:
    await _send(people["ben"], "/@cleo/block")
    assert "You block nobody." in (await people["ana"].client.get("/settings/blocked")).text


async def test_ana_downloads_her_data_in_files_mastodon_imports(app, clock, people) -> None:
    ana = people["ana"]
    await ana.follow("ben")
    await _send(ana, "/@cleo/block")
    await _send(ana, "/@ben/mute", duration="0", notifications="on")
    await ana.post("Tea at five?")
    await ana.post("Only for my followers", visibility="followers")
    await publish_due(app, clock, 60)
    await people["ben"].post("Not Ana's")

    answer = await ana.client.get("/settings/export/download")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "no-store"
    assert re.match(
        r'attachment; filename="porch-ana-\d{4}-\d\d-\d\d\.zip"',
        answer.headers["content-disposition"],
    )
    bundle = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(bundle.namelist()) == [
        "blocked_accounts.csv",
        "following_accounts.csv",
        "muted_accounts.csv",
        "posts.json",
        "profile.json",
    ]
    profile = json.loads(bundle.read("profile.json"))
    assert profile["address"] == "ana@localhost:8000" and profile["email"] == "ana@example.com"
    texts = [p["text"] for p in json.loads(bundle.read("posts.json"))]
    assert sorted(texts) == ["Only for my followers", "Tea at five?"]  # not Ben's
    following = list(csv.reader(io.StringIO(bundle.read("following_accounts.csv").decode())))
    assert following == [
        ["Account address", "Show boosts", "Notify on new posts", "Languages"],
        ["ben@localhost:8000", "true", "false", ""],
    ]
    assert bundle.read("blocked_accounts.csv").decode() == "cleo@localhost:8000\n"
    muted = bundle.read("muted_accounts.csv").decode().splitlines()
    assert muted == ["Account address,Hide notifications", "ben@localhost:8000,true"]


async def test_the_export_needs_a_login(app, visitor) -> None:
    answer = await visitor.get("/settings/export/download")
    assert answer.status_code in (302, 303, 401)
    assert answer.headers.get("content-type") != "application/zip"


async def test_apps_start_new_posts_as_ana_prefers(app, clock, people) -> None:
    from tests.api.test_grant_cache import api, token_for

    await _send(
        people["ana"],
        "/settings/preferences",
        default_visibility="unlisted",
        language="de",
        home_order="conversations",
    )
    async with api(app, await token_for(app, "ana", clock)) as phone:
        own = (await phone.get("/api/v1/accounts/verify_credentials")).json()
        chosen = (await phone.get("/api/v1/preferences")).json()
    assert own["source"]["privacy"] == "unlisted"
    assert chosen["posting:default:visibility"] == "unlisted"
    assert chosen["posting:default:language"] == "de"


async def test_posts_that_do_not_say_their_language_are_in_the_one_ana_writes_in(
    app, clock, people
) -> None:
    from sqlmodel import select

    from server.models import Post
    from tests.api.test_grant_cache import api, token_for

    ana = people["ana"]
    await _send(
        ana,
        "/settings/preferences",
        default_visibility="public",
        language="de",
        home_order="conversations",
    )
    from_web = await ana.post("Guten Morgen vom Balkon.")
    async with api(app, await token_for(app, "ana", clock)) as phone:
        unsaid = (await phone.post("/api/v1/statuses", data={"status": "Kaffee?"})).json()
        said = (
            await phone.post("/api/v1/statuses", data={"status": "Coffee?", "language": "en"})
        ).json()
    assert (unsaid["language"], said["language"]) == ("de", "en")
    async with app.state.sessions() as session:
        post = (await session.exec(select(Post).where(Post.id == from_web))).one()
    assert post.language == "de"
