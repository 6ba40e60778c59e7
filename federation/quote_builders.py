"""Building the quote activities a member's actions send: QuoteRequest, the Accept or
Reject of another server's request, and the Delete of an authorization taken back."""

from __future__ import annotations

from typing import TYPE_CHECKING

# builders.py registers these builders, so its names are read when a builder runs.
from federation import builders, outgoing, quote_vocab
from federation.documents import note_source
from server.services import outbox

if TYPE_CHECKING:
    from federation.builders import Built, Outgoing


async def build_quote_request(out: Outgoing) -> Built | None:
    """QuoteRequest for a member's quote of a post elsewhere, to its author's inbox."""
    post = await out.post(out.item.post_id)
    target = await out.target()
    if post is None or target is None:
        return None
    source = await note_source(out.session, out.urls, post, out.sender)
    inbox = builders.inbox_of(target)
    if source.quote is None:
        return None
    if inbox is None:
        return None
    token = outbox.read(out.item, outbox.Sent).activity_id
    note = outgoing.note_from_post(out.urls, source)
    activity = quote_vocab.quote_request(
        out.urls.activity("quote_request", token), out.me, source.quote[0], note
    )
    return builders.Built(outgoing.document(activity), [inbox])


async def build_revoke_quote(out: Outgoing) -> Built | None:
    """Delete of an authorization: to the quoting server, and to the member's followers
    elsewhere, whose servers may show the quote too."""
    revoked = outbox.read(out.item, outbox.Revocation)
    target = await out.target()
    inboxes = await builders.followers_inboxes(out)
    if target is not None and (inbox := builders.inbox_of(target)):
        inboxes.append(inbox)
    uri = out.urls.authorization(out.sender.username, revoked.authorization_id)
    return builders.Built(outgoing.document(quote_vocab.revocation(uri, out.me)), inboxes)


async def build_quote_approved(out: Outgoing) -> Built | None:
    """Update of a member's quote now carrying `quoteAuthorization`, to its audience. As
    Mastodon's, it has no `updated` unless the post was edited: an approval is not an
    edit, and receivers keep no new version for it."""
    post = await out.post(out.item.post_id)
    if post is None:
        return None
    source = await note_source(out.session, out.urls, post, out.sender)
    token = outbox.read(out.item, outbox.Minted).activity_id
    activity = outgoing.update_from_post(out.urls, source, post.edited_at or post.created_at, token)
    if post.edited_at is None:
        del activity["object"]["updated"]
        activity["published"] = activity["object"]["published"]
    inboxes = await builders.post_audience(out, source)
    return builders.Built(activity, inboxes)
