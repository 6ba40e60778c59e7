"""Every form a member uses to look after their threads and notifications needs the
page's token: a forged post changes nothing, and undoing needs the token as much as doing."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from server.models import (
    Appeal,
    HiddenReply,
    Mute,
    NotificationPermission,
    NotificationPolicy,
    ThreadMute,
)
from tests.conftest import publish_due
from tests.test_web_reports import actor_id

FORGED = "did not come from this site"


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.state.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_forged_forms_hide_mute_filter_or_appeal_nothing(app, clock, people, visitor) -> None:
    ana, ben = people["ana"], people["ben"]
    root = await ana.post("I tried the new bakery on Elm Street")
    await publish_due(app, clock, 30)
    reply = await ben.post("@ana what a silly take, honestly", reply_to=root)
    await publish_due(app, clock, 120)
    ben_id = await actor_id(app, "ben")
    doing = [
        (f"/posts/{reply}/hide", {}, HiddenReply),
        (f"/posts/{root}/mute_conversation", {}, ThreadMute),
        ("/@ben/mute", {"duration": "3600", "notifications": "on"}, Mute),
        ("/settings/notifications", {"for_not_following": "drop"}, NotificationPolicy),
        (f"/notifications/requests/{ben_id}/accept", {}, NotificationPermission),
    ]
    for path, form, model in doing:
        forged = await ana.client.post(path, data=form)
        assert forged.status_code == 403 and FORGED in forged.text, path
        assert await count(app, model) == 0, path
    appeal = await visitor.post("/suspended/1/appeal", data={"text": "Please"})
    assert appeal.status_code == 403 and FORGED in appeal.text
    assert await count(app, Appeal) == 0

    # With the page's token the same forms work; undoing them without it does nothing.
    page = f"/@ana/{root}"
    for path, form, model in doing[:3]:
        done = await ana.client.post(path, data={"csrf_token": await ana.token(page), **form})
        assert done.status_code == 303, (path, done.text)
        assert await count(app, model) == 1, path
    for path, model in (
        (f"/posts/{reply}/unhide", HiddenReply),
        (f"/posts/{root}/unmute_conversation", ThreadMute),
        ("/@ben/unmute", Mute),
    ):
        forged = await ana.client.post(path)
        assert forged.status_code == 403 and FORGED in forged.text, path
        assert await count(app, model) == 1, path
