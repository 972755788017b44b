"""The periodic work's schedule: every configured job names a real task and a valid cron expression, and
`run_scheduler --now` puts it in the database worker's queue."""

import io

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from liuguan.core.schedule import jobs


def test_every_configured_job_loads_and_lists_its_next_run():
    out = io.StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    names = [job.name for job in jobs()]
    assert {"detect_breaches", "agreement_reminders", "recompute_tiers"} <= set(names)
    for name in names:
        assert name in out.getvalue()
    assert "next 20" in out.getvalue()


@pytest.mark.django_db
def test_now_enqueues_the_task_for_the_worker():
    call_command("run_scheduler", "--now", "detect_breaches", stdout=io.StringIO())
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "liuguan.compliance.tasks.detect_breaches_task"
    assert queued.status == "READY"


@pytest.mark.django_db
def test_a_wrong_job_or_task_is_refused_at_start(settings):
    with pytest.raises(CommandError):
        call_command("run_scheduler", "--now", "no_such_job", stdout=io.StringIO())
    settings.LIUGUAN_SCHEDULE = {"broken": {"task": "liuguan.compliance.tasks.nothing_here", "cron": "0 1 * * *"}}
    with pytest.raises(AttributeError):
        jobs()
    settings.LIUGUAN_SCHEDULE = {"broken": {"task": "liuguan.compliance.tasks.detect_breaches_task", "cron": "99"}}
    with pytest.raises(ValueError):
        jobs()
