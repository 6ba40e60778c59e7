"""A member's own data, to take with them: one ZIP of their profile and posts (JSON) and
the people they follow, block and mute (CSV, in the columns Mastodon's importer reads,
so the lists move to another server as they are)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Actor, Block, Follow, FollowState, Mute, Post, PostState
from server.services.accounts import Signed

#: The CSV headers of Mastodon's exports (app/models/export.rb); its block list has none.
FOLLOWING_HEADER = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MUTED_HEADER = ["Account address", "Hide notifications"]


def _address(actor: Actor, domain: str) -> str:
    """user@domain, as Mastodon's importer reads it (members here get this domain)."""
    return f"{actor.username}@{actor.domain or domain}"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _csv(rows: list[list[str]], header: list[str] | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


async def _posts(session: AsyncSession, actor_id: int) -> list[dict[str, Any]]:
    parent = aliased(Post)
    rows = await session.exec(
        select(Post, parent.uri)
        .outerjoin(parent, col(parent.id) == Post.in_reply_to_id)
        .where(
            Post.actor_id == actor_id,
            col(Post.state) != PostState.deleted,
            col(Post.reblog_of_id).is_(None),
        )
        .order_by(col(Post.created_at), col(Post.id))
    )
    return [
        {
            "id": str(post.id),
            "created_at": _when(post.created_at),
            "published_at": _when(post.published_at),
            "edited_at": _when(post.edited_at),
            "state": str(post.state),
            "visibility": str(post.visibility),
            "content_warning": post.spoiler_text,
            "text": post.text,
            "language": post.language,
            "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
            "in_reply_to_uri": parent_uri or post.in_reply_to_uri,
        }
        for post, parent_uri in rows.all()
    ]


async def archive(session: AsyncSession, me: Signed, *, domain: str, now: datetime) -> bytes:
    """The member's data as a ZIP: profile.json, posts.json, following_accounts.csv,
    blocked_accounts.csv and muted_accounts.csv (mutes still in force at `now`)."""
    actor = me.actor
    following = await session.exec(
        select(Actor)
        .join(Follow, col(Follow.followed_id) == Actor.id)
        .where(Follow.follower_id == actor.id, Follow.state == FollowState.accepted)
        .order_by(col(Follow.id))
    )
    blocked = await session.exec(
        select(Actor)
        .join(Block, col(Block.target_id) == Actor.id)
        .where(Block.actor_id == actor.id)
        .order_by(col(Block.id))
    )
    muted = await session.exec(
        select(Actor, Mute.notifications)
        .join(Mute, col(Mute.target_id) == Actor.id)
        .where(
            Mute.actor_id == actor.id,
            or_(col(Mute.expires_at).is_(None), col(Mute.expires_at) > now),
        )
        .order_by(col(Mute.id))
    )
    profile = {
        "address": _address(actor, domain),
        "display_name": actor.display_name,
        "bio": actor.bio,
        "fields": actor.fields,
        "how_i_like_to_be_approached": actor.interaction_note,
        "approves_followers": actor.locked,
        "email": me.member.email,
        "joined_at": _when(actor.created_at),
        "exported_at": _when(now),
    }
    files = {
        "profile.json": json.dumps(profile, ensure_ascii=False, indent=2),
        "posts.json": json.dumps(
            await _posts(session, actor.id or 0), ensure_ascii=False, indent=2
        ),
        "following_accounts.csv": _csv(
            [[_address(a, domain), "true", "false", ""] for a in following.all()],
            FOLLOWING_HEADER,
        ),
        "blocked_accounts.csv": _csv([[_address(a, domain)] for a in blocked.all()], None),
        "muted_accounts.csv": _csv(
            [[_address(a, domain), "true" if hide else "false"] for a, hide in muted.all()],
            MUTED_HEADER,
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return out.getvalue()
