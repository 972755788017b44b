"""Shapes shared by every API operation: the error bodies, documented so clients can rely on them."""

from ninja import Schema


class ProblemOut(Schema):
    loc: list[str | int]
    type: str
    msg: str
    rule: str | None = None


class CandidateOut(Schema):
    id: int
    name: str
    doc_number_masked: str
    birth_date: str
    reasons: list[str]


class ErrorOut(Schema):
    detail: str | list[ProblemOut]
    field: str | None = None
    rule: str | None = None
    existing_id: int | None = None
    candidates: list[CandidateOut] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def responses(schema, status: int = 200) -> dict:
    """The success schema plus the documented error shapes."""
    return {status: schema, **ERRORS}
