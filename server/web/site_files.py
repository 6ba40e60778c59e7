"""The files browsers ask a site for by themselves: the icon and the web app manifest."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.json_response import JSONResponse
from server.web.context import settings

#: The colours of static/porch.css (--bg and --accent), so an installed app matches.
BACKGROUND, THEME = "#fbf8f3", "#7a3e12"


async def manifest(request: Request) -> Response:
    """GET /manifest.webmanifest: lets a phone keep Porch on its home screen as an app."""
    name = settings(request).instance_name
    document = {
        "name": name,
        "short_name": name[:12],
        "description": f"{name}, a community for slower, kinder conversation.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JSONResponse(
        document,
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def favicon(request: Request) -> Response:
    """GET /favicon.ico: what browsers and feed readers ask for without reading a page."""
    return RedirectResponse("/static/icon-192.png", status_code=301)
