"""Domain exceptions. Services raise these; one place per interface maps them to HTTP and form errors."""

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One broken rule on one field: the field's name, a machine rule code and a sentence for people."""

    field: str
    rule: str
    message: str


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DomainError):
    """The object does not exist, or exists outside the caller's scope: the two look the same."""


class PermissionDenied(DomainError):
    """The caller's role does not allow the action at all (not a scope question)."""


@dataclass
class InvalidInput(DomainError):
    """Input broke one or more rules; nothing was written."""

    problems: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)


class Conflict(DomainError):
    """The write would contradict existing state (for example a second person with one document)."""

    def __init__(self, message: str, *, field: str = "", rule: str = "", existing_id=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
        self.existing_id = existing_id
