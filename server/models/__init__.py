"""The database tables. Importing this package registers every table on SQLModel.metadata."""

from server.models.actors import Actor, ActorKey, Member, MemberRole, MemberState
from server.models.federation import (
    Delivery,
    DeliveryState,
    Domain,
    DomainPolicy,
    OutboxItem,
    OutboxKind,
    ReceivedActivity,
    Tombstone,
)
from server.models.follows import Follow, FollowState
from server.models.interactions import Block, Like
from server.models.notifications import Notification, NotificationKind
from server.models.posts import (
    Attachment,
    Draft,
    Mention,
    Poll,
    Post,
    PostEdit,
    PostState,
    PostTag,
    Visibility,
)
from server.models.publishing import ScheduledPublish

__all__ = [
    "Actor",
    "ActorKey",
    "Attachment",
    "Block",
    "Delivery",
    "DeliveryState",
    "Domain",
    "DomainPolicy",
    "Draft",
    "Follow",
    "FollowState",
    "Like",
    "Member",
    "MemberRole",
    "MemberState",
    "Mention",
    "Notification",
    "NotificationKind",
    "OutboxItem",
    "OutboxKind",
    "Poll",
    "Post",
    "PostEdit",
    "PostState",
    "PostTag",
    "ReceivedActivity",
    "ScheduledPublish",
    "Tombstone",
    "Visibility",
]
