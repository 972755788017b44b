"""Reference data: the hub's catalogue of datasets and fields (exchange/data/catalogue.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from liuguan.exchange.catalogue import load_catalogue

    load_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0003_hub")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
