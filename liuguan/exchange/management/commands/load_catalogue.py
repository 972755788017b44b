"""Reload the hub's catalogue of datasets and their fields from data/catalogue.json (safe to re-run)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.exchange.catalogue import CATALOGUE, load_catalogue


class Command(BaseCommand):
    help = f"Upsert the datasets of {CATALOGUE.name} by code; datasets are never deleted (grants point at them)."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = load_catalogue()
            audit_record(
                actor=SYSTEM,
                action="catalogue.load",
                object_type="exchange.dataset",
                changes={"datasets": count, "file": CATALOGUE.name},
                source="cli",
            )
        self.stdout.write(f"{count} datasets loaded from {CATALOGUE.name}")
