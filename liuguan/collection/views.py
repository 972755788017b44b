"""Batch import pages: upload, the batch's progress (polled by htmx), its result workbook, and the list."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page

from . import services
from .forms import ImportForm, SizeLimitHandler
from .importing.template import template_csv, template_xlsx
from .selectors import import_batch_get, import_batch_list, import_rows_sample

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _batch_or_404(user, batch_id):
    try:
        return import_batch_get(user=user, batch_id=batch_id)
    except NotFound as exc:
        raise Http404 from exc


@page(services.VIEW_PERMISSION)
def import_list(request):
    mine_only = request.GET.get("all") != "1"
    batches = import_batch_list(user=request.user, mine_only=mine_only)
    return render(
        request,
        "collection/import_list.html",
        {"batches": batches, "mine_only": mine_only, "can_import": request.user.can(services.IMPORT_PERMISSION)},
    )


@page(services.IMPORT_PERMISSION)
@csrf_exempt
def import_upload(request):
    # The size limit has to be in place before anything reads the body, the CSRF check included.
    request.upload_handlers.insert(0, SizeLimitHandler(request, services.MAX_UPLOAD_BYTES))
    return _import_upload(request)


@csrf_protect
def _import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if getattr(request, "upload_too_large", False):
            form.errors.pop("file", None)
            form.add_error("file", str(services.upload_too_large().problems[0].message))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                done = services.import_batch_create(
                    actor=request.user, file=upload, file_name=upload.name, mode=form.cleaned_data["mode"]
                )
            except InvalidInput as exc:
                for problem in exc.problems:
                    form.add_error("mode" if problem.field == "mode" else "file", str(problem.message))
            else:
                batch = done.batch
                if done.created:
                    services.import_batch_enqueue(batch)
                else:
                    messages.info(
                        request, _("This file was imported before; nothing new is created. Here is its import.")
                    )
                    if services.import_batch_resumable(batch):
                        services.import_batch_resume(actor=request.user, batch_id=batch.pk)
                return redirect("collection:import_detail", batch_id=batch.pk)
    return render(request, "collection/import_upload.html", {"form": form, "max_mb": services.MAX_UPLOAD_BYTES >> 20})


@page(services.IMPORT_PERMISSION)
def import_template(request, kind):
    if kind == "xlsx":
        response = HttpResponse(template_xlsx(), content_type=XLSX)
    elif kind == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = content_disposition_header(True, f"流动人口居住登记模板.{kind}")
    return response


def _context(request, batch):
    return {
        "batch": batch,
        "can_import": request.user.can(services.IMPORT_PERMISSION),
        "resumable": services.import_batch_resumable(batch),
        "ignored": [h for h, f in zip(batch.headers, batch.fields, strict=False) if h and not f],
    }


@page(services.VIEW_PERMISSION)
def import_detail(request, batch_id):
    batch = _batch_or_404(request.user, batch_id)
    context = _context(request, batch)
    context["sample"] = import_rows_sample(user=request.user, batch=batch) if batch.is_finished else []
    return render(request, "collection/import_detail.html", context)


@page(services.VIEW_PERMISSION)
def import_progress(request, batch_id):
    batch = _batch_or_404(request.user, batch_id)
    return render(request, "collection/partials/progress.html", _context(request, batch))


@page(services.VIEW_PERMISSION)
def import_result(request, batch_id):
    try:
        path = services.import_result_read(actor=request.user, batch_id=batch_id)
    except NotFound as exc:
        raise Http404 from exc
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"导入结果-{batch_id}.xlsx")  # noqa: SIM115


@page(services.IMPORT_PERMISSION)
@require_POST
def import_resume(request, batch_id):
    try:
        services.import_batch_resume(actor=request.user, batch_id=batch_id)
    except NotFound as exc:
        raise Http404 from exc
    return redirect("collection:import_detail", batch_id=batch_id)
