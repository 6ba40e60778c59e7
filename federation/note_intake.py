"""An incoming Note made into a post here: who it mentions, its parent, its HTML."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import incoming, policy_docs
from federation.html import sanitize_remote_html
from federation.incoming import NoteDoc
from federation.runtime import Federation
from server.models import Actor, Post
from server.services import mentions, remote_posts
from server.services.remote_posts import RemotePost


async def local_post(fed: Federation, session: AsyncSession, uri: str | None) -> Post | None:
    """The member's post `uri` names, if there is one."""
    post_id = fed.urls.post_id_of(uri) if uri else None
    if post_id is None:
        return None
    post = await session.get(Post, post_id)
    return post if post is not None and post.is_local else None


async def remote_post(
    fed: Federation, session: AsyncSession, author: Actor, note: NoteDoc
) -> RemotePost:
    """What an incoming Note by `author` becomes here: its mentions resolved, its HTML
    sanitised with links to pages here, its parent and its interaction policy."""
    mention_ids: list[int] = []
    local_links: dict[str, str] = {}  # a mention's href → the person's page here
    # Mastodon's "limited" posts address people with no Mention tag: they may read it too.
    addressed = [uri for uri in note.to + note.cc if fed.urls.username_of(uri)]
    hrefs = {href: fed.urls.username_of(href) for href in note.mentions + addressed}
    people = await mentions.named(
        session, [n for n in hrefs.values() if n], [h for h, n in hrefs.items() if not n]
    )
    for href, username in hrefs.items():
        if username is not None:
            if (member := people.local(username)) is not None:
                mention_ids.append(_id(member))
        elif (known := people.elsewhere.get(href)) is not None:
            mention_ids.append(_id(known))
            # Mastodon's mention links point at the profile page, its tags at the actor.
            for link in (known.uri, known.url):
                if link:
                    local_links[link] = f"{fed.urls.base}/@{known.handle}"
    parent = None
    if note.in_reply_to:
        parent = await local_post(fed, session, note.in_reply_to)
        parent = parent or await remote_posts.by_uri(session, note.in_reply_to)
    content_html = sanitize_remote_html(
        note.content_html,
        mention_href=local_links.get,
        tag_href=lambda href: _tag_page(fed, href, note.hashtags),
    )
    if len(content_html) > incoming.MAX_HTML:  # local links can be longer than remote ones
        content_html = note.content_html
    policy = policy_docs.policy_from(note.interaction_policy, str(author.uri), author.followers_url)
    return incoming.post_from_note(
        note,
        visibility=incoming.visibility_from_note(note, author.followers_url),
        content_html=content_html,
        mention_ids=mention_ids,
        in_reply_to_id=parent.id if parent else None,
        received_at=fed.clock.now(),
        root_id=parent.root_id if parent else None,
        policy=policy,
    )


def _tag_page(fed: Federation, href: str, hashtags: list[str]) -> str | None:
    """Hashtag links lead to the tag's page here, when the post carries that tag."""
    name = href.rstrip("/").rsplit("/", 1)[-1].lower()
    return fed.urls.tag(name) if name in hashtags else None


def _id(actor: Actor) -> int:
    assert actor.id is not None
    return actor.id
