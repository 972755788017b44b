"""python manage.py outflow_demo [--share 0.5] [--elsewhere N] [--seed 1] [--reset]: the demo's outflow population.

Origin villages report a share of their people who live in another county of the province (some with a wrong
destination), families report people living in other provinces (never confirmed: the demo has no peer), the
registry hook runs over the existing stays, reconciliation opens the origin offices' tasks, and the counts per
origin county are checked against the injected truth (demo.TrueOutflow). Running it again replaces its rows.
"""

from django.core.management.base import BaseCommand, CommandError

from liuguan.outflow.demo import DEFAULT_SHARE, outflow_demo, outflow_demo_reset


class Command(BaseCommand):
    help = "Outflow records with known gaps for the demo province, reconciled and checked against the truth."

    def add_arguments(self, parser):
        parser.add_argument(
            "--share",
            type=float,
            default=DEFAULT_SHARE,
            help="share of the people living in another county whose origin reported them (default %(default)s)",
        )
        parser.add_argument(
            "--elsewhere",
            type=int,
            default=None,
            help="people of the province living in other provinces (default 2%% of the demo's persons)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reset", action="store_true", help="remove the rows a previous run wrote, and stop")
        parser.add_argument("--strict", action="store_true", help="exit with an error when a county differs")

    def handle(self, *args, share, elsewhere, seed, reset, strict, **options):
        if reset:
            removed = outflow_demo_reset()
            self.stdout.write(", ".join(f"{n} {what}" for what, n in removed.items()) or "nothing to remove")
            return
        if not 0 <= share <= 1:
            raise CommandError("--share is between 0 and 1")
        if elsewhere is not None and elsewhere < 0:
            raise CommandError("--elsewhere is a number of people, 0 or more")
        try:
            result = outflow_demo(seed=seed, share=share, elsewhere=elsewhere)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        c = result.counts
        self.stdout.write(
            f"{c['reported']} outflow records reported ({c['wrong_destination']} with a wrong destination, "
            f"{c['people_registered_by_reports']} people put on the register by the report); "
            f"{c['stays_synced']} open stays passed through the registry hook"
        )
        self.stdout.write(
            f"truth: {c['confirmed']} confirmed, {c['never_confirmed'] + c['unknown']} never confirmed "
            f"(of which {c['unknown']} unknown for too long), {c['missed']} inflows with no outflow record"
        )
        self.stdout.write(
            "tasks opened: "
            + ", ".join(f"{k.removeprefix('tasks_')} {v}" for k, v in c.items() if k.startswith("tasks_"))
        )
        comparison = result.comparison
        totals = comparison["totals"]
        self.stdout.write(
            "reconciliation vs truth over "
            f"{comparison['counties']} origin counties: "
            + "; ".join(f"{k} {found} (truth {want})" for k, (want, found) in totals.items())
        )
        if comparison["differing"]:
            for county, diff in list(comparison["differing"].items())[:20]:
                self.stdout.write(f"  {county}: " + ", ".join(f"{k} {f} vs truth {w}" for k, (w, f) in diff.items()))
            message = f"{len(comparison['differing'])} origin counties differ from the truth"
            if strict:
                raise CommandError(message)
            self.stderr.write(message)
        else:
            self.stdout.write("every origin county matches the truth")
        self.stdout.write("seconds: " + ", ".join(f"{k} {v}" for k, v in result.seconds.items()))
