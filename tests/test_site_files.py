"""A browser finds Porch's icon and web app manifest: Dana can keep the site on her
phone's home screen, and every page names both."""

from __future__ import annotations

from server import ROOT


async def test_every_page_links_the_icon_and_the_manifest(app, visitor) -> None:
    page = (await visitor.get("/about")).text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


async def test_the_manifest_names_the_community_and_its_icons(app, visitor) -> None:
    answer = await visitor.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    document = answer.json()
    assert document["name"] == "Porch" and document["start_url"] == "/"
    assert document["display"] == "standalone"
    for icon in document["icons"]:
        served = await visitor.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        assert (ROOT / icon["src"].lstrip("/")).is_file()
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in document["icons"]}


async def test_favicon_ico_leads_to_the_icon(app, visitor) -> None:
    answer = await visitor.get("/favicon.ico")
    assert answer.status_code == 301 and answer.headers["location"] == "/static/icon-192.png"
    icon = await visitor.get("/static/icon-192.png")
    assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG")
