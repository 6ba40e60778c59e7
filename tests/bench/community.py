"""A generated community for the ranking benchmark (tests/bench/bench_ranking.py).

Pure Python, seeded: the same seed and scale give the same people, follows, posts and
likes (post ids included), so SQLite and PostgreSQL are loaded with identical data.

- Members (local actors, `domain` None) in clusters: each follows most of their own
  cluster and a few people outside it, so many follows are mutual. Some follow a
  remote account or two.
- Remote actors on a few remote domains; one domain's people arrive together in
  brigades. A handful of remote accounts are fresh (created hours ago), so their
  replies fail the 24 h "known" gate.
- Top-level posts by members (skewed: a few post a lot, most rarely) spread over the
  last `days` days, each the root of a thread of one labelled kind:

  dialogue   the author and 1-3 people who know them answering each other, turns
             minutes to hours apart, replies of 60-300 characters
  pileon     20-60 one-off replies from strangers (people not following the author,
             many remote, sometimes a brigade from one server) within 2 h, short-ish
  flamewar   two people who are not the author alternating fast (< 2 min apart),
             15-30 replies, sometimes a bystander or two
  likeonly   no replies, 50-500 likes
  plain      0-2 replies

Replies that would fall after `now` are left out (threads started in the last hours
are still going), so the reply total is slightly under the target.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.ids import lowest_id_at
from tests.bench.bench_serve import WORDS as SERVE_WORDS

KINDS = ("dialogue", "pileon", "flamewar", "likeonly", "plain")
#: Share of threads of each kind (plain takes what is left).
MIX = {"dialogue": 0.13, "pileon": 0.02, "flamewar": 0.02, "likeonly": 0.03}
REMOTE_DOMAINS = (
    "brigade.example",
    "big.example",
    "quiet.example",
    "tech.example",
    "arts.example",
    "news.example",
)
BRIGADE_DOMAIN = REMOTE_DOMAINS[0]

# bench_serve's words, and the small words a conversation needs.
WORDS = [
    *SERVE_WORDS,
    "think",
    "maybe",
    "agree",
    "because",
    "though",
    "remember",
    "always",
    "never",
    "honestly",
    "actually",
    "really",
    "wonder",
    "perhaps",
    "reason",
    "point",
    "answer",
    "explain",
    "different",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "that",
    "it",
    "is",
]


@dataclass
class PostRow:
    """One post, compactly (turned into a full row when inserted)."""

    id: int
    actor_id: int
    in_reply_to_id: int | None
    root_id: int
    at: datetime
    length: int
    visibility: str


@dataclass
class Community:
    now: datetime
    days: int
    members: list[int]
    remote: list[int]
    fresh: list[int]
    domain_of: dict[int, str | None]
    created_at: dict[int, datetime]
    cluster: dict[int, int]
    follows: set[tuple[int, int]]
    posts: list[PostRow]
    likes: list[tuple[int, int, datetime]]
    #: Thread kind of every root post, by root id.
    kind: dict[int, str]
    #: When each root was posted, by root id.
    root_at: dict[int, datetime]
    #: Post ids of each thread started in the last `recent_days` (for the ingest test).
    recent_threads: dict[int, list[int]] = field(default_factory=dict)
    dropped_future: int = 0

    @property
    def replies(self) -> int:
        return sum(1 for p in self.posts if p.in_reply_to_id is not None)

    def text(self, post: PostRow) -> str:
        return text_of(post.id, post.length)


_CORPUS = ""


def _corpus() -> str:
    global _CORPUS
    if not _CORPUS:
        rng = random.Random(12345)
        _CORPUS = " ".join(rng.choice(WORDS) for _ in range(20_000))
    return _CORPUS


def text_of(seed: int, length: int) -> str:
    """Words of about `length` characters, chosen by `seed` (cheap, deterministic)."""
    corpus = _corpus()
    start = seed % (len(corpus) - 400)
    while start > 0 and corpus[start - 1] != " ":
        start -= 1
    text = corpus[start : start + length].strip()
    return (text[:1].upper() + text[1:]) or "ok"


def generate(
    *,
    now: datetime,
    seed: int = 1,
    members: int = 1000,
    clusters: int = 20,
    remote_per_domain: int = 100,
    fresh_remote: int = 20,
    top_level: int = 200_000,
    replies: int = 600_000,
    days: int = 180,
    recent_days: int = 3,
) -> Community:
    rng = random.Random(seed)
    member_ids = list(range(1, members + 1))
    next_id = members + 1
    remote_ids: list[int] = []
    domain_of: dict[int, str | None] = {m: None for m in member_ids}
    created_at: dict[int, datetime] = {
        m: now - timedelta(days=rng.uniform(days + 20, days + 220)) for m in member_ids
    }
    by_domain: dict[str, list[int]] = {}
    for domain in REMOTE_DOMAINS:
        for _ in range(remote_per_domain):
            remote_ids.append(next_id)
            domain_of[next_id] = domain
            created_at[next_id] = now - timedelta(days=rng.uniform(days + 5, days + 300))
            by_domain.setdefault(domain, []).append(next_id)
            next_id += 1
    fresh_ids: list[int] = []
    for _ in range(fresh_remote):
        fresh_ids.append(next_id)
        domain_of[next_id] = rng.choice(REMOTE_DOMAINS)
        created_at[next_id] = now - timedelta(hours=rng.uniform(1, 20))
        next_id += 1

    # Clustered follow graph.
    cluster = {m: i % clusters for i, m in enumerate(rng.sample(member_ids, len(member_ids)))}
    in_cluster: dict[int, list[int]] = {}
    for m, c in cluster.items():
        in_cluster.setdefault(c, []).append(m)
    follows: set[tuple[int, int]] = set()
    for m in member_ids:
        mates = [x for x in in_cluster[cluster[m]] if x != m]
        for target in rng.sample(mates, min(len(mates), rng.randint(10, 40))):
            follows.add((m, target))
        for target in rng.sample(member_ids, rng.randint(1, 6)):
            if target != m:
                follows.add((m, target))
        if rng.random() < 0.3:
            for target in rng.sample(remote_ids, rng.randint(1, 2)):
                follows.add((m, target))
    # Some follow-backs across clusters, so not every mutual is in-cluster.
    for a, b in list(follows):
        if domain_of[b] is None and cluster[a] != cluster[b] and rng.random() < 0.3:
            follows.add((b, a))
    followers: dict[int, set[int]] = {}
    following: dict[int, set[int]] = {}
    for a, b in follows:
        followers.setdefault(b, set()).add(a)
        following.setdefault(a, set()).add(b)

    # Roots: skewed authors, uniform times, a labelled kind each.
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(member_ids))]
    rng.shuffle(weights)
    authors = rng.choices(member_ids, weights=weights, k=top_level)
    span = days * 86400
    moments = [now - timedelta(seconds=rng.uniform(60, span)) for _ in authors]
    kinds: list[str] = []
    for _ in authors:
        roll, acc, chosen = rng.random(), 0.0, "plain"
        for k, share in MIX.items():
            acc += share
            if roll < acc:
                chosen = k
                break
        kinds.append(chosen)

    # Plan reply counts so the total lands on `replies`: the non-plain kinds draw
    # theirs, the plain threads share out what is left (0-2 each).
    planned: list[int] = []
    for k in kinds:
        if k == "dialogue":
            planned.append(rng.randint(4, 12))
        elif k == "pileon":
            planned.append(rng.randint(20, 60))
        elif k == "flamewar":
            planned.append(rng.randint(15, 30))
        else:
            planned.append(0)
    plain_idx = [i for i, k in enumerate(kinds) if k == "plain"]
    left = max(0, min(2 * len(plain_idx), replies - sum(planned)))
    for slot in rng.sample(range(2 * len(plain_idx)), left):
        planned[plain_idx[slot // 2]] += 1

    seen_ids: set[int] = set()

    def new_id(moment: datetime) -> int:
        base = lowest_id_at(moment)
        while True:
            candidate = base | rng.getrandbits(16)
            if candidate not in seen_ids:
                seen_ids.add(candidate)
                return candidate

    def knows(author: int) -> list[int]:
        near = sorted(followers.get(author, set()) | following.get(author, set()))
        near = [p for p in near if domain_of[p] is None and p != author]
        return near or [p for p in in_cluster[cluster[author]] if p != author]

    def stranger(author: int, taken: set[int], at: datetime, remote_share: float) -> int:
        for _ in range(100):
            if rng.random() < remote_share:
                person = rng.choice(remote_ids)
            else:
                person = rng.choice(member_ids)
            if person == author or person in taken or author in following.get(person, ()):
                continue
            return person
        return rng.choice(remote_ids)

    posts: list[PostRow] = []
    likes: list[tuple[int, int, datetime]] = []
    kind_of: dict[int, str] = {}
    root_at: dict[int, datetime] = {}
    recent_threads: dict[int, list[int]] = {}
    recent_since = now - timedelta(days=recent_days)
    everyone = member_ids + remote_ids
    dropped = 0
    visibility_roll = ("public",) * 18 + ("unlisted", "followers")

    for author, root_time, kind, count in zip(authors, moments, kinds, planned, strict=True):
        root_id = new_id(root_time)
        vis = rng.choice(visibility_roll)
        posts.append(PostRow(root_id, author, None, root_id, root_time, rng.randint(20, 400), vis))
        kind_of[root_id] = kind
        root_at[root_id] = root_time
        thread: list[tuple[int, int, datetime, int]] = []  # (actor, length, at, parent index)

        if kind == "dialogue":
            pool = knows(author)
            others = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            at = root_time
            speaker, parent = others[0], -1
            for turn in range(count):
                at = at + timedelta(seconds=math.exp(rng.uniform(math.log(300), math.log(21600))))
                if turn > 0:
                    previous = thread[-1][0]
                    if previous != author and rng.random() < 0.7:
                        speaker = author
                    else:
                        speaker = rng.choice([o for o in others if o != previous] or others)
                    parent = len(thread) - 1
                thread.append((speaker, rng.randint(60, 300), at, parent))
        elif kind == "pileon":
            brigade = rng.random() < 0.4
            taken: set[int] = set()
            times = sorted(
                root_time + timedelta(seconds=rng.uniform(60, 7200)) for _ in range(count)
            )
            for at in times:
                if brigade and rng.random() < 0.7:
                    person = rng.choice(by_domain[BRIGADE_DOMAIN])
                    if person in taken or author in following.get(person, ()):
                        person = stranger(author, taken, at, 0.5)
                elif fresh_ids and at > now - timedelta(hours=20) and rng.random() < 0.2:
                    person = rng.choice(fresh_ids)
                    if created_at[person] >= at or person in taken:
                        person = stranger(author, taken, at, 0.5)
                else:
                    person = stranger(author, taken, at, 0.5)
                taken.add(person)
                length = rng.randint(5, 19) if rng.random() < 0.3 else rng.randint(20, 120)
                parent = -1 if rng.random() < 0.85 or not thread else rng.randrange(len(thread))
                thread.append((person, length, at, parent))
        elif kind == "flamewar":
            candidates = [m for m in member_ids if m != author]
            a, b = rng.sample(candidates, 2)
            at = root_time + timedelta(seconds=rng.uniform(600, 3 * 3600))
            bystanders = rng.randint(0, 2)
            for turn in range(count - bystanders):
                speaker = a if turn % 2 == 0 else b
                thread.append((speaker, rng.randint(30, 200), at, turn - 1))
                at = at + timedelta(seconds=rng.uniform(15, 110))
            for _ in range(bystanders):
                person = rng.choice(knows(author))
                thread.append(
                    (person, rng.randint(20, 150), at, rng.randrange(len(thread)) if thread else -1)
                )
                at = at + timedelta(seconds=rng.uniform(60, 900))
        elif kind == "plain":
            pool = knows(author)
            at = root_time
            for _ in range(count):
                at = at + timedelta(seconds=rng.uniform(600, 12 * 3600))
                parent = -1 if rng.random() < 0.7 or not thread else len(thread) - 1
                thread.append((rng.choice(pool), rng.randint(10, 200), at, parent))

        ids: list[int] = [root_id]
        for person, length, at, parent in thread:
            # Times rise along a thread, so what is kept is a prefix and parents are in it.
            if at >= now - timedelta(seconds=1):
                dropped += 1
                continue
            parent_id = root_id if parent < 0 else ids[parent + 1]
            post_id = new_id(at)
            reply_vis = "unlisted" if rng.random() < 0.05 else "public"
            posts.append(PostRow(post_id, person, parent_id, root_id, at, length, reply_vis))
            ids.append(post_id)
        if root_time >= recent_since:
            recent_threads[root_id] = ids

        # Likes on the root.
        if kind == "likeonly":
            n = rng.randint(50, 500)
        elif kind == "dialogue":
            n = rng.randint(0, 15)
        elif kind == "plain" and rng.random() < 0.4:
            n = rng.randint(1, 5)
        elif kind == "pileon":
            n = rng.randint(0, 30)
        else:
            n = 0
        if n:
            for person in rng.sample(everyone, n):
                at = root_time + timedelta(seconds=rng.uniform(30, 2 * 86400))
                if at < now and person != author:
                    likes.append((person, root_id, at))

    # In id (time) order, as a server receives them: the loader appends to the indexes.
    posts.sort(key=lambda p: p.id)
    likes.sort(key=lambda like: (like[1], like[0]))
    return Community(
        now=now,
        days=days,
        members=member_ids,
        remote=remote_ids,
        fresh=fresh_ids,
        domain_of=domain_of,
        created_at=created_at,
        cluster=cluster,
        follows=follows,
        posts=posts,
        likes=likes,
        kind=kind_of,
        root_at=root_at,
        recent_threads=recent_threads,
        dropped_future=dropped,
    )


def post_rows(c: Community, chunk: int = 5000) -> Iterator[list[dict[str, object]]]:
    """Full rows for the posts table, in chunks."""
    batch: list[dict[str, object]] = []
    for p in c.posts:
        domain = c.domain_of[p.actor_id]
        text = c.text(p)
        batch.append(
            {
                "id": p.id,
                "actor_id": p.actor_id,
                "in_reply_to_id": p.in_reply_to_id,
                "root_id": p.root_id,
                "text": text,
                "content_html": f"<p>{text}</p>",
                "spoiler_text": "",
                "visibility": p.visibility,
                "state": "published",
                "created_at": p.at,
                "publish_at": p.at,
                "published_at": p.at,
                "edited_at": None,
                "deleted_at": None,
                "sensitive": False,
                "language": "en",
                "intent": None,
                "tone_indicator": None,
                "reblog_of_id": None,
                "uri": None if domain is None else f"https://{domain}/statuses/{p.id}",
                "url": None if domain is None else f"https://{domain}/@x/{p.id}",
                "in_reply_to_uri": None,
            }
        )
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


def actor_rows(c: Community) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for actor_id in c.members + c.remote + c.fresh:
        domain = c.domain_of[actor_id]
        name = f"member{actor_id:05d}" if domain is None else f"person{actor_id:05d}"
        remote = domain is not None
        rows.append(
            {
                "id": actor_id,
                "username": name,
                "domain": domain,
                "acct_key": name if not remote else f"{name}@{domain}",
                "display_name": name.title(),
                "bio": "",
                "interaction_note": "",
                "avatar_path": None,
                "header_path": None,
                "fields": [],
                "locked": False,
                "created_at": c.created_at[actor_id],
                "suspended_at": None,
                "actor_type": "Person",
                "discoverable": True,
                "uri": f"https://{domain}/users/{name}" if remote else None,
                "url": f"https://{domain}/@{name}" if remote else None,
                "inbox_url": f"https://{domain}/users/{name}/inbox" if remote else None,
                "shared_inbox_url": f"https://{domain}/inbox" if remote else None,
                "followers_url": f"https://{domain}/users/{name}/followers" if remote else None,
                "avatar_url": None,
                "header_url": None,
                "fetched_at": c.now if remote else None,
            }
        )
    return rows


def follow_rows(c: Community) -> list[dict[str, object]]:
    rng = random.Random(len(c.follows))
    return [
        {
            "follower_id": a,
            "followed_id": b,
            "state": "accepted",
            "uri": None,
            "created_at": c.now - timedelta(days=rng.uniform(c.days, c.days + 20)),
        }
        for a, b in sorted(c.follows)
    ]


def like_rows(c: Community, chunk: int = 20_000) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(c.likes), chunk):
        yield [
            {"actor_id": a, "post_id": p, "uri": None, "created_at": at}
            for a, p, at in c.likes[start : start + chunk]
        ]
