"""The ActivityPub door: WebFinger, actors, inboxes, signatures, delivery."""
