"""Duty holders' accounts: a station or street officer opens a landlord, employer or hotel account, bound to what
it answers for (a person or organisation that lets houses, an employer, a hotel) inside the officer's jurisdiction.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import DUTY_HOLDERS, Role
from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.registry.models import Employer, House, Lodging, Person


def _in_scope(model, actor, pk):
    return scoped(model.objects.all(), actor).filter(pk=pk).first() if pk else None


@transaction.atomic
def duty_holder_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    person_id: int | None = None,
    organisation_id: int | None = None,
    lodging_id: int | None = None,
    full_name: str = "",
    phone: str = "",
    source: str = "web",
) -> User:
    """A landlord account is bound to the person (or organisation) named as landlord of a house, an employer
    account to an employer, a hotel account to a hotel; the bound object must lie inside the officer's
    jurisdiction. The account itself gets no jurisdiction: it reaches only its own houses, staff or guests.
    """
    if not actor.can("holder.manage"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    username = (username or "").strip()
    if not username:
        problems.append(FieldProblem("username", "holder.username_required", _("A user name is required")))
    elif User.objects.filter(username__iexact=username).exists():
        problems.append(FieldProblem("username", "holder.username_taken", _("This user name is taken")))
    person = organisation = lodging = None
    if role not in {r.value for r in DUTY_HOLDERS}:
        problems.append(FieldProblem("role", "holder.role", _("Choose landlord, employer or hotel")))
    elif role == Role.LANDLORD:
        if bool(person_id) == bool(organisation_id):
            problems.append(
                FieldProblem(
                    "person_id",
                    "holder.landlord_one_party",
                    _("A landlord account is bound to one person or to one organisation"),
                )
            )
        elif person_id:
            # The landlord may live elsewhere (many are not migrants): the house is what must be in scope.
            houses = scoped(House.objects.all(), actor)
            person = Person.objects.filter(pk=person_id, houses__in=houses).distinct().first()
            if person is None:
                problems.append(
                    FieldProblem(
                        "person_id",
                        "holder.landlord_of_house",
                        _("Choose a person registered as landlord of a house inside your jurisdiction"),
                    )
                )
        else:
            houses = scoped(House.objects.all(), actor)
            organisation = Employer.objects.filter(pk=organisation_id, houses__in=houses).distinct().first()
            if organisation is None:
                problems.append(
                    FieldProblem(
                        "organisation_id",
                        "holder.landlord_of_house",
                        _("Choose an organisation registered as landlord of a house inside your jurisdiction"),
                    )
                )
    elif role == Role.EMPLOYER:
        organisation = _in_scope(Employer, actor, organisation_id)
        if organisation is None:
            problems.append(
                FieldProblem(
                    "organisation_id",
                    "holder.employer_in_scope",
                    _("Choose an employer registered inside your jurisdiction"),
                )
            )
    else:
        lodging = _in_scope(Lodging, actor, lodging_id)
        if lodging is None:
            problems.append(
                FieldProblem(
                    "lodging_id", "holder.hotel_in_scope", _("Choose a hotel registered inside your jurisdiction")
                )
            )
    user = User(
        username=username,
        role=role,
        full_name=(full_name or "").strip()[:60],
        phone=(phone or "").strip()[:11],
        person=person,
        organisation=organisation,
        lodging=lodging,
    )
    try:
        validate_password(password or "", user)
    except ValidationError as exc:
        problems.extend(FieldProblem("password", "holder.password", str(m)) for m in exc.messages)
    if problems:
        raise InvalidInput(problems)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(_("This user name is taken"), field="username", rule="holder.username_taken") from exc
    bound = person or organisation or lodging
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        division_code=bound.community_id if hasattr(bound, "community_id") else (actor.division_id or ""),
        source=source,
        changes={
            "username": username,
            "role": role,
            "person": getattr(person, "pk", None),
            "organisation": getattr(organisation, "pk", None),
            "lodging": getattr(lodging, "pk", None),
        },
    )
    return user
