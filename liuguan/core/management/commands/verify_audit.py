"""Check the audit chain; exit 1 and name the first broken event if anything was changed."""

import sys

from django.core.management.base import BaseCommand

from liuguan.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of audit events and name the first broken event."

    def handle(self, *args, **options):
        report = audit_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain ok: {report.checked} events verified"))
            return
        self.stderr.write(
            f"audit chain BROKEN at event #{report.broken_id}: {report.reason} "
            f"({report.checked} events verified before it)"
        )
        sys.exit(1)
