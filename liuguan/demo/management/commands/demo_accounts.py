"""Print the demo accounts with their roles and jurisdictions (bin/demo shows this at start-up)."""

from django.core.management.base import BaseCommand

from liuguan.accounts.models import User
from liuguan.demo.accounts import DEMO_PASSWORD, DEMO_USERNAMES


class Command(BaseCommand):
    help = "List the demo accounts (all share one password)."

    def handle(self, *args, **options):
        users = {
            u.username: u
            for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related("division", "department")
        }
        if not users:
            self.stdout.write("No demo accounts yet: run `python manage.py demo` first.")
            return
        for username in DEMO_USERNAMES:
            user = users.get(username)
            if user is None:
                continue
            where = f"{user.division.name} ({user.division_id})" if user.division_id else ""
            if user.department_id:
                where += f" · {user.department.name}"
            self.stdout.write(f"    {username:<11} {user.get_role_display():<14} {where}")
        self.stdout.write(f"    password for all: {DEMO_PASSWORD}")
