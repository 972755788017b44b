"""The one way to find a person by document number, as the register keeps them (entity resolution included)."""

from .models import Person


def person_by_document(doc_type: str, doc_number: str) -> Person | None:
    """The person a document names, or None. After a merge (linkage) the number still opens the merged-away
    record; this gives the surviving record, so that new reports, facts and stays attach to the one person.
    """
    found = Person.objects.filter(doc_type=doc_type, doc_number=doc_number).select_related("merged_into").first()
    return None if found is None else found.survivor
