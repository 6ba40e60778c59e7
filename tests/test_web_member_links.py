"""Where a member finds their standing and their reports: from every page's account
links (Settings, then Your standing), not only from a moderation notification."""

from __future__ import annotations

from tests.test_web_reports import actor_id, send_report

LINKS = ('href="/settings"', 'href="/reports"')


async def test_ana_finds_her_standing_and_her_reports_from_the_settings_links(
    app, clock, people
) -> None:
    ana = people["ana"]
    for page in ("/settings/profile", "/settings/sessions", "/"):
        shown = (await ana.client.get(page)).text
        for link in LINKS:
            assert link in shown, (page, link)
    assert 'href="/settings/standing"' in (await ana.client.get("/settings")).text
    standing = await ana.client.get("/settings/standing")
    assert standing.status_code == 200
    assert "Moderators have not decided anything about your account." in standing.text
    assert 'href="/reports"' in standing.text.split("<footer", 1)[0]
    assert 'href="/settings" aria-current="page"' in standing.text

    sent = await send_report(
        ana, await actor_id(app, "ben"), category="other", comment="Not sure about this"
    )
    assert sent.status_code == 303
    mine = await ana.client.get("/reports")
    assert mine.status_code == 200 and "waiting for a moderator" in mine.text
    assert 'href="/settings/standing"' in mine.text.split("<footer", 1)[0]


async def test_visitors_see_no_account_links(app, visitor) -> None:
    shown = (await visitor.get("/about")).text
    for link in LINKS:
        assert link not in shown
