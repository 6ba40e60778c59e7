"""Proving the dashboard's comparisons honest: a simulation with known effects.

Run:  PYTHONPATH=. python tests/bench/bench_outcomes.py [--runs 100] [--members 300]
          [--no-ceiling] [--help]

It generates one community (tests/bench/community.py, seeded: members in clusters, who
follows whom, 30 days of posts and replies) and loads it into a real SQLite database
(Alembic schema). Then, for each of --runs seeded runs, it writes care events for the
community's replies and reads them back through the dashboard's own services
(server/services/arm_figures.py, server/services/experiment_figures.py):

(a) holdouts, effect: every reply by a member to someone else is a card moment, held
    back at random one time in ten (the default share). A held-back reply is answered
    10 points less often than a shown one (the true difference shown − holdout is +10
    points). Counted: how often the 95 % interval contains +10.
(b) holdouts, no effect: the same for tone nudges with no difference. Counted: how
    often the verdict is "within noise".
(c) a norm experiment on members (arms from `experiment_arms.arm_of` with a fresh salt
    each run): members differ a lot (each replier's replies are answered at their own
    rate, drawn from a wide Beta, plus a bonus when the person replied to follows them),
    and write very different numbers of replies. With an effect (new arm answered 10
    points less): coverage of −10; without: the "within noise" rate; and the same two
    for the naive interval that treats replies as independent (Newcombe on the summed
    counts), to show why members must be the unit. The guardrail (posting volume, the
    community's own posts) has no effect: its "within noise" rate.

Each rate is printed with its own 95 % interval (Wilson): with 100 runs, a method whose
true coverage is exactly 95 % shows 95 or more only about 6 times in 10, so a rate of
93 or 94 is not by itself a fault; the long-run figure (--runs 1000) settles it.
It also prints the machine, the time of one dashboard computation (outcomes, holdouts
and experiments on this database) and a bare Starlette endpoint's latency in the same
run (tests/bench/ceiling.py). About 2 minutes on 2 cores for 100 runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from server.db import make_engine, make_sessions, migrate  # noqa: E402
from server.models import (  # noqa: E402
    Actor,
    CareEvent,
    CareKind,
    Follow,
    Member,
    NormExperiment,
    Post,
)
from server.services import arm_figures, experiment_figures, outcome_figures  # noqa: E402
from server.services.experiment_arms import HOLDOUT, SHOWN, arm_of, label  # noqa: E402
from server.services.intervals import Interval, newcombe, wilson  # noqa: E402
from tests.bench import community as gen  # noqa: E402
from tests.bench.bench_serve import line, machine  # noqa: E402
from tests.bench.ceiling import baseline  # noqa: E402

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
HOLDOUT_SHARE = 0.10
EFFECT = 0.10


@dataclass
class Tally:
    """How many runs met the mark, of how many."""

    name: str
    hits: int = 0
    runs: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, hit: bool, note: str) -> None:
        self.runs += 1
        self.hits += hit
        if not hit:
            self.misses.append(note)

    def show(self) -> None:
        found = wilson(self.hits, self.runs)
        value = f"{self.hits}/{self.runs}"
        said = f"≥ 95/100 ({100 * found.low:.0f}–{100 * found.high:.0f} % in 95 % of repeats)"
        line(self.name, value, said, self.hits >= 0.95 * self.runs)


def contains(found: Interval | None, truth: float) -> bool:
    return found is not None and found.low <= truth <= found.high


async def load(engine: AsyncEngine, c: gen.Community) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(Actor.__table__), gen.actor_rows(c))  # type: ignore[attr-defined]
        # The community's members in good standing (the guardrail counts them).
        await conn.execute(
            insert(Member.__table__),  # type: ignore[attr-defined]
            [
                {
                    "actor_id": m,
                    "email": f"member{m}@example.com",
                    "password_hash": "-",
                    "role": "member",
                    "state": "active",
                    "created_at": NOW - timedelta(days=365),
                    "show_counts": False,
                    "signup_reason": "",
                }
                for m in c.members
            ],
        )
        await conn.execute(insert(Follow.__table__), gen.follow_rows(c))  # type: ignore[attr-defined]
        for batch in gen.post_rows(c, chunk=20_000):
            await conn.execute(insert(Post.__table__), batch)  # type: ignore[attr-defined]
        for n, salt in ((1, "effect"), (2, "none")):
            await conn.execute(
                insert(NormExperiment.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": n,
                        "name": "pause.stranger_reply_seconds",
                        "old_value": 300,
                        "new_value": 600,
                        "reason": "",
                        "salt": salt,
                        "started_at": NOW - timedelta(days=14),
                        "ends_at": NOW + timedelta(days=7),
                        # One undecided at a time: the second was dropped early, yesterday
                        # (still compared on the dashboard for 30 days).
                        "decision": "" if n == 1 else "dropped",
                        "decided_at": None if n == 1 else NOW - timedelta(days=1),
                        "undecided": True if n == 1 else None,
                    }
                ],
            )


def clip(p: float) -> float:
    return min(0.95, max(0.1, p))


def events(c: gen.Community, rng: random.Random, salts: dict[int, str]) -> list[dict[str, object]]:
    """One run's care events: a card and a tone-nudge moment (each its own holdout draw)
    and a pause in each of the two experiments, for every reply by a member to someone
    else in the last 30 days."""
    author = {p.id: p.actor_id for p in c.posts}
    # Who is answered how often: the person replied to answers some people far more
    # than others; the replier's own rate is wide (Beta 0.6, 0.6), the follow a bonus.
    rate = {m: rng.betavariate(0.6, 0.6) for m in c.members}
    start = NOW - timedelta(days=30)
    rows: list[dict[str, object]] = []
    for post in c.posts:
        target = author.get(post.in_reply_to_id) if post.in_reply_to_id else None
        replier = post.actor_id
        if target is None or target == replier or c.domain_of[replier] is not None:
            continue
        if post.at < start:
            continue
        base = clip(rate[replier] * 0.8 + (0.2 if (target, replier) in c.follows else 0.0))
        common: dict[str, object] = {
            "actor_id": replier,
            "target_id": target,
            "post_id": post.in_reply_to_id,
            "reply_id": post.id,
            "norms_version": 0,
            "outcome": "",
            "turned_away": rng.random() < 0.02,
            "hidden": False,
            "slowed": False,
            "followed_up_at": NOW,
            "created_at": post.at,
            "detail": "",
        }
        held = rng.random() < HOLDOUT_SHARE
        rows.append(
            common
            | {
                "kind": CareKind.card,
                "arm": HOLDOUT if held else SHOWN,
                "answered": rng.random() < base - (EFFECT if held else 0.0),
                "still_flagged": None,
            }
        )
        held = rng.random() < HOLDOUT_SHARE
        rows.append(
            common
            | {
                "kind": CareKind.tone_nudge,
                "arm": HOLDOUT if held else SHOWN,
                "answered": rng.random() < base,
                "still_flagged": False,
            }
        )
        for experiment, effect in ((1, EFFECT), (2, 0.0)):
            arm = arm_of(salts[experiment], replier)
            rows.append(
                common
                | {
                    "kind": CareKind.pause,
                    "detail": "reply",
                    "outcome": "edited" if rng.random() < 0.1 else "as_written",
                    "arm": label(experiment, arm),
                    "answered": rng.random() < base - (effect if arm == "new" else 0.0),
                    "still_flagged": None,
                }
            )
    return rows


def answered_of(measures: list[arm_figures.Comparison]) -> arm_figures.Comparison:
    """The "answered within 48 hours" comparison among a table's measures."""
    return next(m for m in measures if m.measure == "answered")


def naive(found: experiment_figures.ExperimentFigures) -> Interval:
    """What Newcombe's interval would say treating every reply as independent."""
    answered = next(m for m in found.measures if m.measure == "answered")
    new, old = answered.arms
    return newcombe(int(new.count), new.total, int(old.count), old.total)


async def run(args: argparse.Namespace) -> None:
    print("Machine:")
    print("\n".join(f"  {key:<7} {value}" for key, value in machine().items()))
    began = time.perf_counter()
    c = gen.generate(
        now=NOW,
        seed=1,
        members=args.members,
        clusters=max(2, args.members // 30),
        remote_per_domain=40,
        fresh_remote=10,
        top_level=args.members * 13,
        replies=args.members * 47,
        days=30,
    )
    workdir = Path(tempfile.mkdtemp(prefix="porch-bench-outcomes-"))
    engine = make_engine(f"sqlite+aiosqlite:///{workdir / 'porch.db'}")
    await migrate(engine)
    await load(engine, c)
    sessions = make_sessions(engine)
    print(
        f"\nCommunity: {len(c.members)} members, {len(c.follows)} follows, {c.replies} replies "
        f"over 30 days; loaded in {time.perf_counter() - began:.1f} s.\n"
    )
    tallies = {
        key: Tally(name)
        for key, name in (
            ("a", "(a) holdout: +10 inside interval"),
            ("b", "(b) holdout, none: within noise"),
            ("c1", "(c) experiment: −10 inside interval"),
            ("c2", "(c) experiment, none: within noise"),
            ("n1", "    naive Newcombe: −10 inside"),
            ("n2", "    naive Newcombe, none: noise"),
            ("v", "(c) volume guardrail: within noise"),
        )
    }
    moments: list[int] = []
    for seed in range(args.runs):
        rng = random.Random(1000 + seed)
        salts = {1: f"effect-{seed}", 2: f"none-{seed}"}
        rows = events(c, rng, salts)
        moments.append(len(rows))
        async with engine.begin() as conn:
            await conn.execute(delete(CareEvent))
            await conn.execute(insert(CareEvent.__table__), rows)  # type: ignore[attr-defined]
            for n, salt in salts.items():
                await conn.execute(
                    update(NormExperiment).where(NormExperiment.id == n).values(salt=salt)  # type: ignore[arg-type]
                )
        async with sessions() as session:
            held = {k.kind: k for k in await arm_figures.holdouts(session, NOW)}
            tried = {e.experiment.id: e for e in await experiment_figures.experiments(session, NOW)}
        card = answered_of(held[CareKind.card].measures)
        nudge = answered_of(held[CareKind.tone_nudge].measures)
        tallies["a"].add(contains(card.difference, EFFECT), f"{seed}: {card.difference}")
        tallies["b"].add(nudge.verdict.startswith("Within noise"), f"{seed}: {nudge.difference}")
        effect, none = tried[1].measures[0], tried[2].measures[0]
        tallies["c1"].add(contains(effect.difference, -EFFECT), f"{seed}: {effect.difference}")
        tallies["c2"].add(none.verdict.startswith("Within noise"), f"{seed}: {none.difference}")
        tallies["n1"].add(contains(naive(tried[1]), -EFFECT), "")
        tallies["n2"].add(naive(tried[2]).crosses_zero(), "")
        volume = tried[2].measures[-1]
        tallies["v"].add(volume.verdict.startswith("Within noise"), f"{seed}: {volume.difference}")
        if seed == 0:
            members = tried[1].members
            print(
                f"One run: {len(rows)} care events; experiment arms {members[0]} / {members[1]} "
                f"members; card holdout arm {held[CareKind.card].holdout.moments} moments "
                f"from {held[CareKind.card].holdout.members} members.\n"
            )
    print(f"Rates over {args.runs} seeded runs (true effect 10 points where injected):")
    for tally in tallies.values():
        tally.show()
    for tally in tallies.values():
        if tally.misses and tally.name[0] == "(" and args.verbose:
            print(f"  misses of {tally.name.strip()}: {tally.misses[:5]}")
    timings = []
    for _ in range(10):
        began = time.perf_counter()
        async with sessions() as session:
            await outcome_figures.figures(session, NOW)
            await arm_figures.holdouts(session, NOW)
            await experiment_figures.experiments(session, NOW)
        timings.append((time.perf_counter() - began) * 1000)
    print(f"\nOne dashboard computation (outcomes, holdouts, 2 experiments; {moments[-1]} events):")
    line("median of 10", f"{statistics.median(timings):.1f} ms", "(info)")
    await engine.dispose()
    if not args.no_ceiling:
        print()
        tool = "wrk" if shutil.which("wrk") else "asyncio"
        # Two connections (wrk needs one per thread): a request's own latency, not a queue.
        ceiling = baseline(tool, workdir, 2, 1.0, "warning")
        median = statistics.median(timings)
        line("dashboard / bare request p50", f"{median / ceiling.p50_ms:.0f} ×", "(info)")
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare endpoint")
    parser.add_argument("--verbose", action="store_true", help="print a few misses")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
