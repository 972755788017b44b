import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from liuguan.accounts.roles import Role
from liuguan.collection import services
from liuguan.collection.models import ImportBatch
from liuguan.conftest import login
from liuguan.registry.models import Person

from .conftest import HEADERS, good_row, run_import, write_csv

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


def _csv_upload(tmp_path, rows, name="rows.csv"):
    path = write_csv(tmp_path / name, rows)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def test_upload_runs_the_import_and_shows_the_counts(
    collector, tmp_path, immediate_tasks, django_capture_on_commit_callbacks
):
    client = login(collector)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/collection/import/new/",
            {"mode": "valid", "file": _csv_upload(tmp_path, [good_row(0), good_row(1, name="")])},
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/collection/import/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and "hx-trigger" not in page
    assert f"/collection/import/{batch.pk}/result.xlsx" in page and "person.name_required" in page
    assert Person.objects.count() == 1
    download = client.get(f"/collection/import/{batch.pk}/result.xlsx")
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_progress_polls_every_second_while_running(collector, tmp_path):
    with open(write_csv(tmp_path / "rows.csv", [good_row(0)]), "rb") as handle:
        batch = services.import_batch_create(actor=collector, file=handle, file_name="rows.csv", mode="valid").batch
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", rows_done=40, total_rows=100)
    partial = login(collector).get(f"/collection/import/{batch.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in partial and f'hx-get="/collection/import/{batch.pk}/progress/"' in partial
    assert 'value="40"' in partial


def test_bad_files_are_refused_on_the_form(collector, tmp_path):
    headers = [h for h in HEADERS if "姓名" not in h]
    path = write_csv(tmp_path / "rows.csv", [], headers=headers)
    response = login(collector).post(
        "/collection/import/new/", {"mode": "valid", "file": SimpleUploadedFile("rows.csv", path.read_bytes())}
    )
    assert response.status_code == 200 and "姓名" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_too_large_uploads_are_cut_off(collector, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1000)
    big = SimpleUploadedFile("rows.csv", b"x" * 5000)
    response = login(collector).post("/collection/import/new/", {"mode": "valid", "file": big})
    assert response.status_code == 200 and "MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_uploading_needs_the_csrf_token(collector, tmp_path):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)
    response = client.post("/collection/import/new/", {"mode": "valid", "file": _csv_upload(tmp_path, [good_row(0)])})
    assert response.status_code == 403 and not ImportBatch.objects.exists()


def test_templates_download_with_chinese_headers(collector):
    client = login(collector)
    csv_body = client.get("/collection/import/template.csv").content
    assert csv_body.startswith(b"\xef\xbb\xbf") and "*证件号码" in csv_body.decode("utf-8-sig")
    response = client.get("/collection/import/template.xlsx")
    path = response.content
    import io

    sheet = load_workbook(io.BytesIO(path)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.cell(row=2, column=2).number_format == "@"  # ID numbers stay text


def test_other_jurisdictions_batches_are_404_and_lists_are_scoped(users, collector, tmp_path):
    batch = run_import(collector, write_csv(tmp_path / "rows.csv", [good_row(0)]))
    outsider = users[Role.COUNTY_OFFICER]
    outsider.division_id = "510107"
    outsider.save()
    client = login(outsider)
    for url in (
        f"/collection/import/{batch.pk}/",
        f"/collection/import/{batch.pk}/progress/",
        f"/collection/import/{batch.pk}/result.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    assert "rows.csv" not in client.get("/collection/import/?all=1").content.decode()
    assert "rows.csv" in login(users[Role.CITY_OFFICER]).get("/collection/import/?all=1").content.decode()
    assert "rows.csv" in login(collector).get("/collection/import/").content.decode()


def test_roles_without_the_permission_are_refused(users):
    client = login(users[Role.AUDITOR])
    assert client.get("/collection/import/new/").status_code == 403
    assert client.get("/collection/import/").status_code == 403
    assert login(users[Role.DEPARTMENT_USER]).get("/collection/import/template.xlsx").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/collection/import/").status_code == 302
