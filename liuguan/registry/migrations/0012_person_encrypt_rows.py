"""Encrypt the document and phone numbers already stored, and compute their blind indexes (in chunks).

Works on an empty database and on the demo's; rows already encrypted are left as they are, so running it
again (or after a partial run) is harmless. Raw SQL: the historical model would encrypt on save anyway, but
UPDATE ... WHERE id in chunks is much faster than bulk_update's CASE expressions.
"""

from django.db import migrations

CHUNK = 5000


def encrypt_rows(apps, schema_editor):
    from liuguan.core import crypto

    connection = schema_editor.connection
    table = apps.get_model("registry", "Person")._meta.db_table
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f'SELECT id, doc_number, phone FROM "{table}" WHERE id > %s ORDER BY id LIMIT %s',  # noqa: S608
                [last, CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            updates = []
            for pk, number, phone in rows:
                plain_number = crypto.decrypt_text(number) if number else number
                plain_phone = crypto.decrypt_text(phone) if phone else phone
                if crypto.is_encrypted(number) and (not phone or crypto.is_encrypted(phone)):
                    continue
                updates.append(
                    (
                        number if crypto.is_encrypted(number) else crypto.encrypt_text(plain_number),
                        crypto.blind_index(plain_number) if plain_number else "",
                        phone if crypto.is_encrypted(phone) else crypto.encrypt_text(plain_phone or ""),
                        crypto.blind_index(plain_phone) if plain_phone else "",
                        pk,
                    )
                )
            if updates:
                cursor.executemany(
                    f'UPDATE "{table}" SET doc_number = %s, doc_number_index = %s, phone = %s, phone_index = %s '  # noqa: S608
                    "WHERE id = %s",
                    updates,
                )


def decrypt_rows(apps, schema_editor):
    from liuguan.core import crypto

    connection = schema_editor.connection
    table = apps.get_model("registry", "Person")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, doc_number, phone FROM "{table}"')  # noqa: S608
        rows = cursor.fetchall()
        cursor.executemany(
            f'UPDATE "{table}" SET doc_number = %s, phone = %s WHERE id = %s',  # noqa: S608
            [(crypto.decrypt_text(n) or "", crypto.decrypt_text(p) or "", pk) for pk, n, p in rows],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0011_person_encrypted_numbers"),
    ]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows)]
