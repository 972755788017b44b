"""python manage.py otp_reset USERNAME --by ADMIN: remove a user's authenticator (a lost phone), audited."""

from django.core.management.base import BaseCommand, CommandError

from liuguan.accounts.models import User
from liuguan.accounts.twofactor import totp_reset


class Command(BaseCommand):
    help = "Remove a user's TOTP authenticators so that they enrol a new one at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--by", required=True, help="the province administrator doing it (audited)")

    def handle(self, *args, username: str, by: str, **options):
        actor = User.objects.filter(username=by, role="province_admin", is_active=True).first()
        if actor is None:
            raise CommandError(f"{by!r} is not an active province administrator")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        removed = totp_reset(actor=actor, user=user)
        self.stdout.write(f"{username}: {removed} authenticator(s) removed; they enrol again at the next sign-in")
