"""Print the demo accounts with their roles and jurisdictions (bin/demo shows this at start-up)."""

from collections import Counter

from django.core.management.base import BaseCommand

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.demo.accounts import DEMO_PASSWORD, DEMO_USERNAMES, FIELD_USERNAME


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
        field = Counter(User.objects.filter(username__regex=FIELD_USERNAME).values_list("role", flat=True))
        if field:
            self.stdout.write(
                f"    field workers: {field[Role.COLLECTOR]} collectors c<community code>-<n>, "
                f"{field[Role.GRID_WORKER]} grid workers g<community code>-1"
            )
        self.stdout.write(f"    password for all: {DEMO_PASSWORD}")
