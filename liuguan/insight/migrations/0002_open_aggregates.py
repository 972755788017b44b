"""Reference data: the hub's catalogue gains the open_aggregates dataset (open data for departments)."""

from django.db import migrations


def load(apps, schema_editor):
    from liuguan.exchange.catalogue import load_catalogue

    load_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("insight", "0001_initial"), ("exchange", "0006_bulletin_grounds_label")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
