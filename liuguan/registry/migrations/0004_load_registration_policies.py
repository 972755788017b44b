"""Reference data: the shipped registration deadlines (platform default and Chengdu)."""

import json
from pathlib import Path

from django.db import migrations

POLICY_FILE = Path(__file__).resolve().parent.parent / "data" / "registration_policies.json"


def load(apps, schema_editor):
    policy = apps.get_model("registry", "RegistrationPolicy")
    for entry in json.loads(POLICY_FILE.read_text(encoding="utf-8"))["policies"]:
        policy.objects.update_or_create(prefix=entry["prefix"], defaults={
            "name": entry["name"], "label": entry.get("label", ""), "deadline_days": entry["deadline_days"],
            "source_note": entry.get("source", ""),
        })


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_provenance_timeliness")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
