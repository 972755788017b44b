"""The one way in to a single registry object: outside scope and missing raise the same NotFound."""

from liuguan.core.errors import NotFound

from .selectors import person_get


def access_person_by_id(user, person_id: int):
    person = person_get(user=user, person_id=person_id)
    if person is None:
        raise NotFound()
    return person
