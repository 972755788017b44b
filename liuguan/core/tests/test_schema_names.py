"""Two API schemas with one class name would become one entry of the OpenAPI document: one app's answers would
be described (and checked) by the other's. Every schema of the API has a name of its own."""

from collections import defaultdict

from ninja import Schema

import liuguan.api  # noqa: F401 (imports every router and so every schema)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_api_schema_has_a_name_of_its_own():
    names = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("liuguan."):
            names[schema.__name__].add(schema.__module__)
    assert {name: modules for name, modules in names.items() if len(modules) > 1} == {}
