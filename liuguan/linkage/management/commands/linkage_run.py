"""Run entity resolution over this instance now (without the worker), and print what it found."""

import json

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Batch entity resolution over every source of person records: queue likely duplicates for review and "
        "open omission and wrong-record tasks. --evaluate prints precision and recall against the demo "
        "province's injected duplicates beside the ID-only baseline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--retrain", action="store_true", help="train a new model version first")
        parser.add_argument("--threshold", type=float, default=None, help="review threshold (default 0.8)")
        parser.add_argument("--evaluate", action="store_true", help="score the run against the demo's truth")

    def handle(self, *args, **options):
        from liuguan.linkage.models import LinkageRun
        from liuguan.linkage.runs import run_execute, run_request

        try:
            run = run_request(
                actor=SYSTEM, trigger=LinkageRun.Trigger.COMMAND, review_threshold=options["threshold"], source="cli"
            )
        except DomainError as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        run = run_execute(run.pk, retrain=options["retrain"], evaluate=options["evaluate"])
        self.stdout.write(
            f"run {run.pk}: {run.records:,} records from {json.dumps(run.sources, ensure_ascii=False)}; model "
            f"v{run.model_version.version}; {run.pairs:,} pairs >= {run.review_threshold}; {run.clusters:,} clusters; "
            f"{run.queued:,} pairs in the review queue; {run.tasks:,} tasks opened; {run.seconds:.1f} s "
            f"{json.dumps(run.stats.get('timings', {}))}"
        )
        evaluation = run.stats.get("evaluation")
        if options["evaluate"]:
            if not evaluation:
                self.stdout.write("no demo truth in this instance (demo.Defect is empty): nothing to evaluate")
                return
            self.stdout.write(
                f"truth: {evaluation['records_with_truth']:,} person records of {evaluation['true_people']:,} true "
                f"people, {evaluation['true_duplicate_pairs']:,} duplicate pairs"
            )
            for name in ("splink", "id_only"):
                s = evaluation[name]
                self.stdout.write(
                    f"{name:8} pairs {s['pairs']:>7,}  precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
                    f"F1 {s['f1']:.4f}"
                )
            self.stdout.write(
                f"clusters: {evaluation['clusters_found']:,} found by the run, {evaluation['true_people']:,} true"
            )
