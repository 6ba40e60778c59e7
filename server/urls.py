"""Porch's URLs: how local ids and pages are built, and how ids are read back.

Every door (web, client API, federation) uses the one `Urls` that create_app keeps in
`app.state.urls`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.ids import parse_id
from server.models import Actor, Post

#: The instance actor (Mastodon's `/actor`): signs fetches and is fetchable unsigned.
INSTANCE_ACTOR_PATH = "/actor"
SHARED_INBOX_PATH = "/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
#: Forms of the public collection other servers write (Mastodon accepts all three).
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

_ACTOR_PATH = re.compile(r"^/users/(?P<username>[A-Za-z0-9_]+)$")
_POST_PATH = re.compile(r"^/users/(?P<username>[A-Za-z0-9_]+)/statuses/(?P<post_id>[^/]+)$")
_POST_PAGE_PATH = re.compile(r"^/@[A-Za-z0-9_]+/(?P<post_id>[^/]+)$")
#: An activity token (server/ids.py), or the row id it replaced in rows made before tokens.
_ACTIVITY_TOKEN = re.compile(r"[0-9a-z]{1,32}")


@dataclass(frozen=True)
class Urls:
    """Builds the URLs of local objects for one instance."""

    base: str  # "https://porch.example", no trailing slash

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def of_actor(self, actor: Actor) -> str:
        """The ActivityPub id of any actor, local or remote."""
        if actor.domain is None:
            return self.actor(actor.username)
        assert actor.uri is not None
        return actor.uri

    def key_id(self, username: str) -> str:
        return self.actor(username) + "#main-key"

    def inbox(self, username: str) -> str:
        return self.actor(username) + "/inbox"

    def outbox(self, username: str) -> str:
        return self.actor(username) + "/outbox"

    def followers(self, username: str) -> str:
        return self.actor(username) + "/followers"

    def following(self, username: str) -> str:
        return self.actor(username) + "/following"

    def featured(self, username: str) -> str:
        return self.actor(username) + "/collections/featured"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def shared_inbox(self) -> str:
        return self.base + SHARED_INBOX_PATH

    def instance_actor(self) -> str:
        return self.base + INSTANCE_ACTOR_PATH

    def instance_key_id(self) -> str:
        return self.instance_actor() + "#main-key"

    def post(self, username: str, post_id: int) -> str:
        return f"{self.actor(username)}/statuses/{post_id}"

    def of_post(self, post: Post, author: Actor) -> str:
        """The ActivityPub id of any post, local or remote."""
        if post.uri is not None:
            return post.uri
        return self.post(author.username, post.id)

    def authorization(self, username: str, token: str) -> str:
        """The authorization document a member's approval of an interaction publishes
        (GoToSocial's path), named by the approval's own token."""
        return f"{self.actor(username)}/authorizations/{token}"

    def post_page(self, username: str, post_id: int) -> str:
        return f"{self.base}/@{username}/{post_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"

    def activity(self, kind: str, token: str) -> str:
        """Ids of activities Porch sends that are not objects themselves (follows, likes…).

        `token` is minted once per activity (server/ids.py), never a row id: rows are
        deleted and their ids handed out again, and other servers drop an id they saw.
        """
        return f"{self.base}/activities/{kind}/{token}"

    # Reading ids back.

    def is_local(self, uri: str) -> bool:
        parts = urlsplit(uri)
        return parts.netloc == self.host and f"{parts.scheme}://{parts.netloc}" == self.base

    def username_of(self, uri: str) -> str | None:
        """The username if `uri` is a local actor id (fragment ignored), else None."""
        if not self.is_local(uri):
            return None
        match = _ACTOR_PATH.match(urlsplit(uri).path)
        return match["username"] if match else None

    def post_id_of(self, uri: str) -> int | None:
        """The post id if `uri` is a local post id or page, else None."""
        if not self.is_local(uri):
            return None
        path = urlsplit(uri).path
        match = _POST_PATH.match(path)
        if match is None:
            match = _POST_PAGE_PATH.match(path)
        return parse_id(match["post_id"]) if match else None

    def activity_token_of(self, uri: str, kind: str) -> str | None:
        """The token if `uri` is the id of an activity of `kind` Porch sent, else None."""
        prefix = self.activity(kind, "")
        tail = uri[len(prefix) :] if uri.startswith(prefix) else ""
        return tail if _ACTIVITY_TOKEN.fullmatch(tail) else None
