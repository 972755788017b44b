"""Document and phone numbers encrypted at rest (liuguan.core.fields), with their keyed blind indexes.

Three steps, each its own migration (and transaction on PostgreSQL): the columns (this one), the rows
(0012 encrypts what is there, in chunks), and one-document-one-person moved to the blind index (0013).
"""

from django.db import migrations

import liuguan.core.fields


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_person_merged_into"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="person", name="person_one_per_document"),
        migrations.AddField(
            model_name="person",
            name="doc_number_index",
            field=liuguan.core.fields.BlindIndexField(db_index=True, source="doc_number"),
        ),
        migrations.AddField(
            model_name="person",
            name="phone_index",
            field=liuguan.core.fields.BlindIndexField(db_index=True, source="phone"),
        ),
        migrations.AlterField(
            model_name="person",
            name="doc_number",
            field=liuguan.core.fields.EncryptedField(
                index_field="doc_number_index", max_length=32, verbose_name="document number"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=liuguan.core.fields.EncryptedField(
                blank=True, index_field="phone_index", max_length=11, verbose_name="phone"
            ),
        ),
    ]
