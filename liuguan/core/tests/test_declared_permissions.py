"""Deny by default: every page and API operation declares a permission, and undeclared views are refused."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from ninja import NinjaAPI, Router

from liuguan.api import api, api_operations, assert_every_operation_declares_permission
from liuguan.core.middleware import DeclaredPermissionMiddleware
from liuguan.core.permissions import declared_permission


def _patterns(resolver, namespaces=()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, namespaces + ((entry.namespace,) if entry.namespace else ()))
        elif isinstance(entry, URLPattern):
            yield namespaces, entry


def test_every_page_declares_a_permission():
    undeclared = [
        str(p.pattern)
        for ns, p in _patterns(get_resolver())
        if "api" not in ns and declared_permission(p.callback) is None
    ]
    assert undeclared == []


def test_every_api_operation_declares_a_permission():
    operations = list(api_operations(api))
    assert len(operations) >= 8
    assert all(declared_permission(op.view_func) for _m, _p, op in operations)


def test_api_with_an_undeclared_operation_refuses_to_start():
    other = NinjaAPI(urls_namespace="other")
    router = Router()

    @router.get("/leak")
    def leak(request):
        return {}

    other.add_router("/", router)
    with pytest.raises(Exception, match="without a declared permission"):
        assert_every_operation_declares_permission(other)


def test_middleware_refuses_an_undeclared_view():
    def naked_view(request):
        return HttpResponse("secret")

    request = RequestFactory().get("/naked")
    request.resolver_match = None
    response = DeclaredPermissionMiddleware(lambda r: None).process_view(request, naked_view, (), {})
    assert response.status_code == 403
