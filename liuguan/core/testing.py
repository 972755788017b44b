"""Test helpers shared by every app: API responses are checked against the published OpenAPI document."""

import functools
import re

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


@functools.cache
def _document() -> dict:
    import json

    from liuguan.api import api

    # Through JSON, as clients see it (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def _operation(method: str, path: str) -> dict:
    paths = _document()["paths"]
    for template, item in paths.items():
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def assert_matches_openapi(method: str, path: str, response) -> None:
    """The response's status is documented for the operation and its JSON body fits the documented schema."""
    operation = _operation(method, path.split("?")[0])
    status = str(response.status_code)
    documented = operation.get("responses", {})
    assert status in documented, f"{method} {path}: status {status} not documented ({sorted(documented)})"
    content = documented[status].get("content", {}).get("application/json")
    if content is None:
        return
    document = _document()
    registry = Registry().with_resource("urn:openapi", Resource(contents=document, specification=DRAFT202012))
    schema = _rebase(content["schema"])
    jsonschema.validate(response.json(), schema, registry=registry, cls=jsonschema.Draft202012Validator)


def _rebase(node):
    if isinstance(node, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and v.startswith("#") else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node
