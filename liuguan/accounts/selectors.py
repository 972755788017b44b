"""Reads about accounts."""

from .models import ApiToken


def token_list_for(*, user):
    """A user's own tokens, newest first; the keys themselves are never stored."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")
