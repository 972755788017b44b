"""Loading the shipped reference data (deadlines, classification rules, agreement texts) into their tables.

Used by the initial data migration and by `manage.py load_compliance_reference`; existing rows are updated
in place by their natural keys, so cities can edit the JSON files and load them again.
"""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load_reference(apps=None) -> dict[str, int]:
    """Upsert the three files; `apps` is a migration's app registry, or None for the live models."""
    if apps is None:
        from django.apps import apps as live

        apps = live
    policy = apps.get_model("compliance", "ReportingPolicy")
    rule = apps.get_model("compliance", "ClassificationRule")
    template = apps.get_model("compliance", "AgreementTemplate")
    counts = {"policies": 0, "rules": 0, "templates": 0}
    for entry in read("reporting_policies.json")["policies"]:
        policy.objects.update_or_create(
            prefix=entry["prefix"],
            channel=entry["channel"],
            defaults={
                "deadline_days": entry["deadline_days"],
                "label": entry.get("label", ""),
                "source_note": entry.get("source", ""),
            },
        )
        counts["policies"] += 1
    for entry in read("classification_rules.json")["rules"]:
        rule.objects.update_or_create(
            prefix=entry["prefix"],
            position=entry["position"],
            defaults={
                "tier": entry["tier"],
                "label": entry["label"],
                "conditions": entry["conditions"],
                "reverify_days": entry["reverify_days"],
            },
        )
        counts["rules"] += 1
    for entry in read("agreement_templates.json")["templates"]:
        template.objects.update_or_create(
            kind=entry["kind"],
            version=entry["version"],
            defaults={
                "title": entry["title"],
                "body": entry["body"],
                "term_months": entry["term_months"],
                "active": entry.get("active", True),
            },
        )
        counts["templates"] += 1
    return counts
