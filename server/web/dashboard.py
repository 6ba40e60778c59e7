"""The admins' dashboard: what the norms did over the last 30 days, as charts and tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.services import (
    arm_figures,
    experiment_figures,
    moderation_figures,
    outcome_figures,
    shield_figures,
)
from server.services.dashboard import Figures, Share, figures
from server.web import arm_tables, charts, outcome_tables
from server.web.admin import require_admin
from server.web.context import db, now, render

OUTCOME_WORDS = {
    "rephrased": "rephrased",
    "draft": "kept as a draft",
    "as_written": "posted as written",
    "": "no answer yet",
}
CARD_WORDS = {
    "stranger": "Stranger",
    "old_post": "Old post",
    "hot_thread": "Hot thread",
    "unopened_link": "Unopened link",
    "no_advice": "No advice asked",
    "shield": "Pile-on shield",
}
WITHDRAWN_NOTE = (
    "Withdrawn counts every draft made in these days: a post withdrawn in its pause "
    "becomes a draft, and so does one kept as a draft from the composer; the two cannot "
    "be told apart."
)


@dataclass(frozen=True)
class Panel:
    """One chart with its heading, a sentence of totals, and the numbers as a table."""

    id: str
    heading: str
    summary: str
    chart: Markup
    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]
    note: str = ""
    #: Thirty rows, one per day: folded under a "Numbers per day" line.
    folded: bool = False


async def dashboard(request: Request) -> Response:
    """GET /admin/dashboard: the last 30 days of posts, pauses, nudges, cards, slowed
    threads and answered replies."""
    async with db(request) as session:
        me = await require_admin(request, session)
        found = await figures(session, now(request))
        moderated = await moderation_figures.figures(session, now(request))
        shielded = await shield_figures.figures(session, now(request))
        shown = [*panels(found), shield_panel(shielded), moderation_panel(moderated)]
        context = {
            "panels": shown,
            "first": found.days[0],
            "last": found.days[-1],
            **await health_tables(session, now(request)),
            "norms_console": True,
        }
        return await render(request, session, "admin_dashboard.html", context, me=me)


async def health_tables(session: AsyncSession, at: datetime) -> dict[str, object]:
    """What the care led to, the holdouts and the experiments, as the dashboard and the
    public health page (/about/health) show them."""
    return {
        "outcome_tables": outcome_tables.tables(await outcome_figures.figures(session, at)),
        "holdout_tables": arm_tables.holdout_tables(await arm_figures.holdouts(session, at)),
        "experiment_tables": arm_tables.experiment_tables(
            await experiment_figures.experiments(session, at)
        ),
    }


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def percent(share: float) -> str:
    return f"{round(100 * share)}%"


def count(n: int, one: str, many: str) -> str:
    """The count with its noun: "1 reply", "3 replies"."""
    return f"{n} {one if n == 1 else many}"


def _share_rows(parts: Sequence[Share], words: dict[str, str]) -> list[tuple[object, ...]]:
    return [(words.get(p.name, p.name), p.count, percent(p.share)) for p in parts]


def panels(found: Figures) -> list[Panel]:
    """The dashboard's charts, in the order the page shows them."""
    labels = [day_label(d) for d in found.days]
    posts = sum(d.top_level for d in found.posts)
    replies = sum(d.replies for d in found.posts)
    pause = found.pause
    reach = found.reciprocity
    reach_share = reach.parts[0].share
    slowed_hot = sum(d.hot for d in found.slowed)
    slowed_manual = sum(d.manual for d in found.slowed)
    pause_words = {"edited": "edited", "withdrawn": "withdrawn", "unchanged": "left as written"}
    reply_words = {"answered": "answered", "unanswered": "not answered"}
    return [
        Panel(
            id="posts",
            heading="Posts and replies",
            summary=(
                f"Members published {count(posts, 'post', 'posts')} and "
                f"{count(replies, 'reply', 'replies')}."
            ),
            chart=charts.bars(
                "posts-chart",
                "Posts and replies per day",
                f"Posts and replies published each day by members: {posts} posts and "
                f"{replies} replies in all. The table below gives each day's numbers.",
                labels,
                [
                    ("posts", [d.top_level for d in found.posts]),
                    ("replies", [d.replies for d in found.posts]),
                ],
                label_every=7,
            ),
            columns=("Day", "Posts", "Replies"),
            rows=[(day_label(d.day), d.top_level, d.replies) for d in found.posts],
            folded=True,
        ),
        Panel(
            id="pause",
            heading="Changed during the pause",
            summary=(
                f"Of {count(pause.entered, 'post', 'posts')} that went into their pause, "
                f"{pause.edited} {'was' if pause.edited == 1 else 'were'} edited and "
                f"{pause.withdrawn} withdrawn before anyone saw them."
            ),
            chart=charts.share_bar(
                "pause-chart",
                "Posts edited or withdrawn during their pause",
                f"{pause.edited} of {pause.entered} edited, {pause.withdrawn} withdrawn.",
                [(pause_words[p.name], p.count) for p in pause.parts],
                quiet_last=True,
            ),
            columns=("What happened", "Posts", "Share"),
            rows=_share_rows(pause.parts, pause_words),
            note=WITHDRAWN_NOTE,
        ),
        Panel(
            id="nudges",
            heading="Tone nudges",
            summary=f"{count(found.nudges.shown, 'tone nudge', 'tone nudges')} shown.",
            chart=charts.share_bar(
                "nudges-chart",
                "What people did after a tone nudge",
                f"{found.nudges.shown} tone nudges shown, split by what the writer did next.",
                [(OUTCOME_WORDS.get(s.name, s.name), s.count) for s in found.nudges.outcomes],
                quiet_last=True,
            ),
            columns=("Answer", "Nudges", "Share"),
            rows=_share_rows(found.nudges.outcomes, OUTCOME_WORDS),
        ),
        Panel(
            id="cards",
            heading="Cards shown",
            summary=(
                f"{count(sum(c.shown for c in found.cards), 'card', 'cards')} shown; "
                f"{sum(c.didnt_fit for c in found.cards)} answered “this didn't fit”."
            ),
            chart=charts.bars(
                "cards-chart",
                "Cards shown, by kind",
                "How many cards of each kind were shown, and how many of them were "
                "answered “this didn't fit”. The table below gives the numbers.",
                [CARD_WORDS.get(c.detail, c.detail) for c in found.cards],
                [
                    ("no complaint", [c.shown - c.didnt_fit for c in found.cards]),
                    ("didn't fit", [c.didnt_fit for c in found.cards]),
                ],
            ),
            columns=("Card", "Shown", "Didn't fit"),
            rows=[(CARD_WORDS.get(c.detail, c.detail), c.shown, c.didnt_fit) for c in found.cards],
        ),
        Panel(
            id="slow",
            heading="Threads put in slow mode",
            summary=(
                f"{count(slowed_hot + slowed_manual, 'thread', 'threads')} slowed: "
                f"{slowed_hot} for running hot, {slowed_manual} by hand (by the thread's "
                "author or a moderator)."
            ),
            chart=charts.bars(
                "slow-chart",
                "Threads put in slow mode per day",
                "Threads slowed each day, for running hot or by hand. "
                "The table below gives each day's numbers.",
                labels,
                [
                    ("running hot", [d.hot for d in found.slowed]),
                    ("by hand", [d.manual for d in found.slowed]),
                ],
                label_every=7,
            ),
            columns=("Day", "Running hot", "By hand"),
            rows=[(day_label(d.day), d.hot, d.manual) for d in found.slowed],
            folded=True,
        ),
        Panel(
            id="answers",
            heading="Replies that got an answer",
            summary=(
                f"Of {count(reach.replies, 'reply', 'replies')} members wrote to someone "
                f"else, {reach.answered} ({percent(reach_share)}) got a reply back from "
                "that person."
            ),
            chart=charts.share_bar(
                "answers-chart",
                "Replies answered by the person replied to",
                f"{reach.answered} of {reach.replies} replies answered.",
                [(reply_words[p.name], p.count) for p in reach.parts],
                quiet_last=True,
            ),
            columns=("Replies", "Count", "Share"),
            rows=_share_rows(reach.parts, reply_words),
        ),
    ]


MODERATION_WORDS = {
    "suspend": "suspended",
    "limit": "limited",
    "delete_posts": "posts deleted",
    "warn": "warned",
    "dismiss": "dismissed",
    "resolved": "resolved, no action",
    "open": "still open",
}


def moderation_panel(found: moderation_figures.ModerationFigures) -> Panel:
    """Reports per 1,000 posts, time to first action, and what became of the reports."""
    wait = found.hours_to_first_action
    waited = f"{wait} hours" if wait is not None else "no report handled yet"
    return Panel(
        id="reports",
        heading="Reports and what became of them",
        summary=(
            f"{count(found.reports, 'report', 'reports')} "
            f"({found.per_thousand_posts:.1f} per 1,000 posts); "
            f"median time to a moderator's first action: {waited}."
        ),
        chart=charts.share_bar(
            "reports-chart",
            "Reports by outcome",
            f"{found.reports} reports, split by the strongest action taken on each.",
            [(MODERATION_WORDS[s.name], s.count) for s in found.outcomes],
            quiet_last=True,
        ),
        columns=("Outcome", "Reports", "Share"),
        rows=_share_rows(found.outcomes, MODERATION_WORDS),
    )


def shield_panel(spans: Sequence[shield_figures.Span]) -> Panel:
    """How often the pile-on shield went up, and how often authors turned it off."""
    week, month = spans
    return Panel(
        id="shield",
        heading="Pile-on shield",
        summary=(
            f"The shield went up {count(week.fired, 'time', 'times')} in the last 7 days and "
            f"{count(month.fired, 'time', 'times')} in the last 30; authors turned "
            f"{month.turned_off} of those {month.fired} off before their time."
        ),
        chart=charts.share_bar(
            "shield-chart",
            "Shields of the last 30 days by how they ended",
            f"{month.fired} shields, {month.turned_off} turned off by their author.",
            [("turned off", month.turned_off), ("left on", month.fired - month.turned_off)],
            quiet_last=True,
        ),
        columns=("Days", "Shields up", "Turned off by their author"),
        rows=[(f"Last {s.days} days", s.fired, s.turned_off) for s in spans],
    )
