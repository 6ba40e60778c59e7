"""Content negotiation: one URL, HTML for browsers and ActivityStreams for servers."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.json_response import dumps

AS2_MEDIA_TYPE = "application/activity+json"
_PROFILE_PAGE = re.compile(r"^/@(?P<username>[A-Za-z0-9_]+)(?P<rest>/[0-9]{1,19})?$")


def wants_as2(accept: str) -> bool:
    """True for Accept headers naming activity+json, or ld+json with the AS2 profile.

    Bare application/json and plain ld+json are not enough: browsers and feed readers
    send those too, and Mastodon only ever asks with one of the two AS2 forms.
    """
    accept = accept.lower()
    if "application/activity+json" in accept:
        return True
    return "application/ld+json" in accept and "activitystreams" in accept


class AS2Response(Response):
    """JSON with the media type Mastodon insists on (it discards anything else)."""

    media_type = AS2_MEDIA_TYPE

    def __init__(self, content: Any, status_code: int = 200, **kwargs: Any) -> None:
        headers = {"Vary": "Accept", **kwargs.pop("headers", {})}
        super().__init__(content, status_code, headers=headers, **kwargs)

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)


class ProfileAliases:
    """Serve `/@name` and `/@name/<id>` as ActivityStreams to servers that ask for it.

    Mastodon answers AS2 on profile and post page URLs, and people paste those URLs into
    search boxes on other servers; the request is routed to the canonical actor or
    note path, whose handler does the rest.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            match = _PROFILE_PAGE.match(scope["path"])
            if match and wants_as2(Headers(scope=scope).get("accept", "")):
                path = f"/users/{match['username']}"
                if match["rest"]:
                    path += "/statuses" + match["rest"]
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
