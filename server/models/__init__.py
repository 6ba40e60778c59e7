"""The database tables. Importing this package registers every table on SQLModel.metadata."""

from server.models.actors import Actor, Member, MemberRole, MemberState
from server.models.follows import Follow, FollowState
from server.models.notifications import Notification, NotificationKind
from server.models.posts import Draft, Mention, Post, PostState, PostTag, Visibility
from server.models.publishing import ScheduledPublish

__all__ = [
    "Actor",
    "Draft",
    "Follow",
    "FollowState",
    "Member",
    "MemberRole",
    "MemberState",
    "Mention",
    "Notification",
    "NotificationKind",
    "Post",
    "PostState",
    "PostTag",
    "ScheduledPublish",
    "Visibility",
]
