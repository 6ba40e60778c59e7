"""Parts of a post's HTML that every viewer sees alike, rendered once and kept.

The author line and the body (words, content warning, media, poll) depend only on the
post and its author, so they are kept under a key naming everything they are made from:
the post's id and version (every edit and delete bumps it), its media and poll as shown,
and the author's name and picture. The card around them (time, counts, the viewer's own
buttons with their CSRF tokens, the pause) is rendered for each request and never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from jinja2 import Environment, pass_environment
from markupsafe import Markup
from starlette.requests import Request

from server.render_cache import cache_of
from server.services.post_views import PostView


def _who(view: PostView) -> tuple[Hashable, ...]:
    author = view.author
    return (view.post.id, author.handle, author.name, author.avatar_path, author.avatar_url)


def _body(view: PostView) -> tuple[Hashable, ...]:
    post, poll = view.post, view.poll
    media = tuple(
        (m.id, m.file_name, m.preview_name, m.url, m.media_type, m.description)
        + (m.width, m.height, m.preview_width, m.preview_height)
        for m in view.media
    )
    shown_poll = (
        None
        if poll is None
        else (
            poll.multiple,
            poll.voters_count,
            tuple((str(o.get("title")), str(o.get("votes"))) for o in poll.options),
        )
    )
    return (post.id, post.version, post.state, media, shown_poll)


#: Each part's macro in templates/_macros.html, and what its key is made of.
PARTS: dict[str, Callable[[PostView], tuple[Hashable, ...]]] = {
    "post_who": _who,
    "post_body": _body,
}


@pass_environment
def post_part(env: Environment, request: Request, name: str, view: PostView) -> Markup:
    """The `name` part of `view`'s card: kept, or rendered by its macro and kept."""
    state: Any = request.app.state
    kept = cache_of(state, "html", state.settings.render_cache_entries)
    key = (name, *PARTS[name](view))
    found = kept.get(key)
    if found is None:
        found = Markup(getattr(env.get_template("_macros.html").module, name)(view))
        kept.put(key, found)
    return found
