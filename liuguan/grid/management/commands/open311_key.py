from django.core.management.base import BaseCommand

from liuguan.core.audit import SYSTEM
from liuguan.grid.services.open311 import open311_client_create


class Command(BaseCommand):
    help = "Issue an Open311 api_key to a client (an app, a hotline system); the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name, e.g. 12345 热线")

    def handle(self, *args, **options):
        _client, key = open311_client_create(actor=SYSTEM, name=options["name"])
        self.stdout.write(key)
