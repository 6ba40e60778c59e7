"""How long a reply waits before it goes out, from how its author and the person
answered stand with each other and how it is worded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from server.services import relationships, tone
from server.services.posting_rules import Rules

if TYPE_CHECKING:  # posts imports this module
    from server.services.posts import Composition


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
) -> timedelta:
    """A reply's pause fits the relationship: short inside an exchange between mutuals,
    longer for a first reply to a stranger, longer still when kept as written after the
    tone check. With `nudge` (a composer that can show it) wording that may land harder
    than meant raises ToneNudge first; it never blocks the reply."""
    situation = await relationships.reply_situation(session, author_id, answered_id, now)
    if situation is relationships.Situation.mutual_exchange:
        return rules.pause_mutual_reply  # banter between people who talk often
    pause = rules.pause_reply
    if situation is relationships.Situation.stranger:
        pause = rules.pause_stranger_reply
    flags = tone.check(draft.text, rules.tone_phrases, draft.language)
    if no_advice:  # the post asked for none: advice is worth a second look too
        flags = tone.merge([*flags, *tone.advice(draft.text, rules.advice_phrases)])
    if flags:
        if nudge and not draft.as_written:
            raise tone.ToneNudge(flags)
        pause = max(pause, rules.pause_as_written_reply)
    return pause
