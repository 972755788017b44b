"""Reference data: reporting deadlines, classification rules and agreement texts (compliance/data/*.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from liuguan.compliance.reference import load_reference

    load_reference(apps)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
