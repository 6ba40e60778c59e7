"""Rows kept in memory and put back into a request's session (server/services/kept_rows.py):
each request gets its own objects, and what one request does to its lists and dicts
never reaches the next."""

from __future__ import annotations

from sqlalchemy import inspect
from starlette.applications import Starlette

from server.models import Actor
from server.services import accounts
from server.services.kept_rows import revive
from tests.conftest import Person
from tests.statements import statements


async def test_a_revived_row_is_the_requests_own_down_to_its_profile_fields(
    app: Starlette, people: dict[str, Person]
) -> None:
    """Ana's actor, kept with two profile fields, is revived for two requests. The first
    changes its fields in place; the second, and the kept values, still have the two."""
    async with app.state.sessions() as session:
        ana = (await accounts.local_member(session, "ana")).actor
        ana.fields = [{"name": "Bakes", "value": "rye"}, {"name": "Lives", "value": "by the sea"}]
        await session.commit()
        kept = {c.key: getattr(ana, c.key) for c in inspect(Actor).column_attrs}
    with statements(app.state.engine) as seen:
        async with app.state.sessions() as first:
            mine = revive(first, Actor, kept)
            assert revive(first, Actor, kept) is mine  # a second look: the same object
            assert mine.username == "ana" and mine.fields == kept["fields"]
            mine.fields[0]["value"] = "wheat"
            mine.fields.append({"name": "Joined", "value": "today"})
        async with app.state.sessions() as second:
            theirs = revive(second, Actor, kept)
            assert theirs is not mine
            assert theirs.fields == [
                {"name": "Bakes", "value": "rye"},
                {"name": "Lives", "value": "by the sea"},
            ]
    assert [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))] == []
    assert kept["fields"][0]["value"] == "rye" and len(kept["fields"]) == 2
