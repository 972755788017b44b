"""Registry writes. Each runs in one transaction, validates everything first, and leaves an audit event."""

from liuguan.core.errors import FieldProblem

from .corrections import PERSON_CORRECTABLE, STAY_CORRECTABLE, Setter, field_setter, record_correct, stay_verify
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
    "PERSON_CORRECTABLE",
    "STAY_CORRECTABLE",
    "Setter",
    "field_setter",
    "record_correct",
    "stay_verify",
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
