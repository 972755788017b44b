"""The upload form: the mode comes before the file, so it is read even when an oversized file is cut off."""

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext_lazy as _

from .models import ImportBatch


class ImportForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("If some rows are wrong"),
        choices=[
            (ImportBatch.Mode.VALID, _("Accept the valid rows and list the wrong ones")),
            (ImportBatch.Mode.ALL, _("All or nothing: write no row unless every row is valid")),
        ],
        initial=ImportBatch.Mode.VALID,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Excel workbook (.xlsx) or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )


class SizeLimitHandler(FileUploadHandler):
    """Stops reading an upload once it passes the limit, and tells the view why the file is missing."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
