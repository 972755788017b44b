"""Loading the hub's catalogue (`data/catalogue.json`) into Dataset rows, by the data migration and a command."""

import json
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.json"


def load_catalogue(apps=None) -> int:
    """Upsert every dataset of the file; returns how many. `apps` is a migration's registry or None."""
    if apps is None:
        from django.apps import apps as live

        apps = live
    dataset = apps.get_model("exchange", "Dataset")
    entries = json.loads(CATALOGUE.read_text(encoding="utf-8"))["datasets"]
    for entry in entries:
        dataset.objects.update_or_create(
            code=entry["code"],
            defaults={
                "name": entry["name"],
                "description": entry.get("description", ""),
                "fields": entry["fields"],
                "object_types": entry.get("object_types", []),
            },
        )
    return len(entries)
