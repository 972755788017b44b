"""Encrypted model fields: ID and phone numbers encrypted at rest, found again through a keyed blind index.

`EncryptedField` stores `v<key version>:<cipher>:<base64 of nonce, ciphertext and tag>` (liuguan.core.crypto)
and decrypts in `from_db_value`, so attribute reads, `values()` and `values_list()` give the plain number.
Its sibling `BlindIndexField` (named by `index_field`) holds `<index key version><hash code>:<HMAC>` of the
normalised number; it is computed on every save and bulk_create (`pre_save`). Lookups:

- `exact` and `in` on the encrypted field are rewritten to the blind index: `doc_number=x` becomes
  `doc_number_index IN (<x's index under each index key and hash>)`, so a rotation of the index key needs no
  lock (a row not yet recomputed is still found), and it is one index probe;
- `isnull` works as usual;
- every other lookup or transform (`startswith`, `contains`, `iexact`, `Upper`, ...) raises `EncryptedLookupError`:
  a ciphertext has no prefix to search and its order is random. Ordering by the column or using it in SQL
  expressions (`Substr`, `F()`, `Count(distinct)`) sees ciphertext: do it in Python after reading.

`max_length` stays the limit of the plain value (forms and validation use it); the column is wider
(`stored_length`). Raw SQL that writes these tables must go through `seal_row` (the demo's and the importer's
COPY writers do); raw SQL that reads them sees ciphertext and must decrypt (`crypto.decrypt_text`).
"""

from django.core.exceptions import EmptyResultSet, FieldError
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup

from . import crypto

STORED_LENGTH = 255
INDEX_LENGTH = 48


class EncryptedLookupError(FieldError):
    """A lookup the encrypted column cannot answer (only exact, in and isnull can)."""


class EncryptedField(models.CharField):
    """A text column encrypted at rest (AES-256-GCM or SM4-GCM), with a blind index for exact lookups."""

    description = "Encrypted text with a blind index"

    def __init__(self, *args, index_field: str = "", stored_length: int = STORED_LENGTH, **kwargs):
        self.index_field = index_field
        self.stored_length = stored_length
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["index_field"] = self.index_field
        if self.stored_length != STORED_LENGTH:
            kwargs["stored_length"] = self.stored_length
        return name, path, args, kwargs

    def db_type(self, connection):
        data = {**self.db_type_parameters(connection), "max_length": self.stored_length}
        type_string = connection.data_types["CharField"]
        if callable(type_string):
            type_string = type_string(data)
        return type_string % data

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt_text(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value and not crypto.is_encrypted(value):
            return crypto.encrypt_text(value)
        return value

    def get_lookup(self, lookup_name):
        if lookup_name in ("exact", "in") and not self.index_field:
            raise EncryptedLookupError(
                f"{self.model.__name__}.{self.name} is encrypted without a blind index: it cannot be looked up"
            )
        if lookup_name == "exact":
            return BlindExact
        if lookup_name == "in":
            return BlindIn
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise EncryptedLookupError(
            f"'{lookup_name}' is not possible on the encrypted field {self.model.__name__}.{self.name}: "
            "only exact, in and isnull (through the blind index)"
        )

    def get_transform(self, lookup_name):
        raise EncryptedLookupError(
            f"'{lookup_name}' is not possible on the encrypted field {self.model.__name__}.{self.name}: "
            "only exact, in and isnull (through the blind index)"
        )

    def index(self) -> "BlindIndexField | None":
        return self.model._meta.get_field(self.index_field) if self.index_field else None


class BlindIndexField(models.CharField):
    """The keyed blind index of an EncryptedField (`source`), kept on save and bulk_create."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", INDEX_LENGTH)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", INDEX_LENGTH), ("editable", False), ("default", ""), ("blank", True)):
            if kwargs.get(key, value) == value:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        if crypto.is_encrypted(value):
            value = crypto.decrypt_text(value)
        tag = crypto.blind_index(value) if value else ""
        setattr(model_instance, self.attname, tag)
        return tag


class _Blind(Lookup):
    prepare_rhs = False

    def _index_column(self, compiler, connection):
        lhs = self.lhs
        if not isinstance(lhs, Col) or not isinstance(lhs.target, EncryptedField):
            raise EncryptedLookupError("an encrypted field can only be compared with plain values")
        return compiler.compile(Col(lhs.alias, lhs.target.index()))

    def _candidates(self, values) -> list[str]:
        found: list[str] = []
        for value in values:
            if hasattr(value, "resolve_expression") or hasattr(value, "query"):
                raise EncryptedLookupError(
                    "an encrypted field can only be compared with plain values, not expressions or subqueries"
                )
            if value is None:
                continue
            for tag in crypto.blind_index_candidates(str(value)):
                if tag not in found:
                    found.append(tag)
        return found

    def _sql(self, compiler, connection, values):
        column, params = self._index_column(compiler, connection)
        tags = self._candidates(values)
        if not tags:
            raise EmptyResultSet
        return f"{column} IN ({', '.join(['%s'] * len(tags))})", [*params, *tags]


class BlindExact(_Blind):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        return self._sql(compiler, connection, [self.rhs])


class BlindIn(_Blind):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        if hasattr(self.rhs, "query") or hasattr(self.rhs, "resolve_expression"):
            raise EncryptedLookupError("an encrypted field cannot be compared with a subquery")
        return self._sql(compiler, connection, list(self.rhs))


def encrypted_fields(model) -> list[EncryptedField]:
    if model is None:
        return []
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


# Keys that carry a person's ID or phone number in any record of changes (a fact's audit names its person's number).
SEALED_NAMES = {"doc_number", "phone"}


def seal_changes(model, changes: dict) -> dict:
    """`changes` with every text under an encrypted field's name encrypted, for the audit trail and the field history:
    a log that kept the numbers the table encrypts would undo the encryption. Readers decrypt (and mask) them.
    """
    names = SEALED_NAMES | {f.name for f in encrypted_fields(model)} | {f.attname for f in encrypted_fields(model)}
    if not changes:
        return changes

    def seal(value):
        if isinstance(value, str):
            return crypto.encrypt_text(value) if value and not crypto.is_encrypted(value) else value
        if isinstance(value, list | tuple):
            return [seal(item) for item in value]
        if isinstance(value, dict):
            return {key: seal(item) for key, item in value.items()}
        return value

    return {key: seal(value) if key in names else value for key, value in changes.items()}


def sealed_value(value) -> tuple:
    """(the value as stored: encrypted unless empty or already so, its blind index: "" when empty)."""
    if not value:
        return value, ""
    if crypto.is_encrypted(value):
        return value, crypto.blind_index(crypto.decrypt_text(value))
    return crypto.encrypt_text(value), crypto.blind_index(value)


def index_fields_fed_by(model, columns) -> set[str]:
    """The blind-index columns `seal_row` computes for rows of these columns (writers leave them out of defaults)."""
    return {f.index_field for f in encrypted_fields(model) if f.attname in columns and f.index_field}


def sealer(model, columns):
    """For raw writers (COPY, executemany): (the index columns to append, a function sealing one row).

    The function encrypts the encrypted columns of a row (a tuple in `columns` order) and appends their blind
    indexes. None when the model has no encrypted column among `columns`.
    """
    fields = [f for f in encrypted_fields(model) if f.attname in columns]
    if not fields:
        return None
    positions = [(columns.index(f.attname), bool(f.index_field)) for f in fields]
    names = [f.index_field for f in fields if f.index_field]

    def seal(row):
        row = list(row)
        tags = []
        for at, indexed in positions:
            row[at], tag = sealed_value(row[at])
            if indexed:
                tags.append(tag)
        return (*row, *tags)

    return names, seal


class EncryptedModelMixin:
    """Saving with update_fields that name an encrypted field also saves its blind index."""

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            for field in encrypted_fields(type(self)):
                if field.index_field and (field.name in update_fields or field.attname in update_fields):
                    update_fields.add(field.index_field)
            kwargs["update_fields"] = update_fields
        return super().save(*args, **kwargs)


def encrypt_existing_rows(schema_editor, table: str, columns: dict[str, str | None], chunk: int = 5000) -> None:
    """For data migrations: encrypt the plain values of `columns` ({column: its index column or None}) in
    chunks; rows already encrypted are left as they are (a second run is harmless).
    """
    names = list(columns)
    with schema_editor.connection.cursor() as cursor:
        last = 0
        while True:
            select = ", ".join(f'"{c}"' for c in names)
            cursor.execute(
                f'SELECT id, {select} FROM "{table}" WHERE id > %s ORDER BY id LIMIT %s',  # noqa: S608
                [last, chunk],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            sets = []
            for column in names:
                sets.append(f'"{column}" = %s')
                if columns[column]:
                    sets.append(f'"{columns[column]}" = %s')
            updates = []
            for pk, *values in rows:
                if all(not v or crypto.is_encrypted(v) for v in values):
                    continue
                params = []
                for column, value in zip(names, values, strict=True):
                    stored, tag = sealed_value(value)
                    params.append(stored)
                    if columns[column]:
                        params.append(tag)
                updates.append((*params, pk))
            if updates:
                cursor.executemany(f'UPDATE "{table}" SET {", ".join(sets)} WHERE id = %s', updates)  # noqa: S608


def decrypt_existing_rows(schema_editor, table: str, columns: list[str]) -> None:
    """The reverse of `encrypt_existing_rows` (for migrating back)."""
    with schema_editor.connection.cursor() as cursor:
        select = ", ".join(f'"{c}"' for c in columns)
        cursor.execute(f'SELECT id, {select} FROM "{table}"')  # noqa: S608
        rows = cursor.fetchall()
        sets = ", ".join(f'"{c}" = %s' for c in columns)
        cursor.executemany(
            f'UPDATE "{table}" SET {sets} WHERE id = %s',  # noqa: S608
            [(*(crypto.decrypt_text(v) if v else v for v in values), pk) for pk, *values in rows],
        )
