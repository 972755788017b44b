from django.db import migrations


def load(apps, schema_editor):
    from liuguan.grid.loading import load_categories

    load_categories(apps.get_model("grid", "EventCategory"))


class Migration(migrations.Migration):
    dependencies = [("grid", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
