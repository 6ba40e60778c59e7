"""Which posts belong in a member's home and in each of their lists: one rule, in SQL.

The same conditions decide the computed timeline (pages older than a feed keeps), a
feed's rebuild, and the fan-out of one post to the feeds it enters, so the three cannot
disagree. Mutes are not part of the rule: they are read at page time (a mute can
expire, and the set is a handful of ids).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, union_all
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import col, select

from server.models import Follow, FollowState, ListMember, PersonList, Post, RepliesPolicy

#: A member: their id, or a column naming them in a statement over many members.
Viewer = int | ColumnElement[int] | Mapped[Any]


def _build_not_reply_to_others() -> ColumnElement[bool]:
    # As in Mastodon's public feeds: replies to other people stay in their threads.
    parent_post = aliased(Post)
    parent = select(parent_post.actor_id).where(col(parent_post.id) == col(Post.in_reply_to_id))
    return or_(col(Post.in_reply_to_id).is_(None), col(Post.actor_id) == parent.scalar_subquery())


# Built once: constructing the aliased subquery costs milliseconds per request.
NOT_REPLY_TO_OTHERS = _build_not_reply_to_others()


def _followed(viewer_id: Viewer) -> ColumnElement[bool]:
    return and_(col(Follow.follower_id) == viewer_id, col(Follow.state) == FollowState.accepted)


def _parent_author() -> ColumnElement[int]:
    parent = aliased(Post)
    return (
        select(parent.actor_id).where(col(parent.id) == col(Post.in_reply_to_id)).scalar_subquery()
    )


def home(viewer_id: Viewer) -> list[ColumnElement[bool]]:
    """Posts by the people `viewer_id` follows and by `viewer_id`, except people on one of
    their exclusive lists (read there, not here). Visibility is `visible_to`'s."""
    followed = select(Follow.followed_id).where(_followed(viewer_id))
    authors: ColumnElement[bool] = col(Post.actor_id).in_(
        union_all(followed, select(literal(viewer_id)))
    )
    return [authors, not_exclusively_listed(viewer_id)]


def not_exclusively_listed(viewer_id: Viewer) -> ColumnElement[bool]:
    """The author is on none of `viewer_id`'s exclusive lists."""
    listed = (
        select(ListMember.actor_id)
        .join(PersonList, col(PersonList.id) == ListMember.list_id)
        .where(col(PersonList.actor_id) == viewer_id, col(PersonList.exclusive).is_(True))
    )
    return col(Post.actor_id).not_in(listed)


def of_list(viewer_id: int, chosen: PersonList) -> list[ColumnElement[bool]]:
    """Posts by the people on `chosen`, with the replies its policy allows."""
    people = select(ListMember.actor_id).where(ListMember.list_id == chosen.id)
    parent_author = _parent_author()
    if chosen.replies_policy == RepliesPolicy.none:
        replies = NOT_REPLY_TO_OTHERS
    elif chosen.replies_policy == RepliesPolicy.list:
        replies = or_(NOT_REPLY_TO_OTHERS, parent_author.in_(people))
    else:
        followed = select(Follow.followed_id).where(_followed(viewer_id))
        replies = or_(NOT_REPLY_TO_OTHERS, parent_author.in_(followed), parent_author == viewer_id)
    return [col(Post.actor_id).in_(people), replies]


def any_list(chosen: type[PersonList]) -> list[ColumnElement[bool]]:
    """`of_list` for whichever list `chosen` (an alias in the statement) names, for the
    fan-out of one post to every list it enters: the policy is read from the row."""
    owner, list_id = col(chosen.actor_id), col(chosen.id)
    member = aliased(ListMember)  # the statement may join ListMember itself
    people = select(member.actor_id).where(col(member.list_id) == list_id)
    parent_author = _parent_author()
    followed = select(Follow.followed_id).where(_followed(owner))
    replies = or_(
        NOT_REPLY_TO_OTHERS,
        and_(col(chosen.replies_policy) == RepliesPolicy.list, parent_author.in_(people)),
        and_(
            col(chosen.replies_policy) == RepliesPolicy.followed,
            or_(parent_author.in_(followed), parent_author == owner),
        ),
    )
    return [col(Post.actor_id).in_(people), replies]
