"""How long a reply waits before it goes out, from how its author and the person
answered stand with each other and how it is worded; and whether the tone nudge is
shown or held back at random (server/services/holdouts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from server.services import holdouts, relationships, tone
from server.services.posting_rules import Rules

if TYPE_CHECKING:  # posts imports this module
    from server.services.posts import Composition


class Worded(Protocol):
    """What the tone nudge reads of a composition (server/services/posts.py's)."""

    @property
    def as_written(self) -> bool: ...
    @property
    def nudged(self) -> bool: ...


@dataclass(frozen=True)
class Pause:
    """How long a post waits, and whether its tone nudge was held back at random (the
    caller records that moment with the post, server/services/posts.py)."""

    wait: timedelta
    nudge_held_out: bool = False


def nudge_or_hold(flags: list[tone.Flag], draft: Worded, rules: Rules, *, nudge: bool) -> bool:
    """Where the composer can show the tone nudge (`nudge`) and the author has not chosen
    to post as written, raise ToneNudge for `flags`, unless this moment is drawn as a
    holdout (the norm holdouts.nudges_percent): then True, and nothing is shown. Words
    the author was already nudged about are shown the nudge again, never drawn twice."""
    if not flags or not nudge or draft.as_written:
        return False
    if draft.nudged or not holdouts.held_out(rules.holdout_nudges_percent):
        raise tone.ToneNudge(flags)
    return True


async def reply_pause(
    session: AsyncSession,
    author_id: int,
    answered_id: int,
    draft: Composition,
    rules: Rules,
    now: datetime,
    *,
    nudge: bool,
    no_advice: bool = False,
) -> Pause:
    """A reply's pause fits the relationship: short inside an exchange between mutuals,
    longer for a first reply to a stranger, longer still when kept as written after the
    tone check. With `nudge` (a composer that can show it) wording that may land harder
    than meant raises ToneNudge first, unless held back at random; it never blocks the
    reply, and a reply whose nudge was held back waits as if kept as written."""
    situation = await relationships.reply_situation(session, author_id, answered_id, now)
    if situation is relationships.Situation.mutual_exchange:
        return Pause(rules.pause_mutual_reply)  # banter between people who talk often
    pause = rules.pause_reply
    if situation is relationships.Situation.stranger:
        pause = rules.pause_stranger_reply
    flags = tone.check(draft.text, rules.tone_phrases, draft.language)
    if no_advice:  # the post asked for none: advice is worth a second look too
        flags = tone.merge([*flags, *tone.advice(draft.text, rules.advice_phrases)])
    if not flags:
        return Pause(pause)
    held = nudge_or_hold(flags, draft, rules, nudge=nudge)
    return Pause(max(pause, rules.pause_as_written_reply), nudge_held_out=held)
