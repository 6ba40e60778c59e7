"""The member's own account (verify_credentials): their figures and the follow requests
waiting for them, read in one statement once the grant is kept."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from server.clock import FrozenClock
from tests.api.test_grant_cache import api, me, token_for
from tests.statements import statements


def waiting(answer: httpx.Response) -> int:
    return int(answer.json()["source"]["follow_requests_count"])


async def test_ana_sees_how_many_follow_requests_wait_for_her(
    app: Starlette, clock: FrozenClock, people: dict[str, object]
) -> None:
    """Ana locks her account; Ben and Cleo ask to follow her. Her app shows two waiting,
    then one after she accepts Ben, who now counts among her followers."""
    async with (
        api(app, await token_for(app, "ana", clock)) as ana,
        api(app, await token_for(app, "ben", clock)) as ben,
        api(app, await token_for(app, "cleo", clock)) as cleo,
    ):
        locked = await ana.patch("/api/v1/accounts/update_credentials", data={"locked": "true"})
        assert locked.status_code == 200, locked.text
        ana_id = locked.json()["id"]
        assert waiting(await me(ana)) == 0
        for asker in (ben, cleo):
            asked = await asker.post(f"/api/v1/accounts/{ana_id}/follow")
            assert asked.json()["requested"] is True
        with statements(app.state.engine) as seen:
            found = (await me(ana)).json()
        assert found["source"]["follow_requests_count"] == 2 and found["followers_count"] == 0
        # Her counts in one read, and her default quote policy (source.quote_policy).
        assert len([s for s in seen if s.startswith("SELECT")]) == 2, seen
        ben_id = (await me(ben)).json()["id"]
        accepted = await ana.post(f"/api/v1/follow_requests/{ben_id}/authorize")
        assert accepted.status_code == 200, accepted.text
        found = (await me(ana)).json()
        assert found["source"]["follow_requests_count"] == 1 and found["followers_count"] == 1
        assert waiting(await me(cleo)) == 0
