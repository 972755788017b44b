from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0012_person_encrypt_rows"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=("doc_type", "doc_number_index"), name="person_one_per_document"),
        ),
    ]
