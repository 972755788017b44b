"""python manage.py legalaid_demo: Chengdu's legal aid network with the report's counts, and a few requests."""

from django.core.management.base import BaseCommand, CommandError

from liuguan.livelihood.legalaid.demo import CITY, COUNTS, network_load, requests_load


class Command(BaseCommand):
    help = "Chengdu's legal aid network (20 centres, 426 workstations, 3,436 liaisons) and demo requests."

    def add_arguments(self, parser):
        parser.add_argument("--city", default=CITY, help="prefecture code of the network (default %(default)s)")
        parser.add_argument("--no-requests", action="store_true", help="load the network only")

    def handle(self, *args, city, no_requests, **options):
        try:
            counts = network_load(city)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"legal aid network of {city}: {counts['centre']} centres, {counts['workstation']} workstations, "
            f"{counts['liaison']} liaisons"
        )
        if city == CITY and counts != {k.value: v for k, v in COUNTS.items()}:
            self.stderr.write("the counts differ from the report's (was the network edited?)")
        if not no_requests:
            self.stdout.write(f"{requests_load()} demo legal aid requests opened")
