"""python manage.py associations_demo: hometown associations per city from its main origin prefectures."""

from django.core.management.base import BaseCommand

from liuguan.livelihood.associations.demo import associations_load


class Command(BaseCommand):
    help = "Hometown associations per city (main origin prefectures), a workers' club and a volunteer team."

    def handle(self, *args, **options):
        self.stdout.write(f"{associations_load()} demo associations registered")
