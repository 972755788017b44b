"""The portal's demo data (the police officer's days at the stations), and how to sign in to the portal."""

from django.core.management.base import BaseCommand

from liuguan.core.identity import mask_name
from liuguan.portal.demo import demo_migrant, police_sittings_load, sms_log_path


class Command(BaseCommand):
    help = "Load the hukou police officer's days at each service station; with --show, print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--show", action="store_true", help="only print how to sign in to the portal")

    def handle(self, *args, show=False, **options):
        if not show:
            created = police_sittings_load()
            self.stdout.write(f"portal: {created} police sittings at service stations")
            return
        person = demo_migrant()
        self.stdout.write("  The migrant portal (phone first): /portal/")
        if person is None:
            self.stdout.write("    no demo migrant yet: run `python manage.py demo` first")
            return
        self.stdout.write(f"    sign in with the mobile number {person.phone} ({mask_name(person.name)}),")
        self.stdout.write(f"    then read the six-digit code from {sms_log_path()} (tail -f it; the demo sends no SMS)")
        self.stdout.write("    any other 11-digit mobile number signs in too, as a newcomer who can declare a stay")
