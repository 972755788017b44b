"""Registry writes. Each runs in one transaction, validates everything first, and leaves an audit event."""

from liuguan.core.errors import FieldProblem

from .people import (
    CheckedPerson,
    LikelyDuplicate,
    PersonInput,
    Registration,
    duplicate_confirm_same,
    person_check,
    person_register,
    person_reveal,
    person_update_contact,
)
from .places import employer_register, house_register, lodging_register
from .stays import ScopedCommunities, StayInput, stay_check, stay_depart, stay_register, stay_update

__all__ = [
    "CheckedPerson",
    "FieldProblem",
    "LikelyDuplicate",
    "PersonInput",
    "Registration",
    "ScopedCommunities",
    "StayInput",
    "duplicate_confirm_same",
    "employer_register",
    "house_register",
    "lodging_register",
    "person_check",
    "person_register",
    "person_reveal",
    "person_update_contact",
    "stay_check",
    "stay_depart",
    "stay_register",
    "stay_update",
]
