"""Schemathesis over the whole OpenAPI document, in-process: no server error, no response that breaks the schema.

Every operation of /api/openapi.json gets schema-valid and schema-invalid requests (Hypothesis, derandomized, so
a run is repeatable), sent through the WSGI application as the account of the first role whose permissions
allow the operation (the province administrator where none does), with its machine token. Checks: no 5xx,
the status code is documented, the content type and the body match the documented response, documented headers
are there. Then a stateful run follows the links Schemathesis infers from the document (an id a create returns
is the id another operation takes) through chains of calls.

Longer runs (not in CI): requests per operation, stateful runs and steps per run
    LIUGUAN_FUZZ_EXAMPLES=200 LIUGUAN_FUZZ_STATEFUL=50 LIUGUAN_FUZZ_STEPS=40 pytest \\
        liuguan/core/tests/test_schemathesis.py
    LIUGUAN_FUZZ_SEED=7 ...  another fixed seed instead of the derandomized one
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode

from liuguan.accounts.roles import Role
from liuguan.core.permissions import declared_permission
from liuguan.registry.models import Person

EXAMPLES = int(os.environ.get("LIUGUAN_FUZZ_EXAMPLES", "2"))
STATEFUL_RUNS = int(os.environ.get("LIUGUAN_FUZZ_STATEFUL", "5"))
STEPS = int(os.environ.get("LIUGUAN_FUZZ_STEPS", "8"))
SEED = os.environ.get("LIUGUAN_FUZZ_SEED")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
# The first of these whose permissions allow an operation calls it: officers from the top down, then the rest.
ROLE_ORDER = [
    Role.PROVINCE_ADMIN,
    Role.DEPARTMENT_USER,
    Role.POLICE,
    Role.AUDITOR,
    Role.CITY_OFFICER,
    Role.COUNTY_OFFICER,
    Role.STREET_OFFICER,
    Role.STATION_OFFICER,
    Role.GRID_WORKER,
    Role.COLLECTOR,
]


def _document() -> dict:
    from liuguan.api import api

    # Through JSON, as clients read it (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {"stateful": {"enabled": True, "inference": {"algorithms": ["dependency-analysis"]}}},
    }
)
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


def _settings(examples: int, **more):
    chosen = settings(
        max_examples=examples,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing request is reported as sent
        suppress_health_check=list(HealthCheck),
        **more,
    )
    return (lambda f: seed(int(SEED))(chosen(f))) if SEED is not None else chosen


@pytest.fixture
def in_process():
    """The WSGI handler closes the connection after each request; here it is the test's transaction."""
    from liuguan.wsgi import application

    schema.app = application
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users, token_for, person_in, person_out):
    """Each role's machine token, with people inside and outside the jurisdiction to find."""
    return {role: token_for(users[role]) for role in ROLE_ORDER}


def _caller(operation, users, tokens) -> dict:
    from liuguan.api import api, api_operations

    for method, path, ninja_operation in api_operations(api):
        if method == operation.method.upper() and operation.path == "/api" + path:
            permission = declared_permission(ninja_operation.view_func)
            for role in ROLE_ORDER:
                if isinstance(permission, str) and users[role].can(permission):
                    return {"Authorization": f"Bearer {tokens[role]}"}
    return {"Authorization": f"Bearer {tokens[Role.PROVINCE_ADMIN]}"}


def _fuzz(operation, headers: dict, mode: GenerationMode, examples: int, statuses: list) -> None:
    @_settings(examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        statuses.append(case.call_and_validate(headers=headers).status_code)

    run()


@pytest.mark.django_db
def test_every_operation_answers_within_its_documented_responses(users, tokens, in_process):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150  # the whole document, not a part of it
    failures, answered = [], {}
    for operation in operations:
        headers = _caller(operation, users, tokens)
        # Schema-invalid requests mostly stop at validation (422): half as many of them.
        for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES), (GenerationMode.NEGATIVE, max(EXAMPLES // 2, 1))):
            statuses = answered.setdefault((operation.label, mode.value), [])
            try:
                _fuzz(operation, headers, mode, examples, statuses)
            except Exception as exc:  # every operation runs; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    # The requests reached the handlers, not only the door: a broken token would answer 401 everywhere, documented.
    reached = {label for (label, mode), got in answered.items() if any(200 <= status < 300 for status in got)}
    assert len(reached) > 30, sorted(reached)


@pytest.mark.django_db
def test_chains_of_calls_along_the_documents_links(users, tokens, in_process):
    machine = schema.as_state_machine()
    # Links were found: the id a create or a list returns feeds the operations that take it.
    assert sum(hasattr(getattr(machine, name), "hypothesis_stateful_rule") for name in dir(machine)) > 100
    headers = {"Authorization": f"Bearer {tokens[Role.PROVINCE_ADMIN]}"}

    class Officer(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

    Officer.run(
        settings=settings(
            max_examples=STATEFUL_RUNS,
            stateful_step_count=STEPS,
            derandomize=SEED is None,  # with LIUGUAN_FUZZ_SEED the chains are random
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["\\u0000", "a\\u0000b", "\\ud800", "\\udfff x"])
def test_json_text_no_column_can_hold_is_refused_at_the_door(users, tokens, text):
    """JSON escapes can spell a NUL or a lone surrogate; PostgreSQL stores neither: 400, as an unreadable body."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[Role.COLLECTOR]}")
    before = Person.objects.count()
    body = '{"doc_type": "passport", "doc_number": "E12345678", "name": "' + text + '", "sex": "M"}'
    response = client.post("/api/registry/persons", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert Person.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["\x00", "张\x00", "²\x00"])
def test_a_nul_in_a_query_parameter_is_no_server_error(users, tokens, query):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[Role.PROVINCE_ADMIN]}")
    for path, params in (("/api/registry/persons", {"q": query}), ("/api/audit/events", {"object_type": query})):
        response = client.get(path, params)
        assert response.status_code == 400 and response.json()["detail"]
