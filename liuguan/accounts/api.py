"""Who am I: the caller's account, role, jurisdiction and permissions."""

from ninja import Router, Schema

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .roles import PERMISSIONS

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    division_code: str | None
    department_code: str | None
    permissions: list[str]


@router.get("/me", response=responses(MeOut), summary="The calling account")
@endpoint("home.view")
def me(request):
    user = request.user
    return MeOut(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        division_code=user.division_id,
        department_code=user.department_id,
        permissions=sorted(p for p in PERMISSIONS if user.can(p)),
    )
