"""Sign-up tells Dana everything that is wrong at once, not one thing per try."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from server.config import RegistrationMode
from server.models import Member
from tests.conftest import client_for, csrf_from


async def _post(client, **fields: str):
    token = await csrf_from(client, "/signup")
    return await client.post("/signup", data={**fields, "csrf_token": token})


async def test_a_bad_username_email_and_password_are_all_shown_next_to_their_fields(
    app, visitor
) -> None:
    response = await _post(visitor, username="ana smith", email="not-an-email", password="short")
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "3 things need fixing" in page
    for field in ("username", "email", "password"):
        assert f'id="{field}-error"' in page, field
        tag = re.search(rf'<input id="{field}"[^>]*>', page)
        assert tag and 'aria-invalid="true"' in tag.group(0), field
    assert "only letters, numbers and underscores" in page
    assert "at least 8 characters" in page
    assert 'value="ana smith"' in page and 'value="not-an-email"' in page
    async with app.state.sessions() as session:
        assert (await session.exec(select(Member))).all() == []


async def test_a_taken_name_and_a_missing_reason_come_together_in_approval_mode(
    app, settings, visitor
) -> None:
    app.state.settings = settings.model_copy(
        update={"registration_mode": RegistrationMode.approval}
    )
    held = await _post(
        visitor, username="dana", email="dana@example.com", password="long enough pw", reason="Hi"
    )
    assert held.status_code == 200
    async with client_for(app) as other:
        response = await _post(
            other, username="DANA", email="eli@example.com", password="long enough pw", reason=""
        )
    page = html.unescape(response.text)
    assert response.status_code == 409
    assert "2 things need fixing" in page
    assert "is taken" in page and "why you would like to join" in page


async def test_one_wrong_field_says_one_thing(app, visitor) -> None:
    response = await _post(visitor, username="dana", email="dana@example.com", password="short")
    page = html.unescape(response.text)
    assert response.status_code == 422
    assert "One thing needs fixing" in page and 'id="password-error"' in page
    assert 'id="username-error"' not in page
