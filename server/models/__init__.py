"""The database tables. Importing this package registers every table on SQLModel.metadata."""

from server.models.actors import Actor, ActorKey, Member, MemberRole, MemberState
from server.models.care import CareEvent, CareKind, LinkOpen
from server.models.conversations import RankedSnapshot, ReplyFact, ThreadSignals
from server.models.counters import ActorCounter, PostCounter
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
from server.models.feeds import FeedEntry, FeedFloor
from server.models.follows import Follow, FollowState
from server.models.interaction_policies import (
    Direction,
    Interaction,
    InteractionRequest,
    PolicyDefault,
    PostPolicy,
    Quote,
    QuoteState,
    RequestState,
)
from server.models.interactions import Block, Bookmark, Like, Mute
from server.models.lists import ListMember, PersonList, RepliesPolicy
from server.models.mail import MailToken, OutgoingMail, TokenPurpose
from server.models.markers import Marker
from server.models.moderation import (
    AccountNote,
    ActionKind,
    Appeal,
    AppealState,
    AuditEntry,
    ModerationAction,
    ModerationNotice,
    NoticeKind,
    Report,
    ReportCategory,
    ReportedPost,
    ReportState,
)
from server.models.norms import NormChange, NormExperiment, NormValue
from server.models.notification_policies import (
    NotificationPermission,
    NotificationPolicy,
    PolicyAction,
    ThreadMute,
)
from server.models.notifications import Notification, NotificationKind
from server.models.oauth import OAuthApp, OAuthCode, OAuthToken
from server.models.outcomes import CareDaily, ReplyWelcome
from server.models.posts import (
    Attachment,
    Draft,
    IdempotencyKey,
    Mention,
    Poll,
    Post,
    PostEdit,
    PostState,
    PostTag,
    ThreadSetting,
    Visibility,
)
from server.models.preferences import Preferences
from server.models.publishing import ScheduledPublish
from server.models.sessions import WebSession
from server.models.shields import PileOnShield
from server.models.stewardship import HiddenReply

__all__ = [
    "Direction",
    "Interaction",
    "InteractionRequest",
    "PolicyDefault",
    "PostPolicy",
    "Quote",
    "QuoteState",
    "RequestState",
    "HiddenReply",
    "AccountNote",
    "ActionKind",
    "Appeal",
    "AppealState",
    "AuditEntry",
    "ModerationAction",
    "ModerationNotice",
    "NoticeKind",
    "Report",
    "ReportCategory",
    "ReportedPost",
    "ReportState",
    "ActorCounter",
    "PostCounter",
    "FeedEntry",
    "FeedFloor",
    "WebSession",
    "RankedSnapshot",
    "ReplyFact",
    "ThreadSignals",
    "LinkOpen",
    "CareEvent",
    "CareKind",
    "CareDaily",
    "ReplyWelcome",
    "ThreadSetting",
    "NormChange",
    "NormExperiment",
    "NormValue",
    "Preferences",
    "RepliesPolicy",
    "PersonList",
    "OAuthToken",
    "OAuthCode",
    "OAuthApp",
    "Mute",
    "MailToken",
    "Marker",
    "OutgoingMail",
    "TokenPurpose",
    "ListMember",
    "IdempotencyKey",
    "Bookmark",
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
    "NotificationPermission",
    "NotificationPolicy",
    "PolicyAction",
    "ThreadMute",
    "NotificationKind",
    "OutboxItem",
    "OutboxKind",
    "PileOnShield",
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
