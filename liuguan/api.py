"""The one JSON API: /api/openapi.json describes it, /api/docs lets people try it.

Machines authenticate with a bearer token (Authorization: Bearer lg_...), pages with their session
(and CSRF). Domain errors map to HTTP here and nowhere else.
"""

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.permissions import declared_permission
from liuguan.core.storable import storable
from liuguan.exchange.hub import RateLimited


class TokenAuth(HttpBearer):
    """Bearer tokens issued to a user; revoked or expired tokens are refused."""

    def authenticate(self, request, token):
        from liuguan.accounts.selectors import token_by_key
        from liuguan.accounts.services import token_touch

        row = token_by_key(token)
        if row is None or not row.usable or not row.user.is_active:
            return None
        token_touch(token=row, now=timezone.now())
        request.user = row.user
        request.api_token = row
        return row.user


class SessionAuth(APIKeyCookie):
    """The signed-in page session; unsafe methods need the CSRF token like any form."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class StorableJsonParser(Parser):
    """A body whose JSON escapes text no column can hold (a NUL, a lone surrogate) is refused like any body
    that cannot be read (400), instead of failing in the database.
    """

    def parse_body(self, request):
        data = super().parse_body(request)
        if not storable(data):
            raise ValueError("text no column can hold (NUL, a lone surrogate) or a number that is not finite")
        return data


api = NinjaAPI(
    parser=StorableJsonParser(),
    title="Liuguan API",
    version="1.0",
    description="流管 — migrant population service and management platform. All personal data is masked "
    "unless revealed with a stated purpose; every object outside the caller's jurisdiction answers 404.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)


def _problem_list(problems):
    return [{"loc": ["body", p.field], "type": p.rule, "rule": p.rule, "msg": str(p.message)} for p in problems]


@api.exception_handler(InvalidInput)
def _invalid(request, exc: InvalidInput):
    return api.create_response(request, {"detail": _problem_list(exc.problems)}, status=422)


@api.exception_handler(NotFound)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not Found"}, status=404)


@api.exception_handler(Http404)
def _http404(request, exc):
    return api.create_response(request, {"detail": "Not Found"}, status=404)


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return api.create_response(request, {"detail": _("Your role does not allow this")}, status=403)


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    body = {"detail": str(exc.message), "field": exc.field, "rule": exc.rule}
    if exc.existing_id is not None:
        body["existing_id"] = exc.existing_id
    body.update(getattr(exc, "extra", {}))
    return api.create_response(request, body, status=409)


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    response = api.create_response(request, {"detail": str(exc), "rule": "exchange.rate_limit"}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


# django-ninja wraps the schema of each status code of each operation in a new pydantic model; with the seven
# documented error codes on ~160 operations that was ~1,300 models and seconds of every process start (the system
# checks of each command load the routes). The wrapper holds nothing but the schema, so one per schema serves all.
_wrappers: dict = {}
_create_response_model = Operation._create_response_model


def _shared_response_model(self, response_param):
    try:
        return _wrappers[response_param]
    except KeyError:
        made = _wrappers[response_param] = _create_response_model(self, response_param)
        return made
    except TypeError:  # an unhashable annotation: made for this operation alone, as ninja does
        return _create_response_model(self, response_param)


Operation._create_response_model = _shared_response_model


def _register_routers():
    from liuguan.accounts.api import router as accounts_router
    from liuguan.collection.api import router as collection_router
    from liuguan.compliance.api import router as compliance_router
    from liuguan.compliance.api_agreements import router as agreements_router
    from liuguan.core.api import router as core_router
    from liuguan.exchange.api import router as exchange_router
    from liuguan.exchange.api_feeds import router as feeds_router
    from liuguan.exchange.api_police import router as police_router
    from liuguan.geo.api import router as geo_router
    from liuguan.grid.api import router as grid_router
    from liuguan.insight.api import router as insight_router
    from liuguan.insight.api_open import router as open_data_router
    from liuguan.linkage.api import router as linkage_router
    from liuguan.livelihood.associations.api import router as associations_router
    from liuguan.livelihood.legalaid.api import router as legalaid_router
    from liuguan.livelihood.schooling.api import router as schooling_router
    from liuguan.livelihood.welfare.api import router as welfare_router
    from liuguan.outflow.api import router as outflow_router
    from liuguan.outflow.api_trajectory import router as trajectory_router
    from liuguan.oversight.api import router as oversight_router
    from liuguan.permits.api_rights import router as permits_rights_router
    from liuguan.permits.api_rights import verify_router as permits_verify_router
    from liuguan.permits.api_work import router as permits_work_router
    from liuguan.portal.api import router as portal_router
    from liuguan.registry.api import router as registry_router
    from liuguan.registry.api_places import router as places_router

    api.add_router("/", core_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/geo", geo_router)
    api.add_router("/registry", registry_router)
    api.add_router("/registry", places_router)
    api.add_router("/collection", collection_router)
    api.add_router("/compliance", compliance_router)
    api.add_router("/compliance", agreements_router)
    api.add_router("/exchange", exchange_router)
    api.add_router("/exchange", feeds_router)
    api.add_router("/exchange", police_router)
    api.add_router("/oversight", oversight_router)
    api.add_router("/outflow", outflow_router)
    api.add_router("/outflow", trajectory_router)
    api.add_router("/permits", permits_work_router)
    api.add_router("/permits", permits_rights_router)
    api.add_router("/exchange", permits_verify_router)
    api.add_router("/grid", grid_router)
    api.add_router("/portal", portal_router)
    api.add_router("/livelihood/welfare", welfare_router)
    api.add_router("/livelihood/legalaid", legalaid_router)
    api.add_router("/livelihood/schooling", schooling_router)
    api.add_router("/livelihood/associations", associations_router)
    api.add_router("/insight", insight_router)
    api.add_router("/exchange", open_data_router)
    api.add_router("/linkage", linkage_router)


def api_operations(ninja_api: NinjaAPI):
    """Every (method, path, operation) the API serves, for the deny-by-default check and the access tests."""
    for prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, (prefix.rstrip("/") + "/" + path.lstrip("/")).replace("//", "/"), operation


def assert_every_operation_declares_permission(ninja_api: NinjaAPI) -> None:
    """Refuse to start with an operation that declares no permission."""
    missing = [f"{m} {p}" for m, p, op in api_operations(ninja_api) if declared_permission(op.view_func) is None]
    if missing:
        raise ImproperlyConfigured(f"API operations without a declared permission: {', '.join(missing)}")


_register_routers()
assert_every_operation_declares_permission(api)
