"""The norms registry: every norm's name, group, kind, range, default and help, as data.

This module is the one place a norm's default lives, and it imports no other service. The
norms service (server/services/norms.py) reads, changes and records the values; each
consumer declares its settings with `norm_field` (server/services/norm_settings.py), so
their defaults are these; server/config.py takes the default and range of the settings
that seed a norm (PORCH_PAUSE_POST_SECONDS …) from here. Adding a norm: one entry in
`REGISTRY`, its use, and its line in docs/norms.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.services.errors import Invalid

#: The interaction-policy presets a norm can name (their rules are in
#: server/services/interaction_policies.py, which holds the same names).
PRESET_NAMES = (
    "anyone",
    "anyone-asks",
    "followers",
    "followers-others-ask",
    "following",
    "following-others-ask",
    "mutuals",
    "mutuals-others-ask",
    "mentioned",
    "nobody",
)


class RegistrationMode(StrEnum):
    """Who may join: the choices of `registrations.mode`."""

    open = "open"
    approval = "approval"
    closed = "closed"


@dataclass(frozen=True)
class Norm:
    """One norm: what it is, what values it takes, and what it does, in plain words."""

    name: str
    group: str
    label: str
    help: str
    kind: str  # "int", "number" (decimals allowed), "choice", "text" (one line), "lines"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    #: Old names of choices, still accepted (a stored value keeps its meaning).
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: The environment setting that seeds the default (server/config.py takes its own
    #: default and range from this norm, so the number lives here only).
    setting: str = ""
    #: A "lines" norm that may be left empty (nothing to list is a choice too).
    allow_empty: bool = False

    def default_for(self, settings: object) -> Any:
        """The default in force: the seeding setting's value where there is one."""
        return self.parse(getattr(settings, self.setting)) if self.setting else self.default

    def parse(self, raw: Any) -> Any:
        """The value `raw` (text from a form or the CLI, or a stored value) stands for,
        or Invalid with a message an admin can act on."""
        if self.kind in ("int", "number"):
            try:
                value: Any = (int if self.kind == "int" else float)(str(raw).strip())
            except ValueError:
                wanted = "a whole number" if self.kind == "int" else "a number"
                raise Invalid(f"{self.label} must be {wanted}.", field=self.name) from None
            if not math.isfinite(value):
                raise Invalid(f"{self.label} must be a number.", field=self.name)
            low, high = self.minimum, self.maximum
            if (low is not None and value < low) or (high is not None and value > high):
                raise Invalid(
                    f"{self.label} must be between {_number(low)} and {_number(high)}"
                    f"{' ' + self.unit if self.unit else ''}.",
                    field=self.name,
                )
            return value
        if self.kind == "choice":
            value = str(raw).strip().lower()
            value = self.aliases.get(value, value)
            if value not in self.choices:
                raise Invalid(
                    f"{self.label} must be one of: {', '.join(self.choices)}.", field=self.name
                )
            return value
        if self.kind == "text":
            value = " ".join(str(raw).split())
            if not value:
                raise Invalid(f"{self.label} cannot be empty.", field=self.name)
            if len(value) > 300:
                raise Invalid(f"{self.label} is at most 300 characters.", field=self.name)
            return value
        lines = raw if isinstance(raw, list) else str(raw).replace("\r\n", "\n").split("\n")
        kept = [" ".join(str(line).split()) for line in lines if str(line).strip()]
        if not kept and not self.allow_empty:
            raise Invalid(f"{self.label} needs at least one line.", field=self.name)
        if self.maximum is not None and len(kept) > self.maximum:
            raise Invalid(f"{self.label} has at most {self.maximum} lines.", field=self.name)
        if any(len(line) > 300 for line in kept):
            raise Invalid(f"Each line of {self.label} is at most 300 characters.", field=self.name)
        return kept

    def show(self, value: Any) -> str:
        """The value as an admin types it."""
        if self.kind == "number":
            return _number(value)
        return "\n".join(value) if self.kind == "lines" else str(value)

    def said(self, value: Any) -> str:
        """The value in a sentence: as an admin types it, lines joined by " · ", and the
        unit after a number ("600 seconds")."""
        shown = self.show(value).replace("\n", " · ")
        return f"{shown} {self.unit}" if self.unit and self.kind in ("int", "number") else shown


def _number(value: float | None) -> str:
    """2.0 as "2", 0.25 as "0.25"."""
    return "" if value is None else f"{value:g}"


DEFAULT_TONE_PHRASES = [
    "en: idiot",
    "en: stupid",
    "en: moron",
    "en: pathetic",
    "en: ridiculous",
    "en: nonsense",
    "en: shut up",
    "en: liar",
    "en: ^why would you",
    "en: ^why do you always",
    "en: ^are you serious",
    "en: ^how dare you",
    "en: ^you always",
    "en: ^you never",
    "de: Idiot",
    "de: dumm",
    "de: halt die Klappe",
    "fr: imbécile",
    "fr: idiot",
    "fr: tais-toi",
    "es: idiota",
    "es: estúpido",
    "es: cállate",
    "pt: idiota",
    "pt: cala a boca",
]
DEFAULT_RULES = [
    "Be kind. Disagree with ideas, not with people.",
    "Say what you mean in your own words; quote others fairly.",
    "No harassment, no hate, no spam.",
]


REGISTRY: tuple[Norm, ...] = (
    Norm(
        "pause.post_seconds",
        "Pauses",
        "Pause before a post",
        "How long a new top-level post waits before anyone else sees it; its author can "
        "edit or withdraw it meanwhile.",
        "int",
        30,
        0,
        3600,
        unit="seconds",
        setting="pause_post_seconds",
    ),
    Norm(
        "pause.reply_seconds",
        "Pauses",
        "Pause before a reply",
        "How long a reply waits before it goes out.",
        "int",
        20,
        0,
        3600,
        unit="seconds",
        setting="pause_reply_seconds",
    ),
    Norm(
        "pause.mutual_reply_seconds",
        "Pauses",
        "Pause in a conversation between mutuals",
        "A reply to someone who follows you back and with whom you exchanged replies in "
        "the last week: short, so dialogue flows.",
        "int",
        5,
        0,
        3600,
        unit="seconds",
        setting="pause_mutual_reply_seconds",
    ),
    Norm(
        "pause.stranger_reply_seconds",
        "Pauses",
        "Pause before a first reply to a stranger",
        "A reply to someone you do not follow, who does not follow you, and with whom you "
        "have not exchanged a reply either way: longer, a moment to read who they are.",
        "int",
        60,
        0,
        3600,
        unit="seconds",
        setting="pause_stranger_reply_seconds",
    ),
    Norm(
        "pause.as_written_reply_seconds",
        "Pauses",
        "Pause for a reply posted as written after a tone nudge",
        "When the author keeps wording the tone check pointed at, the reply waits this long "
        "(or its usual pause, if longer).",
        "int",
        120,
        0,
        3600,
        unit="seconds",
    ),
    Norm(
        "pause.hot_thread_reply_seconds",
        "Pauses",
        "Pause for a reply in a hot thread",
        "A reply in a thread in slow mode waits this long (or its usual pause, if longer).",
        "int",
        90,
        0,
        3600,
        unit="seconds",
    ),
    Norm(
        "tone.phrases",
        "Tone care",
        "Words and phrases that often read as harsh",
        "One per line. Start a line with a language code and a colon (de: Idiot) to use it "
        "only for posts in that language, and the phrase with ^ (^why would you) to match "
        "only at the start of a reply's words, after any @mentions. Shouting in capitals and piles of ! or ? are caught in any "
        "language. The check is skipped between mutuals who talk often.",
        "lines",
        DEFAULT_TONE_PHRASES,
        maximum=500,
    ),
    Norm(
        "slowmode.hot_replies",
        "Slow mode",
        "Replies that make a thread hot",
        "A thread slows down by itself when this many replies come within the window below "
        "from people who do not follow its author.",
        "int",
        10,
        2,
        1000,
        unit="replies",
    ),
    Norm(
        "slowmode.hot_minutes",
        "Slow mode",
        "Window for a hot thread",
        "The time in which those replies must come.",
        "int",
        30,
        1,
        1440,
        unit="minutes",
    ),
    Norm(
        "slowmode.interval_seconds",
        "Slow mode",
        "One reply per person every",
        "In a slowed thread each person (but its author) may reply once in this time.",
        "int",
        120,
        10,
        86400,
        unit="seconds",
    ),
    Norm(
        "cards.advice_phrases",
        "Reflective cards",
        "Phrases that offer advice",
        "One per line. A reply to a post that asked for no advice is shown back when it "
        "uses one of these, like wording the tone check points at.",
        "lines",
        [
            "you should",
            "have you tried",
            "why don't you",
            "why not just",
            "I'd suggest",
            "I would suggest",
            "my advice",
            "you need to",
            "you could try",
            "just try",
        ],
        maximum=200,
    ),
    Norm(
        "budget.posts_per_day",
        "Budgets",
        "Posts a day",
        "Top-level posts a member may write in any 24 hours (replies do not count). "
        "Members always see what is left.",
        "int",
        20,
        1,
        100_000,
        unit="posts",
        setting="posts_per_day",
    ),
    Norm(
        "budget.newcomer_posts_per_day",
        "Budgets",
        "Posts a day for newcomers",
        "The same budget for accounts in their first days.",
        "int",
        5,
        1,
        100_000,
        unit="posts",
        setting="newcomer_posts_per_day",
    ),
    Norm(
        "budget.newcomer_days",
        "Budgets",
        "Days as a newcomer",
        "How many days after joining the newcomers' budget applies (0: never).",
        "int",
        7,
        0,
        365,
        unit="days",
        setting="newcomer_days",
    ),
    Norm(
        "posts.max_chars",
        "Posts",
        "Longest post",
        "The most characters a post or reply may have.",
        "int",
        500,
        1,
        100_000,
        unit="characters",
        setting="max_post_chars",
    ),
    Norm(
        "registrations.mode",
        "Members",
        "Sign-ups",
        "open: anyone may join; approval: an admin approves each sign-up; closed: nobody "
        "new may join.",
        "choice",
        "open",
        choices=tuple(m.value for m in RegistrationMode),
        setting="registration_mode",
    ),
    Norm(
        "newcomers.rules_posts",
        "Members",
        "Show the rules to newcomers for their first",
        "A member who has written fewer posts and replies than this sees the community's "
        "rules in short once, the first time they open the composer (0 turns it off).",
        "int",
        5,
        0,
        100,
        unit="posts",
    ),
    Norm(
        "intents.list",
        "Posts",
        "What a post can be looking for",
        "The choices an author has to say what they want from a post; shown on the post and "
        "in the reply composer, and sent to other servers as a line of text.",
        "lines",
        [
            "just sharing",
            "asking for advice",
            "venting — no advice please",
            "celebrating",
            "discussion welcome",
        ],
        maximum=20,
    ),
    Norm(
        "tone.indicators",
        "Tone care",
        "How a reply can be meant",
        "The tone indicators a reply may carry, shown on it and sent as text.",
        "lines",
        ["genuine question", "joking", "supportive", "serious"],
        maximum=20,
    ),
    Norm(
        "cards.cap_days",
        "Reflective cards",
        "Show each card at most once per person every",
        "A card of a kind appears at most once for the same person you reply to in this many days.",
        "int",
        30,
        1,
        365,
        unit="days",
    ),
    Norm(
        "cards.old_post_days",
        "Reflective cards",
        "A post counts as old after",
        "Replying to a post older than this shows the old-post card.",
        "int",
        7,
        1,
        365,
        unit="days",
    ),
    Norm(
        "cards.stranger_text",
        "Reflective cards",
        "Card: a first reply to a stranger",
        "Shown when you reply to someone you have no relationship with. {name} is their name.",
        "text",
        "You and {name} have not talked before. What do you hope they take from your reply?",
    ),
    Norm(
        "cards.old_post_text",
        "Reflective cards",
        "Card: an old post",
        "Shown when the post is older than the norm above. {age} is how old it is.",
        "text",
        "This post is from {age}. Is the conversation still going, or has it moved on?",
    ),
    Norm(
        "cards.hot_thread_text",
        "Reflective cards",
        "Card: a thread running hot",
        "Shown when the thread is in slow mode.",
        "text",
        "This thread is moving fast. A calm, considered reply stands out.",
    ),
    Norm(
        "cards.unopened_link_text",
        "Reflective cards",
        "Card: a link you have not opened",
        "Shown when the post links to a page you have not opened from Porch (once a post).",
        "text",
        "The post links to a page you have not opened. Read it before you reply?",
    ),
    Norm(
        "cards.no_advice_text",
        "Reflective cards",
        "Card: a post that asks for no advice",
        "Shown when the post's intent asks for no advice. {name} is the author's name.",
        "text",
        "{name} asked for no advice. Would listening, or sharing how it was for you, help more?",
    ),
    Norm(
        "likes.counts",
        "Posts",
        "Like counts",
        "hidden: members see how many liked a post only when they choose to reveal it; "
        "shown: the count is always there.",
        "choice",
        "hidden",
        choices=("hidden", "shown"),
    ),
    Norm(
        "replies.hidden_told",
        "Posts",
        "Telling a hidden reply's author",
        "silent: when a thread's author hides a reply, its author is not told (they still "
        "see their reply, marked as hidden); told: they get a notification saying the "
        "thread's author hid it, and nothing more.",
        "choice",
        "silent",
        choices=("silent", "told"),
    ),
    Norm(
        "timeline.default",
        "Members",
        "The timeline members land on",
        "conversations: posts from the people they follow, ranked by conversation; "
        "latest: the same, newest first; local: everyone's public posts here. Members "
        "switch between Conversations and Latest, and their choice is remembered.",
        "choice",
        "conversations",
        choices=("conversations", "latest", "local"),
        aliases={"home": "latest"},
    ),
    Norm(
        "ranking.window_hours",
        "Conversations ranking",
        "Window",
        "Threads started this long ago or less can appear on the Conversations timeline.",
        "int",
        72,
        6,
        720,
        unit="hours",
    ),
    Norm(
        "ranking.half_life_hours",
        "Conversations ranking",
        "Half-life",
        "A thread's score halves every this many hours since it started.",
        "int",
        24,
        6,
        72,
        unit="hours",
    ),
    Norm(
        "ranking.min_reply_chars",
        "Conversations ranking",
        "Shortest reply that counts",
        "Replies shorter than this (once mentions, links and emoji are out) do not count as conversation.",
        "int",
        20,
        0,
        500,
        unit="characters",
    ),
    Norm(
        "ranking.trust_hours",
        "Conversations ranking",
        "Known for",
        "Replies count only from accounts this server has known this long, or that a member follows.",
        "int",
        24,
        0,
        720,
        unit="hours",
    ),
    Norm(
        "ranking.full_repliers_per_server",
        "Conversations ranking",
        "Full-weight repliers per server",
        "From any one other server, this many repliers count fully; more count at the weight below.",
        "int",
        3,
        1,
        100,
        unit="people",
    ),
    Norm(
        "ranking.extra_replier_weight",
        "Conversations ranking",
        "Weight of extra repliers from one server",
        "What each further replier from the same server counts (1 counts fully).",
        "number",
        0.25,
        0.0,
        1.0,
    ),
    Norm(
        "ranking.fast_turn_seconds",
        "Conversations ranking",
        "Fast turn",
        "A turn this soon after the previous one between the same two people counts at the value below: slowness is valued.",
        "int",
        120,
        0,
        3600,
        unit="seconds",
    ),
    Norm(
        "ranking.fast_turn_value",
        "Conversations ranking",
        "Value of a fast turn",
        "A pair's turns (after the cap) are discounted by their share of fast turns: all "
        "fast, they count this much of slow ones (1: no discount).",
        "number",
        0.5,
        0.0,
        1.0,
    ),
    Norm(
        "ranking.pileon_repliers",
        "Conversations ranking",
        "Pile-on: repliers",
        "A thread is a pile-on when at least this many people replied, mostly strangers to the author, mostly fast.",
        "int",
        10,
        2,
        1000,
        unit="people",
    ),
    Norm(
        "ranking.pileon_stranger_percent",
        "Conversations ranking",
        "Pile-on: share of strangers",
        "Share of repliers who never followed or answered the author before.",
        "int",
        80,
        1,
        100,
        unit="%",
    ),
    Norm(
        "ranking.pileon_hours",
        "Conversations ranking",
        "Pile-on: how fast",
        "Repliers arriving within this many hours of the post count as fast.",
        "int",
        2,
        1,
        72,
        unit="hours",
    ),
    Norm(
        "ranking.dominance_replies",
        "Conversations ranking",
        "Dominated: replies",
        "A thread with at least this many replies is dominated when two people other than the author wrote most of it.",
        "int",
        10,
        2,
        1000,
        unit="replies",
    ),
    Norm(
        "ranking.dominance_percent",
        "Conversations ranking",
        "Dominated: share",
        "Share of the replies those two wrote.",
        "int",
        60,
        1,
        100,
        unit="%",
    ),
    Norm(
        "ranking.base_mutual",
        "Conversations ranking",
        "Points: you follow each other",
        "Starting points for a post by someone the reader follows and who follows them back.",
        "number",
        3.0,
        0.0,
        20.0,
        unit="points",
    ),
    Norm(
        "ranking.base_followed",
        "Conversations ranking",
        "Points: you follow them",
        "Starting points for a post by someone the reader follows (or by the reader).",
        "number",
        2.0,
        0.0,
        20.0,
        unit="points",
    ),
    Norm(
        "ranking.base_other",
        "Conversations ranking",
        "Points: someone else",
        "Starting points for a thread where people the reader follows are talking.",
        "number",
        1.0,
        0.0,
        20.0,
        unit="points",
    ),
    Norm(
        "ranking.voices_weight",
        "Conversations ranking",
        "Weight: distinct voices",
        "Times log2(1 + repliers): more people count, less and less.",
        "number",
        1.0,
        0.0,
        10.0,
    ),
    Norm(
        "ranking.exchange_weight",
        "Conversations ranking",
        "Weight: back-and-forth",
        "Times the sum over pairs who answered each other of log2(1 + turns); pairs with the author or someone the reader follows count fully, others half.",
        "number",
        2.0,
        0.0,
        10.0,
    ),
    Norm(
        "ranking.exchange_cap",
        "Conversations ranking",
        "Cap: back-and-forth",
        "The back-and-forth sum counts at most this much.",
        "number",
        8.0,
        0.0,
        50.0,
    ),
    Norm(
        "ranking.pair_turn_cap",
        "Conversations ranking",
        "Cap: turns per pair",
        "Turns between two people count at most this many: a long two-person thread stops climbing.",
        "int",
        6,
        1,
        50,
        unit="turns",
    ),
    Norm(
        "ranking.author_joined",
        "Conversations ranking",
        "Points: the author joined in",
        "Points when the author answered someone in their thread.",
        "number",
        2.0,
        0.0,
        20.0,
        unit="points",
    ),
    Norm(
        "ranking.author_extra_cap",
        "Conversations ranking",
        "Points: the author answered more people",
        "One more point for each further person the author answered, up to this many.",
        "int",
        2,
        0,
        10,
        unit="points",
    ),
    Norm(
        "ranking.known_weight",
        "Conversations ranking",
        "Weight: people you follow talking",
        "Points for each person the reader follows who is talking there.",
        "number",
        1.0,
        0.0,
        10.0,
        unit="points",
    ),
    Norm(
        "ranking.known_cap",
        "Conversations ranking",
        "Cap: people you follow talking",
        "Counts at most this many people.",
        "int",
        3,
        0,
        20,
        unit="people",
    ),
    Norm(
        "ranking.substance_weight",
        "Conversations ranking",
        "Weight: substance",
        "Points for replies of the length below (median), capped: length is easy to game.",
        "number",
        1.0,
        0.0,
        10.0,
        unit="points",
    ),
    Norm(
        "ranking.substance_chars",
        "Conversations ranking",
        "Substance: full length",
        "A median reply this long earns the full substance points.",
        "int",
        200,
        20,
        2000,
        unit="characters",
    ),
    Norm(
        "ranking.likes_weight",
        "Conversations ranking",
        "Weight: likes",
        "Times log2(1 + likes): near zero, a tiebreaker.",
        "number",
        0.05,
        0.0,
        1.0,
    ),
    Norm(
        "ranking.boosts_weight",
        "Conversations ranking",
        "Weight: boosts",
        "Times log2(1 + boosts): near zero, a tiebreaker.",
        "number",
        0.1,
        0.0,
        1.0,
    ),
    Norm(
        "ranking.quiet_boost",
        "Conversations ranking",
        "Boost: people who rarely post",
        "Score multiplier for posts by people who posted few top-level posts this week.",
        "number",
        1.25,
        1.0,
        3.0,
        unit="×",
    ),
    Norm(
        "ranking.quiet_posts",
        "Conversations ranking",
        "Rarely posts: at most",
        "Top-level posts in 7 days that still count as rarely posting.",
        "int",
        3,
        0,
        50,
        unit="posts",
    ),
    Norm(
        "ranking.pileon_penalty",
        "Conversations ranking",
        "Penalty: pile-on",
        "Score multiplier for a pile-on.",
        "number",
        0.5,
        0.05,
        1.0,
        unit="×",
    ),
    Norm(
        "ranking.dominance_penalty",
        "Conversations ranking",
        "Penalty: dominated thread",
        "Score multiplier for a dominated thread.",
        "number",
        0.5,
        0.05,
        1.0,
        unit="×",
    ),
    Norm(
        "ranking.diversity_decay",
        "Conversations ranking",
        "Diversity: decay",
        "Each further post by the same author on a page counts (1 - floor) × decay^n + floor of its score.",
        "number",
        0.5,
        0.0,
        1.0,
    ),
    Norm(
        "ranking.diversity_floor",
        "Conversations ranking",
        "Diversity: floor",
        "See Diversity: decay.",
        "number",
        0.25,
        0.0,
        1.0,
    ),
    *(
        Norm(
            f"notifications.{name}",
            "Notifications",
            label,
            f"{what} accept: shown as any other; filter: kept apart in the member's filtered "
            "inbox, counted per person, until they accept or dismiss them; drop: never kept. "
            "Each member can choose otherwise for themselves.",
            "choice",
            default,
            choices=("accept", "filter", "drop"),
        )
        for name, label, what, default in (
            (
                "for_not_following",
                "Notifications from people the member does not follow",
                "Notifications from people the member does not follow.",
                "accept",
            ),
            (
                "for_not_followers",
                "Notifications from people who do not follow the member",
                "Notifications from people who do not follow the member, or began to less "
                "than 3 days ago.",
                "accept",
            ),
            (
                "for_new_accounts",
                "Notifications from new accounts",
                "Notifications from accounts younger than 30 days (for people elsewhere: "
                "first seen here less than 30 days ago).",
                "accept",
            ),
            (
                "for_private_mentions",
                "Unsolicited private mentions",
                "Direct posts mentioning the member from someone they do not follow, unless "
                "the post answers one of the member's own.",
                "filter",
            ),
            (
                "for_limited_accounts",
                "Notifications from limited accounts",
                "Notifications from people on limited servers whom the member does not follow.",
                "filter",
            ),
        )
    ),
    Norm(
        "reports.per_day",
        "Moderation",
        "Reports a member can file in a day",
        "How many reports one member can send in 24 hours; more wait until the next day, "
        "so the queue stays something moderators can read.",
        "int",
        20,
        1,
        1000,
        unit="reports",
    ),
    Norm(
        "reports.flags_per_day",
        "Moderation",
        "Reports another server can send in a day",
        "How many reports (Flags) one other server can add to the queue in 24 hours; "
        "more are refused, so no server can flood the moderators.",
        "int",
        50,
        1,
        10000,
        unit="reports",
    ),
    *(
        Norm(
            f"interactions.{kind}",
            "Interactions",
            f"Who may {verb} by default",
            f"Who may {verb} a member's post unless the member or the post's intent says "
            "otherwise; the others are refused, or ask the author where the choice says so. "
            "Followers-only and direct posts are never boosted or quoted.",
            "choice",
            default,
            choices=PRESET_NAMES,
        )
        for kind, verb, default in (
            ("reply", "reply to", "anyone"),
            ("like", "like", "anyone"),
            ("boost", "boost", "anyone"),
            ("quote", "quote", "followers-others-ask"),
        )
    ),
    Norm(
        "shield.mode",
        "Pile-on shield",
        "Pile-on shield",
        "on: a member's thread answered by a surge of people who do not follow them asks "
        "those people's replies and quotes to wait for the member's approval for a while, "
        "and gathers their notifications into one; off: never.",
        "choice",
        "on",
        choices=("on", "off"),
    ),
    Norm(
        "shield.strangers",
        "Pile-on shield",
        "People who trip the shield",
        "The shield goes up when this many different people who do not follow a member "
        "reply in their thread or quote its first post within the window below.",
        "int",
        10,
        2,
        1000,
        unit="people",
    ),
    Norm(
        "shield.window_minutes",
        "Pile-on shield",
        "Window for a surge",
        "The time in which those people must arrive.",
        "int",
        60,
        1,
        1440,
        unit="minutes",
    ),
    Norm(
        "shield.hours",
        "Pile-on shield",
        "How long the shield stays up",
        "The shield ends by itself after this long; its author can turn it off sooner.",
        "int",
        24,
        1,
        168,
        unit="hours",
    ),
    Norm(
        "cards.shield_text",
        "Reflective cards",
        "Card: a thread behind the pile-on shield",
        "Shown to people who do not follow the author when they reply in a thread whose "
        "shield is up. {name} is the author's name.",
        "text",
        "{name} is receiving many replies right now; yours will wait for their approval.",
    ),
    Norm(
        "intents.rules",
        "Interactions",
        "The rules an intent brings",
        "One line per intent: the intent, a colon, then who may reply, like, boost or quote "
        "a post with that intent, as presets (reply=mutuals-others-ask, quote=nobody). The "
        "composer shows them when the intent is chosen, and the member can change them for "
        "that post. Interactions a line leaves out follow the member's defaults.",
        "lines",
        ["venting — no advice please: reply=mutuals-others-ask, quote=nobody"],
        maximum=20,
        allow_empty=True,
    ),
    Norm(
        "about.description",
        "Rules",
        "Community description",
        "One or two sentences at the top of the about page: who the community is for.",
        "text",
        "A community for slower, kinder conversation.",
    ),
    Norm(
        "outcomes.welcome_question",
        "Outcomes",
        "Ask whether a reply was welcome",
        "on: under a reply to their post, a member sees a private question, “Was this reply "
        "welcome?” (yes / not really). Only they see it and their answer; it is never shown "
        "to the replier and never leaves this server. off: never asked.",
        "choice",
        "off",
        choices=("on", "off"),
    ),
    Norm(
        "outcomes.keep_days",
        "Outcomes",
        "How long care events are kept",
        "What each pause, nudge, card and slowdown led to is kept this many days for the "
        "dashboard, then only daily counts remain.",
        "int",
        90,
        7,
        730,
        unit="days",
    ),
    Norm(
        "holdouts.cards_percent",
        "Outcomes",
        "Cards held back at random",
        "The share of moments where a reflective card would appear but is deliberately not "
        "shown, chosen at random and recorded, so its effect can be compared with the same "
        "moments without it. 0 never holds a card back; 100 holds back every one (nothing "
        "is shown, each is still recorded). The pile-on shield's card is never held back.",
        "int",
        10,
        0,
        100,
        unit="%",
        setting="holdout_cards_percent",
    ),
    Norm(
        "holdouts.nudges_percent",
        "Outcomes",
        "Tone nudges held back at random",
        "The share of moments where the tone nudge would appear but is deliberately not "
        "shown, chosen at random and recorded, so its effect can be compared with the same "
        "moments without it. The reply still waits its pause for words kept as written. "
        "0 never holds a nudge back; 100 holds back every one (nothing is shown, each is "
        "still recorded).",
        "int",
        10,
        0,
        100,
        unit="%",
        setting="holdout_nudges_percent",
    ),
    Norm(
        "outcomes.health_page",
        "Outcomes",
        "Public health page",
        "on: /about/health shows everyone what the care led to, the holdouts and any norm "
        "experiment, as totals with their intervals (never a name, never fewer than ten "
        "members), and /about links to it. off: only admins see them, on the dashboard.",
        "choice",
        "off",
        choices=("on", "off"),
    ),
    Norm(
        "rules.text",
        "Rules",
        "Community rules",
        "The rules, one per line, shown on the about page and to apps.",
        "lines",
        DEFAULT_RULES,
        maximum=20,
    ),
)
BY_NAME: Mapping[str, Norm] = {norm.name: norm for norm in REGISTRY}

#: Every norm's default, by name.
DEFAULTS: Mapping[str, Any] = {item.name: item.default for item in REGISTRY}
