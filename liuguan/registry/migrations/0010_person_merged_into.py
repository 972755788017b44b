import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_stay_verified_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_people",
                to="registry.person",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="merged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="merged"),
        ),
    ]
