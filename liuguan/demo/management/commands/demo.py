"""Generate the demo province: offices, accounts for every role, people, stays and their ground truth."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from liuguan.demo.accounts import DEMO_PASSWORD
from liuguan.demo.defects import Rates
from liuguan.demo.runs import DEFAULT_CHUNK, DEFAULT_PERSONS, DemoDataExists, demo_generate


def rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 0.5:
        raise ValueError("a defect rate is between 0 and 0.5")
    return value


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic province on the real divisions: same --seed and --persons "
        "(and --as-of) give the same rows. Writes one audit event per run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--persons",
            type=int,
            default=DEFAULT_PERSONS,
            help="real people to generate, registered or not (default %(default)s)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the generated people, stays, houses, employers, lodgings and truth first",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK,
            help="people generated and written per transaction (default %(default)s)",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="the day the data is as of, YYYY-MM-DD (default today); pin it to reproduce a run",
        )
        defaults = Rates()
        for name, text in (
            ("late", "stays registered more than 7 days after arrival"),
            ("wrong", "citizens with one field recorded wrongly"),
            ("unregistered", "households living here that were never registered"),
            ("duplicate", "registered people registered a second time"),
        ):
            parser.add_argument(
                f"--{name}-rate",
                type=rate,
                default=getattr(defaults, name),
                help=f"share of {text} (default %(default)s)",
            )

    def handle(self, *args, **options):
        if options["persons"] < 1 or options["chunk_size"] < 1:
            raise CommandError("--persons and --chunk-size must be positive")
        rates = Rates(
            late=options["late_rate"],
            wrong=options["wrong_rate"],
            unregistered=options["unregistered_rate"],
            duplicate=options["duplicate_rate"],
        )

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done:,} / {total:,} people")

        try:
            run = demo_generate(
                seed=options["seed"],
                persons=options["persons"],
                rates=rates,
                chunk_size=options["chunk_size"],
                as_of=options["as_of"],
                reset=options["reset"],
                progress=progress,
            )
        except (DemoDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        # The planner's statistics for the tables just filled (autovacuum may be off or not yet round): without them
        # PostgreSQL took a person search in the province for 17 rows and planned 3-5 s for it on 20,000 people.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = run.summary
        counts, defects, seconds = summary["counts"], summary["defects"], summary["seconds"]
        if summary["deleted"]:
            self.stdout.write("deleted: " + ", ".join(f"{k} {v:,}" for k, v in summary["deleted"].items()))
        self.stdout.write(
            f"demo run #{run.pk}: seed {run.seed}, {run.persons:,} real people, as of {run.params['as_of']}"
        )
        labels = (
            ("trueperson", "real people (truth)"),
            ("unregistered", "  of them unregistered"),
            ("registered_by_landlord", "    by a landlord's report"),
            ("registered_by_employer", "    by an employer's report"),
            ("children", "  of them children with parents"),
            ("person", "person records"),
            ("stay", "stays"),
            ("house", "houses"),
            ("employer", "employers"),
            ("lodging", "lodgings"),
            ("defect", "defects"),
            ("landlord", "landlords (people)"),
            ("filing", "filed tenancies"),
            ("tenant", "  tenants named in them"),
            ("report", "landlord/employer/hotel reports"),
            ("guest", "  of them hotel guests"),
            ("agreement", "responsibility agreements"),
            ("foreigndoc", "foreigners' documents"),
        )
        for key, label in labels:
            self.stdout.write(f"  {label:<32} {counts.get(key, 0):>10,}")
        for kind in sorted(defects):
            self.stdout.write(f"  defect {kind:<25} {defects[kind]:>10,}")
        for kind, n in summary.get("duty_gaps", {}).items():
            self.stdout.write(f"  gap {kind:<28} {n:>10,}")
        self.stdout.write(f"  offices and grids created        {summary['offices_and_grids_created']:>10,}")
        self.stdout.write(f"  field accounts created           {summary['field_accounts_created']:>10,}")
        if summary["accounts_created"]:
            self.stdout.write(f"accounts created: {', '.join(summary['accounts_created'])} (password {DEMO_PASSWORD})")
        self.stdout.write(
            "landlord, employer and hotel logins: landlord, employer, hotel; "
            "score breach detection with `manage.py score_duty_detection`"
        )
        if summary.get("exchange_subsystem"):
            self.stdout.write(
                "department exchange: the demo department's subsystem has grants on residence, people and stays; "
                f"issue its key as `province` on /exchange/subsystems/{summary['exchange_subsystem']}/"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"done in {seconds['total']:.1f} s (setup {seconds['setup']:.1f} s, people {seconds['people']:.1f} s)"
            )
        )
