"""The ActivityPub door's route table."""

from __future__ import annotations

from starlette.routing import Route

from federation import authorizations, discovery, documents, inbox

_USER = "/users/{username:str}"
_POST = _USER + "/statuses/{post_id}"  # read with server.ids.parse_id

routes = [
    Route("/.well-known/webfinger", discovery.webfinger),
    Route("/.well-known/host-meta", discovery.host_meta),
    Route("/.well-known/nodeinfo", discovery.nodeinfo_links),
    Route("/nodeinfo/{version}", discovery.nodeinfo),
    Route("/actor", documents.instance_actor),
    Route("/actor/inbox", inbox.receive, methods=["POST"]),
    Route("/inbox", inbox.receive, methods=["POST"]),
    Route(_USER, documents.actor),
    Route(_USER + "/inbox", inbox.receive, methods=["POST"]),
    Route(_USER + "/outbox", documents.outbox),
    Route(_USER + "/followers", documents.followers),
    Route(_USER + "/following", documents.following),
    Route(_USER + "/collections/featured", documents.featured),
    Route(_USER + "/collections/tags", documents.featured_tags),
    Route(_POST, documents.note),
    Route(_POST + "/activity", documents.note_activity),
    Route(_POST + "/replies", documents.replies),
    Route(_USER + "/authorizations/{token:str}", authorizations.authorization),
]
