from django.core.management.base import BaseCommand

from liuguan.grid.loading import load_categories
from liuguan.grid.models import EventCategory


class Command(BaseCommand):
    help = "Create or update the grid event categories shipped with Liuguan (their routing and deadlines)."

    def handle(self, *args, **options):
        count = load_categories(EventCategory)
        self.stdout.write(f"{count} categories loaded")
