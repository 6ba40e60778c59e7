"""The rules of the community. Services take a session, return models or dataclasses, and
raise ServiceError subclasses whose message is safe to show to a person."""
