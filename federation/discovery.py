"""Finding Porch and its people: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from federation import context
from server import __version__, norms_kept
from server.config import RegistrationMode
from server.json_response import JSONResponse
from server.services import accounts, instance
from server.services.errors import NotFound
from server.text import has_controls
from server.urls import Urls

log = logging.getLogger(__name__)

JRD = "application/jrd+json"
NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
CORS = {"Access-Control-Allow-Origin": "*"}
# Mastodon caches WebFinger answers for three days and errors for three minutes.
CACHE_OK = {**CORS, "Cache-Control": "public, max-age=259200"}
CACHE_ERROR = {**CORS, "Cache-Control": "public, max-age=180"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers=CACHE_ERROR)


def username_for(urls: Urls, resource: str) -> str | None:
    """The local username a WebFinger resource names ("" for the instance actor).

    Accepts acct:user@host, user@host, acct:@user@host, and the https URLs of the actor,
    the profile page, the instance actor and the site itself; None when the resource is
    not ours.
    """
    resource = unquote(resource.strip())
    if resource.startswith(("http://", "https://")):
        parts = urlsplit(resource)
        if parts.netloc.lower() != urls.host.lower():
            return None
        path = parts.path.rstrip("/")
        if path in ("", "/actor"):
            return ""
        for prefix in ("/users/", "/@"):
            if path.startswith(prefix) and "/" not in path[len(prefix) :]:
                return path[len(prefix) :]
        return None
    if resource.lower().startswith("acct:"):
        resource = resource[5:]
    user, _, host = resource.lstrip("@").rpartition("@")
    if not user or host.lower() != urls.host.lower():
        return None
    return "" if user.lower() == urls.host.lower() else user


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource", "")
    if not resource:
        return _error(400, "Add ?resource=acct:user@domain to the request.")
    urls = context.urls(request)
    # The query is decoded once already; username_for decodes again (some servers encode
    # the acct: URI twice), which can bring back a %00.
    if has_controls(unquote(resource)):
        return _error(400, "The resource holds a control character; send acct:user@domain.")
    username = username_for(urls, resource)
    if username is None:
        return _error(404, f"{resource} is not an account on {urls.host}.")
    if username == "":
        actor_id, subject = urls.instance_actor(), f"acct:{urls.host}@{urls.host}"
        links = [{"rel": "self", "type": "application/activity+json", "href": actor_id}]
        profile = urls.base + "/about"
    else:
        async with context.sessions(request)() as session:
            try:
                actor = await accounts.local_actor(session, username)
            except NotFound:
                return _error(404, f"There is nobody called {username} on {urls.host}.")
        name = actor.username
        actor_id, subject, profile = (
            urls.actor(name),
            f"acct:{name}@{urls.host}",
            urls.profile(name),
        )
        links = [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
            {"rel": "self", "type": "application/activity+json", "href": actor_id},
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": urls.base + "/authorize_interaction?uri={uri}",
            },
        ]
        if actor.avatar_path:
            links.append(
                {
                    "rel": "http://webfinger.net/rel/avatar",
                    "type": "image/webp",
                    "href": f"{urls.base}/media/{actor.avatar_path}",
                }
            )
    body = {"subject": subject, "aliases": [profile, actor_id], "links": links}
    return JSONResponse(body, media_type=JRD, headers=CACHE_OK)


async def host_meta(request: Request) -> Response:
    template = context.urls(request).base + "/.well-known/webfinger?resource={uri}"
    if "json" in request.headers.get("accept", ""):
        body = {"links": [{"rel": "lrdd", "template": template}]}
        return JSONResponse(body, headers=CACHE_OK)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml", headers=CACHE_OK)


async def nodeinfo_links(request: Request) -> Response:
    urls = context.urls(request)
    links = [
        {"rel": NODEINFO_20, "href": urls.base + "/nodeinfo/2.0"},
        {"rel": NODEINFO_21, "href": urls.base + "/nodeinfo/2.1"},
        # FEP-2677: where the instance actor is.
        {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": urls.instance_actor()},
    ]
    return JSONResponse({"links": links}, headers=CORS)


async def nodeinfo(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return _error(404, "Porch serves NodeInfo 2.0 and 2.1.")
    settings = context.settings(request)
    async with context.sessions(request)() as session:
        figures = await instance.usage(session, context.now(request))
        found = await norms_kept.in_force(request.app.state, session)
    software: dict[str, str] = {"name": "porch", "version": __version__}
    if version == "2.1":
        software["homepage"] = context.urls(request).base + "/about"
    body = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": found.registration_mode is not RegistrationMode.closed,
        "usage": {
            "users": {
                "total": figures.users,
                "activeMonth": figures.active_month,
                "activeHalfyear": figures.active_halfyear,
            },
            "localPosts": figures.local_posts,
        },
        "metadata": {
            "nodeName": settings.instance_name,
            "nodeDescription": "A Porch community: slower, kinder conversation.",
            "norms": {
                "pausePostSeconds": found["pause.post_seconds"],
                "pauseReplySeconds": found["pause.reply_seconds"],
                "maxPostCharacters": found["posts.max_chars"],
                "registrations": found.registration_mode.value,
                "rules": found["rules.text"],
                "defaultTimeline": found["timeline.default"],
                "rankingHalfLifeHours": found["ranking.half_life_hours"],
                "rankingWindowHours": found["ranking.window_hours"],
                "rankingLikesWeight": found["ranking.likes_weight"],
                "authorizedFetch": settings.authorized_fetch,
            },
        },
    }
    schema = NODEINFO_20 if version == "2.0" else NODEINFO_21
    return JSONResponse(body, media_type=f'application/json; profile="{schema}#"', headers=CORS)
