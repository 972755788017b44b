"""The monthly reports' background work, run by db_worker: one report made per task, and the monthly schedule."""

from django_tasks import task


@task()
def report_make_task(report_id: int) -> str:
    """Make the workbook and the PDF of one queued report."""
    from .models import Report
    from .reports import report_make

    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return "gone"
    return report_make(report).status


@task()
def reports_schedule_task() -> int:
    """Queue last month's reports of the province, every prefecture and every county (those not made yet)."""
    from .reports import reports_schedule

    return len(reports_schedule())
