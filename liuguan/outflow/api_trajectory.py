"""A person's trajectory as JSON: the places in date order and the path between divisions, as the page shows."""

import datetime as dt

from ninja import Field, Router, Schema

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .selectors_trajectory import trajectory

router = Router(tags=["outflow"])


class TrajectoryPlaceOut(Schema):
    kind: str = Field(..., description="stay (here), remote (another instance) or reported (not confirmed)")
    code: str = Field(..., description="division code of the place; empty for a place abroad or not named")
    name: str
    start: dt.date
    end: dt.date | None = Field(None, description="empty while the stay is open")
    in_scope: bool
    address: str | None = Field(None, description="only for stays inside your jurisdiction")
    reason: str
    source: str = Field(..., description="who knows of the place: a county here, another instance, a reporter")
    stay_id: int | None = None


class TrajectoryNodeOut(Schema):
    code: str
    name: str
    kind: str = Field(..., description="hukou, stay, remote or reported")


class TrajectoryMoveOut(Schema):
    source: TrajectoryNodeOut
    target: TrajectoryNodeOut
    on: dt.date
    level: str = Field(
        ..., description="country, province, prefecture, county, township, community, within_<level> or unknown"
    )
    level_label: str


class TrajectoryOut(Schema):
    person_id: int
    hukou_code: str
    hukou_name: str
    places: list[TrajectoryPlaceOut]
    path: list[TrajectoryNodeOut]
    moves: list[TrajectoryMoveOut]


def _node(node) -> dict:
    return {"code": node.code, "name": node.name, "kind": node.kind}


@router.get(
    "/people/{person_id}/trajectory",
    response=responses(TrajectoryOut),
    summary="A person's places over time across counties and instances, and the path between divisions",
)
@endpoint("trajectory.view")
def person_trajectory(request, person_id: int):
    traj = trajectory(user=request.user, person=person_id)
    return {
        "person_id": traj.person.pk,
        "hukou_code": traj.hukou_code,
        "hukou_name": traj.hukou_name,
        "places": [
            {
                "kind": p.kind,
                "code": p.code,
                "name": p.name,
                "start": p.start,
                "end": p.end,
                "in_scope": p.in_scope,
                "address": p.address if p.in_scope else None,
                "reason": p.reason,
                "source": p.source,
                "stay_id": p.stay_id,
            }
            for p in traj.places
        ],
        "path": [_node(n) for n in traj.nodes],
        "moves": [
            {
                "source": _node(m.source),
                "target": _node(m.target),
                "on": m.on,
                "level": m.level,
                "level_label": m.level_label,
            }
            for m in traj.moves
        ],
    }
