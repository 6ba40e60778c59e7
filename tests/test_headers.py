"""Security headers: pages allow only Porch's own script and style and cannot be framed;
every answer is nosniff; cookies are Secure whenever the site is reached over https."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from server.app import create_app
from server.clock import FrozenClock
from server.config import Settings
from tests.conftest import BASE, Person, csrf_from, publish_due
from tests.test_admin import make_admin

OOB = "urn:ietf:wg:oauth:2.0:oob"
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}


def inline_code(html: str) -> list[str]:
    return [f"{name}: {m.group(0)[:120]}" for name, rx in INLINE.items() for m in rx.finditer(html)]


async def test_a_page_allows_only_porchs_own_script_and_style_and_no_framing(
    app: Starlette, visitor: httpx.AsyncClient
) -> None:
    page = await visitor.get("/about")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy, directive
    assert "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    # An error page is a page too.
    missing = await visitor.get("/nowhere", headers={"accept": "text/html"})
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]


async def test_json_activitypub_and_media_answers_are_nosniff_too(
    app: Starlette, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    for path, accept in (
        ("/api/v1/instance", "application/json"),
        ("/.well-known/webfinger?resource=acct:ana@localhost:8000", "application/jrd+json"),
        ("/users/ana", "application/activity+json"),
        ("/static/porch.js", "*/*"),
    ):
        response = await visitor.get(path, headers={"accept": accept})
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path


async def test_no_page_carries_inline_script_event_handlers_or_style(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    root = await ana.post("Who has a good bread recipe?")
    await publish_due(app, clock, 31)
    reply = await ben.post("@ana Mine, with rye.", reply_to=root)
    await publish_due(app, clock, 21)
    await ana.post("Still waiting for its pause")
    admin = await make_admin(app, clock)
    pages = {
        ana.client: [
            "/",
            "/local",
            "/notifications",
            f"/compose?reply_to={reply}",
            "/@ana",
            "/@ben",
            f"/@ana/{root}",
            "/settings/profile",
            "/settings/apps",
            "/drafts",
            "/search",
            "/tags/bread",
            "/@ana/followers",
            "/about",
            "/about/ranking",
        ],
        admin: ["/admin/norms", "/admin/norms/history", "/admin/members", "/admin/dashboard"],
    }
    for client, paths in pages.items():
        for path in paths:
            page = await client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert inline_code(page.text) == [], path
    await admin.aclose()


async def test_the_code_page_for_an_app_without_a_redirect_has_no_inline_script(
    app: Starlette, people: dict[str, Person]
) -> None:
    ana = people["ana"]
    made = (
        await ana.client.post("/api/v1/apps", data={"client_name": "Tusky", "redirect_uris": OOB})
    ).json()
    query = f"response_type=code&client_id={made['client_id']}&redirect_uri={OOB}&scope=read"
    consent = await ana.client.get(f"/oauth/authorize?{query}")
    assert consent.status_code == 200
    # The consent form's answer redirects to the app, wherever it is: no form-action here.
    assert "form-action" not in consent.headers["content-security-policy"]
    assert "script-src 'self'" in consent.headers["content-security-policy"]
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    code_page = await ana.client.post("/oauth/authorize", data={**form, "decision": "allow"})
    assert code_page.status_code == 200
    assert 'id="code"' in code_page.text
    assert inline_code(code_page.text) == []


def session_cookie(response: httpx.Response) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith("porch_session")]
    assert found, response.headers
    return found[0].lower()


async def test_cookies_are_secure_when_the_site_is_reached_over_https(
    app: Starlette, settings: Settings
) -> None:
    # The domain is localhost, so the https setting is off: a laptop on plain http keeps
    # its cookies...
    assert not settings.https
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as plain:
        assert "secure" not in session_cookie(await plain.get("/login")).split("; ")
    # ...but the same site reached over https (a TLS proxy passing the scheme on) sets
    # only Secure cookies.
    async with httpx.AsyncClient(transport=transport, base_url="https://localhost:8000") as tls:
        assert "secure" in session_cookie(await tls.get("/login")).split("; ")


async def test_cookies_are_secure_when_the_public_url_is_https(
    settings: Settings, tmp_path: Path
) -> None:
    # porch.example is served over https (the default for any domain but localhost),
    # even when the proxy in front speaks plain http to Porch.
    public = settings.model_copy(update={"domain": "porch.example", "https": True})
    app = create_app(public, clock=FrozenClock(), apply_migrations=False, run_jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://porch.example") as c:
            login = await c.get("/login")
            assert "secure" in session_cookie(login).split("; ")
            assert await csrf_from(c, "/login")
