"""Tone care: wording that may land harder than meant gets a second look, never a block."""

from __future__ import annotations

import re

from sqlmodel import select

from server.models import Draft, Post
from server.services import norms_registry, tone
from tests.conftest import csrf_from, publish_due

PHRASES = tuple(norms_registry.DEFAULT_TONE_PHRASES)


def test_harsh_words_openings_shouting_and_piles_are_found() -> None:
    text = "Why would you plant them now??? THAT IS JUST SILLY, you idiot"
    found = [(text[f.start : f.end], f.reason) for f in tone.check(text, PHRASES, "en")]
    assert found == [
        ("Why would you", "an opening that can sound accusing"),
        ("???", "piled-up marks can read as anger"),
        ("THAT IS JUST SILLY", "capitals read as shouting"),
        ("idiot", "a word that often reads as harsh"),
    ]


def test_phrases_follow_the_posts_language() -> None:
    assert [f.reason for f in tone.check("Du bist dumm.", PHRASES, "de")] == [
        "a word that often reads as harsh"
    ]
    assert tone.check("Dumm is a German word.", PHRASES, "en") == []
    # Capitals count in any alphabet that has them; a word like "stupidity" is not "stupid".
    assert tone.check("ЭТО СОВСЕМ НЕ ТАК", PHRASES, "ru")[0].reason == "capitals read as shouting"
    assert tone.check("Such stupidity in the weather today", PHRASES, "en") == []


def test_an_opening_counts_after_the_mentions_a_reply_starts_with() -> None:
    # The composer fills in "@name " (or "@name@server " for someone elsewhere) first: the
    # opening is looked for in the reply's own words, and only its words are marked.
    for text in (
        "@ana Why would you plant them now",
        "@ana@garden.example why would you plant them now",
        "  @ana, @ben_2:  Why would you plant them now",
    ):
        (flag,) = tone.check(text, PHRASES, "en")
        assert text[flag.start : flag.end].lower() == "why would you"
        assert flag.reason == "an opening that can sound accusing"
    # Still only at the start of the words: later in the reply it is a question like any.
    assert tone.check("@ana I wonder why would you plant them now", PHRASES, "en") == []
    assert tone.check("ana@example.com why would you", PHRASES, "en") == []


def test_kind_words_pass() -> None:
    assert tone.check("Lovely photo! Is that your garden? NASA would approve.", PHRASES) == []


async def _reply(person, parent: int, text: str, **extra: str):  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/compose?reply_to={parent}")
    form = {"text": text, "in_reply_to_id": str(parent), "visibility": "public"}
    return await person.client.post("/posts", data={**form, **extra, "csrf_token": token})


async def test_a_harsh_reply_is_shown_back_and_can_be_posted_as_written(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)

    nudged = await _reply(ben, question, "Why would you plant them so early???")
    assert nudged.status_code == 200
    assert "A second look?" in nudged.text
    assert re.search(r"<mark[^>]*>Why would you</mark> plant them so early<mark", nudged.text)
    async with app.state.sessions() as session:
        assert await session.get(Post, question) is not None
        replies = (
            await session.exec(Post.__table__.select().where(Post.in_reply_to_id == question))
        ).all()  # type: ignore[attr-defined]
    assert replies == []

    kept = await _reply(ben, question, "Why would you plant them so early???", tone="as_written")
    assert kept.status_code == 303
    assert await publish_due(app, clock, 100) == 0  # the longer pause of a reply kept as written
    assert await publish_due(app, clock, 21) == 1


async def test_a_reply_opening_with_the_prefilled_mention_is_still_nudged(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)
    page = await ben.client.get(f"/compose?reply_to={question}")
    assert "@ana </textarea>" in page.text  # what the composer fills in

    nudged = await _reply(ben, question, "@ana Why would you plant them so early")
    assert "A second look?" in nudged.text
    assert re.search(r"@ana <mark[^>]*>Why would you</mark> plant them so early", nudged.text)


async def test_keep_as_draft_after_a_nudge(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)
    token = await csrf_from(ben.client, f"/compose?reply_to={question}")
    answer = await ben.client.post(
        "/drafts",
        data={
            "text": "That is STUPID AND WRONG",
            "in_reply_to_id": str(question),
            "csrf_token": token,
        },
    )
    assert answer.status_code == 303
    async with app.state.sessions() as session:
        drafts = (await session.exec(select(Draft))).all()
    assert [d.text for d in drafts] == ["That is STUPID AND WRONG"]


async def test_banter_between_mutuals_who_talk_often_is_left_alone(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    await ben.follow("ana")
    question = await ana.post("Guess who burnt the toast")
    await publish_due(app, clock, 31)
    first = await ben.post("You did, obviously", reply_to=question)
    await publish_due(app, clock, 21)
    teasing = await _reply(ana, first, "Shut up, you idiot :)")
    assert teasing.status_code == 303  # no nudge between friends mid-conversation


async def test_advice_on_a_post_that_asked_for_none_gets_a_second_look(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    token = await ana.token()
    posted = await ana.client.post(
        "/posts",
        data={
            "text": "My seedlings died",
            "intent": "venting — no advice please",
            "csrf_token": token,
        },
    )
    post = int(posted.headers["location"].rsplit("/", 1)[1])
    await publish_due(app, clock, 31)
    nudged = await _reply(ben, post, "Oh no. Have you tried a grow light?")
    assert nudged.status_code == 200
    assert "advice, on a post that asked for none" in nudged.text
    assert re.search(r"<mark[^>]*>Have you tried</mark> a grow light", nudged.text)
    # Listening instead goes straight through.
    assert (await _reply(ben, post, "Oh no, that is so disheartening.")).status_code == 303
