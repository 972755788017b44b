"""Deny by default: every page and API operation declares the permission it needs.

`page(perm)` guards a Django view, `endpoint(perm)` an API operation, `public` marks the few views
anyone may open (log in, health, public verification). The middleware refuses any view that declares
nothing, and the API refuses to start with an operation that declares nothing.
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from ninja.errors import HttpError

ATTR = "liuguan_permission"
PUBLIC = "public"


def public(view):
    """Mark a view as open to anyone, including anonymous visitors."""
    setattr(view, ATTR, PUBLIC)
    return view


def page(permission: str):
    """A page for signed-in staff whose role grants `permission`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.can(permission):
                raise DjangoPermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapped, ATTR, permission)
        return wrapped

    return decorator


def endpoint(permission: str):
    """An API operation for authenticated callers whose role grants `permission`."""

    def decorator(func):
        @functools.wraps(func)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                raise HttpError(401, "Authentication required")
            if permission != PUBLIC and not user.can(permission):
                raise HttpError(403, "Your role does not allow this")
            return func(request, *args, **kwargs)

        setattr(wrapped, ATTR, permission)
        return wrapped

    return decorator


def declared_permission(view) -> str | None:
    """The permission a view declared, looking through decorators and class-based views."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "__wrapped__", None)):
        if candidate is not None and hasattr(candidate, ATTR):
            return getattr(candidate, ATTR)
    return None
