"""Ana shows herself on the web as apps can: a header image, profile fields, and how many
posts, followers and follows she has."""

from __future__ import annotations

import html
import re
from io import BytesIO

from PIL import Image

from tests.conftest import publish_due


def _png(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (120, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def _save(person, **fields: str):  # type: ignore[no-untyped-def]
    token = await person.token("/settings/profile")
    files = (
        {"header": ("garden.png", _png(900, 300), "image/png")}
        if fields.pop("header", "")
        else None
    )
    data = {"display_name": "Ana Lima", "bio": "Gardener.", "csrf_token": token, **fields}
    return await person.client.post("/settings/profile", data=data, files=files)


async def test_ana_adds_a_header_and_fields_and_readers_see_them(
    app, clock, people, visitor
) -> None:
    ana, ben = people["ana"], people["ben"]
    saved = await _save(
        ana,
        header="yes",
        field_name_0="Pronouns",
        field_value_0="she/her",
        field_name_1="Garden",
        field_value_1="Allotment <14>",
    )
    assert saved.status_code == 303
    await ana.post("Peas are up")
    await ana.post("Beans too")
    await publish_due(app, clock, 60)
    token = await ben.token("/@ana")
    await ben.client.post("/@ana/follow", data={"csrf_token": token})

    page = (await visitor.get("/@ana")).text
    header = re.search(r'<img class="profile-header" src="(/media/headers/[^"]+\.webp)"', page)
    assert header, "the header image is shown"
    assert (await visitor.get(header.group(1))).status_code == 200
    assert "<dt>Pronouns</dt><dd>she/her</dd>" in page
    assert "<dd>Allotment &lt;14&gt;</dd>" in page  # escaped, never markup
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "2 posts" in text and "1 follower" in text and "0 following" in text

    form = (await ana.client.get("/settings/profile")).text
    assert 'name="field_name_0" value="Pronouns"' in form
    assert 'name="field_value_1" value="Allotment &lt;14&gt;"' in form
    assert 'id="field_name_3"' in form  # four rows, the empty ones to fill


async def test_a_field_without_a_label_is_refused_and_what_was_typed_kept(app, people) -> None:
    ana = people["ana"]
    refused = await _save(ana, field_name_0="", field_value_0="she/her")
    assert refused.status_code == 422
    assert "Each field needs a name" in refused.text
    assert 'name="field_value_0" value="she/her"' in refused.text
    assert "<dt>" not in (await ana.client.get("/@ana")).text
