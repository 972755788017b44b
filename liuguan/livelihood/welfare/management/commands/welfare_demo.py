"""python manage.py welfare_demo: medical cover, remote-treatment filings, job seekers and courses for the demo."""

from django.core.management.base import BaseCommand

from liuguan.livelihood.welfare.demo import welfare_demo


class Command(BaseCommand):
    help = "Generate the demo province's health, work and training records (replaces earlier ones)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        for name, count in welfare_demo(seed=options["seed"]).items():
            self.stdout.write(f"{name}: {count}")
