"""Divisions as JSON: one division with its path and children, inside the caller's scope."""

from ninja import Router, Schema

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .selectors import division_children, division_get, division_path

router = Router(tags=["divisions"])


class DivisionRef(Schema):
    code: str
    name: str
    level: str


class DivisionChild(DivisionRef):
    communities: int
    open_stays: int


class DivisionOut(DivisionRef):
    path: list[DivisionRef]
    children: list[DivisionChild]


def _ref(d):
    return DivisionRef(code=d.code, name=d.name, level=d.level)


@router.get("/divisions/{code}", response=responses(DivisionOut), summary="A division with its path and children")
@endpoint("division.view")
def division_detail(request, code: str):
    division = division_get(user=request.user, code=code)
    if division is None:
        raise NotFound()
    children = division_children(user=request.user, division=division)
    return DivisionOut(
        code=division.code,
        name=division.name,
        level=division.level,
        path=[_ref(d) for d in division_path(division)[:-1]],
        children=[
            DivisionChild(
                code=c["division"].code,
                name=c["division"].name,
                level=c["division"].level,
                communities=c["communities"],
                open_stays=c["open_stays"],
            )
            for c in children
        ],
    )
