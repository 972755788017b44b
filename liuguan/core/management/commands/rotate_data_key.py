"""Rotate the keys of the numbers encrypted at rest: re-encrypt with the current data key, or recompute the
blind indexes with the current index key (and hash); then, optionally, drop the old keys.

Steps (README "Cryptography"):
1. add a new key: `rotate_data_key --new-key` (key file) or append `N:<base64>` to LIUGUAN_DATA_KEYS and restart;
   from then on every write uses it, and the old versions still decrypt;
2. `rotate_data_key` re-encrypts every row still under an older key (or another cipher than LIUGUAN_CIPHER), in
   chunks of its own transactions, so the service keeps running;
3. `rotate_data_key --drop-old` checks that no row still needs an old key, then drops it (key file), or says which
   versions to remove from the environment.
The same with `--index` for the blind-index key: lookups match a number under every index key of the keyring
meanwhile (liuguan.core.crypto.blind_index_candidates), so no lock is taken. Each run is an audit event.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from liuguan.core import crypto
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.fields import encrypted_fields


def _targets():
    """(model, [encrypted fields]) of every model with an encrypted column."""
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if fields:
            yield model, fields


def _data_current(value: str, version: int, cipher: str) -> bool:
    parsed = crypto.parse_ciphertext(value) if value else None
    return not value or (parsed is not None and parsed[0] == version and parsed[1] == cipher)


def rotate(*, index: bool = False, chunk: int = 2000, out=None) -> dict:
    """Bring every row to the current data key (or index key); {table.column: rows changed}."""
    data_ring, index_ring = crypto.keyrings()
    cipher = crypto.cipher_algorithm().name
    changed: dict[str, int] = {}
    for model, fields in _targets():
        table = model._meta.db_table
        for field in fields:
            if index and not field.index_field:
                continue
            label = f"{table}.{field.column}" + (" (index)" if index else "")
            target = field.index().column if index else field.column
            count, last = 0, 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f'SELECT id, "{field.column}", "{target}" FROM "{table}" '  # noqa: S608 (model's own names)
                        "WHERE id > %s ORDER BY id LIMIT %s",
                        [last, chunk],
                    )
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    last = rows[-1][0]
                    updates = []
                    for pk, value, old_target in rows:
                        if index:
                            if crypto.index_is_current(old_target) and (old_target or not value):
                                continue
                            plain = crypto.decrypt_text(value) if value else ""
                            updates.append((crypto.blind_index(plain) if plain else "", pk, old_target))
                        elif not _data_current(value, data_ring.current, cipher):
                            updates.append((crypto.encrypt_text(crypto.decrypt_text(value)), pk, value))
                    if updates:
                        # Only where the row still holds what was read: a concurrent write used the new key.
                        cursor.executemany(
                            f'UPDATE "{table}" SET "{target}" = %s WHERE id = %s AND "{target}" = %s',  # noqa: S608
                            updates,
                        )
                        count += len(updates)
            changed[label] = count
            if out:
                out(f"{label}: {count} rows {'re-indexed' if index else 're-encrypted'}")
    with transaction.atomic():
        audit_record(
            actor=SYSTEM,
            action="crypto.rotate_index_key" if index else "crypto.rotate_data_key",
            object_type="crypto.keyring",
            changes={
                "key_version": index_ring.current if index else data_ring.current,
                "algorithm": crypto.hash_algorithm().name if index else cipher,
                "rows": changed,
            },
            source="command",
        )
    return changed


def old_versions_in_use(*, index: bool = False) -> set[int]:
    """The key versions other than the current one that some row still needs."""
    data_ring, index_ring = crypto.keyrings()
    used: set[int] = set()
    for model, fields in _targets():
        for field in fields:
            if index and not field.index_field:
                continue
            column = field.index().column if index else field.column
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT "{column}" FROM "{model._meta.db_table}"')  # noqa: S608 (model's own names)
                for (value,) in cursor.fetchall():
                    if index:
                        head = (value or "").split(":", 1)[0][:-1]
                        if head.isdigit() and int(head) != index_ring.current:
                            used.add(int(head))
                    else:
                        version = crypto.key_version(value)
                        if version is not None and version != data_ring.current:
                            used.add(version)
    return used


class Command(BaseCommand):
    help = (
        "Re-encrypt the ID and phone numbers encrypted at rest with the current data key (or, with --index, "
        "recompute their blind indexes with the current index key); --new-key adds a key first, --drop-old "
        "removes the old ones once no row needs them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--index", action="store_true", help="the blind-index key instead of the data key")
        parser.add_argument("--new-key", action="store_true", help="add a new current key to the key file first")
        parser.add_argument("--drop-old", action="store_true", help="remove keys no row needs any more")
        parser.add_argument("--chunk", type=int, default=2000, help="rows per transaction")

    def handle(self, *args, **options):
        kind = "index" if options["index"] else "data"
        try:
            if options["new_key"]:
                version = crypto.keyring_add(kind)
                self.stdout.write(f"new {kind} key version {version} added to {crypto.key_file()}")
            if not options["drop_old"] or options["new_key"]:
                rotate(index=options["index"], chunk=options["chunk"], out=self.stdout.write)
            if options["drop_old"]:
                in_use = old_versions_in_use(index=options["index"])
                if in_use:
                    raise CommandError(f"rows still need {kind} key versions {sorted(in_use)}: run the rotation first")
                data_ring, index_ring = crypto.keyrings()
                ring = index_ring if options["index"] else data_ring
                old = sorted(v for v in ring.keys if v != ring.current)
                if not old:
                    self.stdout.write(f"no old {kind} keys")
                    return
                try:
                    crypto.keyring_remove(kind, old)
                except crypto.CryptoError as exc:
                    self.stdout.write(f"{exc}: versions {old} are no longer needed")
                    return
                with transaction.atomic():
                    audit_record(
                        actor=SYSTEM,
                        action=f"crypto.drop_{kind}_keys",
                        object_type="crypto.keyring",
                        changes={"dropped": old, "current": ring.current},
                        source="command",
                    )
                self.stdout.write(f"dropped {kind} key versions {old}")
        except crypto.CryptoError as exc:
            raise CommandError(str(exc)) from exc
