"""Send the federation outbox's due messages once (the worker does this every minute)."""

from django.core.management.base import BaseCommand

from liuguan.outflow.services.outbox import outbox_send


class Command(BaseCommand):
    help = "Send the due messages of the federation outbox once and print how many were delivered, rejected, retried."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="at most this many messages (default 200)")

    def handle(self, *args, limit=200, **options):
        counts = outbox_send(limit=limit, source="cli")
        self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
