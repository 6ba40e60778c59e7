"""Quote posts on the wire (FEP-044f as Mastodon 4.5 speaks it): the context terms, the
QuoteRequest and the revocation of an authorization. Answers to a QuoteRequest and the
QuoteAuthorization documents are federation/authorizations.py's, as for every approval.

Shapes follow Mastodon's serializers (quote_request_serializer.rb,
delete_quote_authorization_serializer.rb); bodies here have no @context:
federation/outgoing.py's `document` adds the one context.
"""

from __future__ import annotations

from typing import Any

from server.urls import PUBLIC

#: The terms Mastodon's ActivityPub::Adapter adds for quotes (GoToSocial's namespace is
#: used as a prefix, as Mastodon writes it).
QUOTE_CONTEXT: dict[str, Any] = {
    "quote": "https://w3id.org/fep/044f#quote",
    "quoteUri": "http://fedibird.com/ns#quoteUri",
    "quoteUrl": "as:quoteUrl",
    "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
    "quoteAuthorization": {"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
    "gts": "https://gotosocial.org/ns#",
    "interactingObject": {"@id": "gts:interactingObject"},
    "interactionTarget": {"@id": "gts:interactionTarget"},
    "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
    "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
}


def quote_request(
    request_id: str, actor: str, quoted_uri: str, note: dict[str, Any]
) -> dict[str, Any]:
    """The QuoteRequest for a member's quote, with the quoting Note embedded (Mastodon
    inlines a local instrument), sent to the quoted author's inbox only."""
    return {
        "id": request_id,
        "type": "QuoteRequest",
        "actor": actor,
        "object": quoted_uri,
        "instrument": note,
    }


def revocation(authorization_id: str, actor: str) -> dict[str, Any]:
    """Delete of an authorization: the quote may no longer be shown. An authorization is
    revoked once, so the Delete's id is the authorization's own with a fragment."""
    return {
        "id": authorization_id + "#delete",
        "type": "Delete",
        "actor": actor,
        "to": [PUBLIC],
        "object": authorization_id,
    }
