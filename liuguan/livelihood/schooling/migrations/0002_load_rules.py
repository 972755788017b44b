"""Load the shipped eligibility rules (data/rules.json) so every database has them; later versions are loaded
with `manage.py load_schooling_rules`."""

import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    from liuguan.livelihood.schooling.eligibility import rules_content, shipped_rules

    rules = apps.get_model("schooling", "EligibilityRules")
    for code in shipped_rules():
        content = rules_content(code)
        rules.objects.get_or_create(
            code=code,
            version=content["version"],
            defaults={
                "title": content["title"],
                "prefix": content.get("prefix", ""),
                "effective_from": dt.date.fromisoformat(content["effective_from"]),
                "source": content.get("source", ""),
                "content": content,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("schooling", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
