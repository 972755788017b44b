"""Reference data: the hub's catalogue gains the medical_cover and remote_treatment datasets."""

from django.db import migrations


def load(apps, schema_editor):
    from liuguan.exchange.catalogue import load_catalogue

    load_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("welfare", "0001_initial"), ("exchange", "0006_bulletin_grounds_label")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
