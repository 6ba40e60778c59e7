"""Images from the web composer: chosen with a plain file field, described and given a
focus point before posting, seen on the post; never more than four, never half stored."""

from __future__ import annotations

import re
from io import BytesIO

from PIL import Image
from sqlmodel import col, select

from server.models import Attachment, Post
from tests.conftest import Person, publish_due


def picture(kind: str, colour: tuple[int, int, int] = (120, 160, 60)) -> bytes:
    """A real image file, made with Pillow as a camera or a screenshot tool would."""
    out = BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, kind)
    return out.getvalue()


async def _attachments(app) -> list[Attachment]:  # type: ignore[no-untyped-def]
    async with app.state.sessions() as session:
        rows = await session.exec(select(Attachment).order_by(col(Attachment.id)))
        return list(rows.all())


async def _fields(person: Person, page: str = "/compose") -> dict[str, str]:
    return {"csrf_token": await person.token(page)}


async def test_ana_attaches_describes_and_posts_two_images(app, clock, people) -> None:
    ana, cleo = people["ana"], people["cleo"]
    form = {**await _fields(ana), "text": "First beans of the year", "visibility": "public"}
    files = [
        ("images", ("beans.png", picture("PNG"), "image/png")),
        ("images", ("bed.jpg", picture("JPEG", (90, 60, 30)), "image/jpeg")),
    ]
    shown = await ana.client.post("/compose/attach", data=form, files=files)
    assert shown.status_code == 200
    # Nothing is posted yet: the composer comes back with the words and two previews.
    assert "First beans of the year</textarea>" in shown.text
    ids = [int(i) for i in re.findall(r'name="media_ids" value="(\d+)" checked', shown.text)]
    assert len(ids) == 2
    assert shown.text.count("No description yet") == 2  # a reminder, not a refusal
    assert 'enctype="multipart/form-data"' in shown.text
    async with app.state.sessions() as session:
        assert (await session.exec(select(Post))).all() == []

    token = re.search(r'name="form_token" value="([^"]+)"', shown.text)
    assert token
    posted = await ana.client.post(
        "/posts",
        data={
            **form,
            "form_token": token.group(1),
            "media_listed": "1",
            "media_ids": [str(i) for i in ids],
            f"description_{ids[0]}": "Three green bean pods on a vine",
            f"focus_{ids[0]}": "0.5,-0.25",
            f"description_{ids[1]}": "",
        },
    )
    assert posted.status_code == 303, posted.text
    post_id = int(posted.headers["location"].rsplit("/", 1)[1])
    first, second = await _attachments(app)
    assert (first.post_id, first.position, first.description) == (
        post_id,
        0,
        "Three green bean pods on a vine",
    )
    assert (first.focus_x, first.focus_y) == (0.5, -0.25)
    assert (second.post_id, second.position, second.description) == (post_id, 1, "")
    await publish_due(app, clock, 31)
    page = (await cleo.client.get(f"/@ana/{post_id}")).text
    assert 'alt="Three green bean pods on a vine"' in page
    assert page.count(f"/media/{first.preview_name or first.file_name}") == 1


async def test_an_image_chosen_and_posted_at_once_goes_out_with_the_post(
    app, clock, people
) -> None:
    ana = people["ana"]
    posted = await ana.client.post(
        "/posts",
        data={**await _fields(ana), "text": "", "visibility": "public"},
        files=[("images", ("sunset.jpg", picture("JPEG"), "image/jpeg"))],
    )
    assert posted.status_code == 303, posted.text
    post_id = int(posted.headers["location"].rsplit("/", 1)[1])
    (only,) = await _attachments(app)
    assert only.post_id == post_id and only.media_type.startswith("image/")


async def test_five_images_are_refused_and_none_is_kept(app, clock, people) -> None:
    ana = people["ana"]
    files = [("images", (f"{n}.png", picture("PNG"), "image/png")) for n in range(5)]
    refused = await ana.client.post(
        "/posts",
        data={**await _fields(ana), "text": "Too many", "visibility": "public"},
        files=files,
    )
    assert refused.status_code == 422
    assert "at most 4 images" in refused.text
    assert "Too many</textarea>" in refused.text
    assert await _attachments(app) == []
    async with app.state.sessions() as session:
        assert (await session.exec(select(Post))).all() == []


async def test_a_file_that_is_no_image_is_refused_with_a_reason(app, clock, people) -> None:
    ana = people["ana"]
    refused = await ana.client.post(
        "/compose/attach",
        data={**await _fields(ana), "text": "Look", "visibility": "public"},
        files=[("images", ("notes.png", b"these are words, not pixels", "image/png"))],
    )
    assert 400 <= refused.status_code < 500
    assert 'id="images-error"' in refused.text
    assert "Look</textarea>" in refused.text
    assert await _attachments(app) == []


async def test_a_form_without_its_csrf_token_stores_nothing(app, clock, people) -> None:
    ana = people["ana"]
    refused = await ana.client.post(
        "/compose/attach",
        data={"text": "Sneaky", "visibility": "public"},
        files=[("images", ("a.png", picture("PNG"), "image/png"))],
    )
    assert refused.status_code == 403
    assert await _attachments(app) == []


async def test_someone_elses_upload_cannot_be_described_or_taken(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    shown = await ana.client.post(
        "/compose/attach",
        data={**await _fields(ana), "text": "Mine", "visibility": "public"},
        files=[("images", ("a.png", picture("PNG"), "image/png"))],
    )
    (theirs,) = re.findall(r'name="media_ids" value="(\d+)"', shown.text)
    taken = await ben.client.post(
        "/posts",
        data={
            **await _fields(ben),
            "text": "Not mine",
            "media_listed": "1",
            "media_ids": theirs,
            f"description_{theirs}": "Ben's words",
        },
    )
    assert taken.status_code == 404
    (item,) = await _attachments(app)
    assert item.description == "" and item.post_id is None
