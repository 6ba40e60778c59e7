"""The dashboard's "What the care led to" tables: shares with their 95 % intervals, in
words, and "too few to show" for groups under the members' floor."""

from __future__ import annotations

from dataclasses import dataclass

from server.services.outcome_figures import MIN_MEMBERS, OutcomeFigures, Part

KIND_WORDS = {"pause": "Pauses", "tone_nudge": "Tone nudges", "card": "Cards"}
OUTCOME_WORDS = {
    "edited": "edited during the pause",
    "withdrawn": "withdrawn (its draft kept)",
    "reposted": "withdrawn, then posted again from its draft",
    "discarded": "withdrawn, then its draft thrown away",
    "as_written": "posted as written",
    "rephrased": "rephrased",
    "draft": "kept as a draft",
    "didnt_fit": "“this didn't fit”",
    "": "no outcome yet",
}
FOLLOW_UP_WORDS = {
    "answered": "answered within 48 hours by the person replied to",
    "turned_away": "replier blocked, muted or reported within 7 days",
    "slowed": "thread put in slow mode within 7 days",
    "hidden": "hidden by the thread's author",
    "still_flagged": "still trips the tone check as posted",
}
TOO_FEW = f"Too few to show: fewer than {MIN_MEMBERS} different members."
TOO_FEW_FOLLOWED = f"too few to show (replies from fewer than {MIN_MEMBERS} different members)."


@dataclass(frozen=True)
class Table:
    """One kind's table: a heading, a sentence, and rows of (what, count, share)."""

    id: str
    heading: str
    summary: str
    rows: list[tuple[str, str, str]]
    follow_summary: str
    follow_rows: list[tuple[str, str, str]]


def share(found: Part) -> str:
    """ "31% (26–37%)": the share and its 95 % interval, in whole percents."""
    low, high = round(100 * found.interval.low), round(100 * found.interval.high)
    return f"{round(100 * found.interval.estimate)}% ({low}–{high}%)"


def _rows(parts: list[Part], words: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(words.get(p.name, p.name), f"{p.count} of {p.total}", share(p)) for p in parts]


def tables(found: OutcomeFigures) -> list[Table]:
    """One table per kind of moment, then the welcome answers."""
    shown = []
    for kind in found.kinds:
        name = KIND_WORDS.get(kind.kind, kind.kind)
        if kind.shown:
            summary = f"{kind.events} from {kind.members} different members."
            rows = _rows(kind.outcomes, OUTCOME_WORDS)
        else:
            summary, rows = TOO_FEW, []
        if kind.follow_ups_shown:
            follow_summary = (
                f"Of {kind.followed} replies whose windows have passed, from "
                f"{kind.followed_members} different members:"
            )
            follow_rows = _rows(kind.follow_ups, FOLLOW_UP_WORDS)
        elif kind.followed:
            follow_summary, follow_rows = f"What followed: {TOO_FEW_FOLLOWED}", []
        else:
            follow_summary, follow_rows = "What followed: no reply's windows have passed yet.", []
        shown.append(
            Table(f"outcomes-{kind.kind}", name, summary, rows, follow_summary, follow_rows)
        )
    welcome = found.welcome
    if welcome.shown:
        summary = f"{welcome.answers} answers from {welcome.members} different members."
        rows = _rows([welcome.welcome], {"yes": "said yes, the reply was welcome"})
    elif welcome.answers:
        summary, rows = TOO_FEW, []
    else:
        summary, rows = "Nobody has answered yet (the question is off unless a norm asks it).", []
    shown.append(Table("outcomes-welcome", "Was this reply welcome?", summary, rows, "", []))
    return shown
