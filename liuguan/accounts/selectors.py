"""Reads about accounts."""

from .models import ApiToken


def token_list_for(*, user):
    """A user's own tokens, newest first; the keys themselves are never stored."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_by_key(key: str):
    """The token row for a presented bearer key (only its SHA-256 is stored), with its user."""
    return ApiToken.objects.select_related("user").filter(key_hash=ApiToken.digest(key)).first()
