"""The numbers composing obeys (pauses, length, budgets, tone, slow mode), from the norms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.services.norm_settings import (
    NormValues,
    build,
    lines,
    nested_field,
    norm_field,
    seconds,
)
from server.services.policy_reads import CommunityPolicy
from server.services.slow_mode import Limits


@dataclass(frozen=True)
class Rules:
    """The numbers composing obeys, from the community's norms."""

    base_url: str
    #: Where Porch sends mail, a member posts only once their address is confirmed: an
    #: address nobody proved is how throwaway accounts post.
    confirmed_only: bool
    #: The author's arm in a running norm experiment ("x12:new"), written on their pause's
    #: care event; "" when none runs (server/services/norms.py `Norms.for_member`).
    arm: str
    max_chars: int = norm_field("posts.max_chars")
    pause_post: timedelta = norm_field("pause.post_seconds", seconds)
    pause_reply: timedelta = norm_field("pause.reply_seconds", seconds)
    #: A reply inside an ongoing exchange between mutuals: dialogue should flow.
    pause_mutual_reply: timedelta = norm_field("pause.mutual_reply_seconds", seconds)
    #: A first reply to someone with no relationship to the author.
    pause_stranger_reply: timedelta = norm_field("pause.stranger_reply_seconds", seconds)
    #: A reply kept as written after the tone check pointed at some of its words.
    pause_as_written_reply: timedelta = norm_field("pause.as_written_reply_seconds", seconds)
    #: A reply in a thread in slow mode.
    pause_hot_thread_reply: timedelta = norm_field("pause.hot_thread_reply_seconds", seconds)
    tone_phrases: tuple[str, ...] = norm_field("tone.phrases", lines)
    advice_phrases: tuple[str, ...] = norm_field("cards.advice_phrases", lines)
    intents: tuple[str, ...] = norm_field("intents.list", lines)
    tone_indicators: tuple[str, ...] = norm_field("tone.indicators", lines)
    #: The interaction policy each intent brings (server/services/intent_rules.py).
    intent_rules: tuple[str, ...] = norm_field("intents.rules", lines)
    #: The community's default interaction policy for members' posts.
    interactions: CommunityPolicy = nested_field(CommunityPolicy)
    slow_limits: Limits = nested_field(Limits)
    #: Top-level posts per rolling 24 hours, and for accounts in their first days.
    daily_posts: int = norm_field("budget.posts_per_day")
    newcomer_daily_posts: int = norm_field("budget.newcomer_posts_per_day")
    newcomer_days: int = norm_field("budget.newcomer_days")
    #: The share of tone nudges held back at random (server/services/holdouts.py).
    holdout_nudges_percent: int = norm_field("holdouts.nudges_percent")


def rules(
    found: NormValues, base_url: str, *, confirmed_only: bool = False, arm: str = ""
) -> Rules:
    """The numbers composing obeys, from the norms in force (a member's own, with their
    experiment `arm`); `confirmed_only` where Porch sends mail."""
    return build(Rules, found, base_url=base_url, confirmed_only=confirmed_only, arm=arm)
