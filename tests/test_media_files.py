"""Uploads stay with what holds them: a withdrawn post's images go with its draft, and
files that no post, draft or profile holds are removed, from disk and from /media, after
a day's grace."""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from typing import Any

import httpx
from PIL import Image
from starlette.applications import Starlette

from tests.conftest import csrf_from, publish_due
from tests.test_exactly_once import bearer

DAY = 24 * 3600


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(picture, "PNG")
    return picture.getvalue()


async def upload(api: httpx.AsyncClient, description: str = "Our porch") -> dict[str, Any]:
    answer = await api.post(
        "/api/v2/media",
        files={"file": ("porch.png", png(), "image/png")},
        data={"description": description},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def served(client: httpx.AsyncClient, url: str) -> bool:
    return (await client.get(url)).status_code == 200


def form_of(page: str) -> dict[str, Any]:
    """The compose form's fields as a browser sends them (hidden inputs, ticked boxes)."""
    fields: dict[str, Any] = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    )
    ticked = re.findall(r'<input type="checkbox" name="media_ids" value="(\d+)" checked>', page)
    if ticked:
        fields["media_ids"] = ticked
    return fields


async def sweep(app: Starlette, clock, seconds: float) -> None:  # type: ignore[no-untyped-def]
    await publish_due(app, clock, seconds)


async def test_a_withdrawn_post_keeps_its_images_with_its_draft(
    app, clock, people, visitor
) -> None:
    """Ana posts a photo from her app, withdraws it on the web, and posts the draft."""
    ana = people["ana"]
    async with await bearer(app, "ana", clock) as api:
        image = await upload(api)
        posted = await api.post(
            "/api/v1/statuses", data={"status": "Our porch at dusk", "media_ids[]": image["id"]}
        )
        assert posted.status_code == 200, posted.text
        post_id = posted.json()["id"]
        token = await csrf_from(ana.client, f"/@ana/{post_id}")
        withdrawn = await ana.client.post(f"/posts/{post_id}/withdraw", data={"csrf_token": token})
        composer = (await ana.client.get(withdrawn.headers["location"])).text
        assert "Our porch at dusk" in composer
        assert f'name="media_ids" value="{image["id"]}" checked' in composer
        assert 'alt="Our porch"' in composer
        assert "1 image" in (await ana.client.get("/drafts")).text
        assert await served(visitor, image["preview_url"])

        reposted = await ana.client.post(
            "/posts", data={**form_of(composer), "text": "Our porch at dusk, again"}
        )
        assert reposted.status_code == 303, reposted.text
        new_id = reposted.headers["location"].rsplit("/", 1)[1]
        status = (await api.get(f"/api/v1/statuses/{new_id}")).json()
        assert [m["id"] for m in status["media_attachments"]] == [image["id"]]
        assert "Our porch" not in (await ana.client.get("/drafts")).text
        # Held by its post, the image outlives any grace period.
        await sweep(app, clock, 2 * DAY)
        assert await served(visitor, image["url"])


async def test_an_app_redrafts_a_withdrawn_post_with_its_media(app, clock, people) -> None:
    """Delete-and-redraft during the pause: the app sends the same media ids again."""
    ana = people["ana"]
    async with await bearer(app, "ana", clock) as api:
        image = await upload(api)
        first = await api.post(
            "/api/v1/statuses", data={"status": "Typo in here", "media_ids[]": image["id"]}
        )
        deleted = await api.delete(f"/api/v1/statuses/{first.json()['id']}")
        assert deleted.status_code == 200
        again = await api.post(
            "/api/v1/statuses", data={"status": "No typo here", "media_ids[]": image["id"]}
        )
        assert again.status_code == 200, again.text
        assert [m["id"] for m in again.json()["media_attachments"]] == [image["id"]]
        # The draft the withdrawal left behind goes; the new post keeps the image.
        drafts_page = (await ana.client.get("/drafts")).text
        draft_id = re.search(r"/drafts/(\d+)/discard", drafts_page)
        assert draft_id
        token = await csrf_from(ana.client, "/drafts")
        await ana.client.post(f"/drafts/{draft_id.group(1)}/discard", data={"csrf_token": token})
        await sweep(app, clock, 2 * DAY)
        assert await served(api, image["url"])


async def test_files_nothing_holds_are_removed_after_a_day(app, clock, people, visitor) -> None:
    """An upload never posted, one whose draft was discarded and one whose post was
    deleted: each is served for a day (an app may still post it), then removed."""
    ana = people["ana"]
    async with await bearer(app, "ana", clock) as api:
        never_posted = await upload(api, "never posted")

        in_draft = await upload(api, "in a discarded draft")
        pending = await api.post(
            "/api/v1/statuses", data={"status": "Hmm", "media_ids[]": in_draft["id"]}
        )
        await api.delete(f"/api/v1/statuses/{pending.json()['id']}")
        drafts_page = (await ana.client.get("/drafts")).text
        draft_id = re.search(r"/drafts/(\d+)/discard", drafts_page)
        assert draft_id
        token = await csrf_from(ana.client, "/drafts")
        discarded = await ana.client.post(
            f"/drafts/{draft_id.group(1)}/discard", data={"csrf_token": token}
        )
        assert discarded.status_code == 303

        on_deleted = await upload(api, "on a deleted post")
        published = await api.post(
            "/api/v1/statuses", data={"status": "Gone soon", "media_ids[]": on_deleted["id"]}
        )
        await publish_due(app, clock, 30)
        assert (await api.delete(f"/api/v1/statuses/{published.json()['id']}")).status_code == 200

        kept = await upload(api, "kept on a post")
        await api.post("/api/v1/statuses", data={"status": "Stays", "media_ids[]": kept["id"]})

        everything = (never_posted, in_draft, on_deleted)
        await sweep(app, clock, DAY - 60)
        for item in (*everything, kept):
            assert await served(visitor, item["url"]), item["description"]
        await sweep(app, clock, 120)
        for item in everything:
            assert not await served(visitor, item["url"]), item["description"]
            assert not await served(visitor, item["preview_url"]), item["description"]
            assert (await api.get(f"/api/v1/media/{item['id']}")).status_code == 404
        assert await served(visitor, kept["url"])


async def test_files_no_row_names_are_removed_after_a_day(app, clock, people, visitor) -> None:
    """A file left by an upload whose row never committed, and an avatar since replaced."""
    media_dir = app.state.settings.media_dir
    (media_dir / "attachments").mkdir(parents=True, exist_ok=True)
    stray = media_dir / "attachments" / "1-stray.webp"
    stray.write_bytes(b"RIFF....WEBP")
    (media_dir / "avatars").mkdir(parents=True, exist_ok=True)
    old_avatar = media_dir / "avatars" / "1-replaced.webp"
    old_avatar.write_bytes(b"RIFF....WEBP")
    async with await bearer(app, "ana", clock) as api:
        kept = await upload(api)
    await sweep(app, clock, 60)
    assert stray.exists() and old_avatar.exists()  # could be an upload being written
    # Files are dated by the real clock: make them look two days old.
    past = time.time() - 2 * DAY
    for path in media_dir.glob("*/*"):
        os.utime(path, (past, past))
    await sweep(app, clock, 0)
    assert not stray.exists() and not old_avatar.exists()
    assert not await served(visitor, "/media/attachments/1-stray.webp")
    assert await served(visitor, kept["url"])  # its row names it (and it is young)


async def test_the_day_of_grace_counts_from_when_a_draft_is_discarded(
    app, clock, people, visitor
) -> None:
    """Ana keeps a withdrawn photo in her drafts for a week, then discards it twice at
    once (two tabs): one discard lands, the photo still has its day for a redraft."""
    ana = people["ana"]
    async with await bearer(app, "ana", clock) as api:
        image = await upload(api)
        pending = await api.post(
            "/api/v1/statuses", data={"status": "Later", "media_ids[]": image["id"]}
        )
        await api.delete(f"/api/v1/statuses/{pending.json()['id']}")
    await sweep(app, clock, 7 * DAY)
    assert await served(visitor, image["url"])  # held by the draft all week
    found = re.search(r"/drafts/(\d+)/discard", (await ana.client.get("/drafts")).text)
    assert found
    token = await csrf_from(ana.client, "/drafts")
    answers = sorted(
        a.status_code
        for a in await asyncio.gather(
            *(
                ana.client.post(f"/drafts/{found.group(1)}/discard", data={"csrf_token": token})
                for _ in range(2)
            )
        )
    )
    assert answers == [303, 404]
    await sweep(app, clock, 60)
    assert await served(visitor, image["url"])
    await sweep(app, clock, DAY)
    assert not await served(visitor, image["url"])


async def test_someone_elses_draft_shows_nothing_of_its_images(app, clock, people) -> None:
    """Ben sends the composer with the id of Ana's draft: he sees none of her images."""
    ana, ben = people["ana"], people["ben"]
    async with await bearer(app, "ana", clock) as api:
        image = await upload(api, "Ana's private photo")
        pending = await api.post(
            "/api/v1/statuses", data={"status": "Not yet", "media_ids[]": image["id"]}
        )
        await api.delete(f"/api/v1/statuses/{pending.json()['id']}")
    found = re.search(r"/drafts/(\d+)/discard", (await ana.client.get("/drafts")).text)
    assert found
    form = form_of((await ben.client.get("/compose")).text)
    answer = await ben.client.post(
        "/posts", data={**form, "text": "", "draft_id": found.group(1), "visibility": "public"}
    )
    assert answer.status_code == 404
    assert "Ana's private photo" not in answer.text
    assert image["preview_url"].split("/media/")[1] not in answer.text
    assert (await ben.client.get(f"/compose?draft={found.group(1)}")).status_code == 404
