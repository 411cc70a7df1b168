"""Uploads refused by their size before they are read.

A request's body is read (spooled to disk, for a large one) by the first thing that
touches request.POST or request.FILES — the CSRF check among them. An upload view
therefore is csrf_exempt, and runs csrf_protect itself once `refuse_unread()` has
let the request through:

- a request that announces more than the view's limit (Content-Length) is refused
  before anything reads its body;
- otherwise a handler stops reading files that go on past the same bound (a body
  longer than announced, where the server passes one on): `stopped()` then says
  how much was received, and the view refuses it the same way.

The bound is the limit plus what a form adds to its files, so a file just over its
limit is read and refused by the view's own check, with the sentence naming it.
"""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# What a multipart request adds to its files: the boundary, headers, the other fields.
REQUEST_SLACK_BYTES = 64 * 1024


class UploadTooLarge(FileUploadHandler):
    """Stops reading an upload once its files together pass `limit` (in bytes)."""

    def __init__(self, request=None, limit=0):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def refuse_unread(request, limit: int) -> int:
    """The size a POST announces if it is more than `limit` allows (refuse it: its
    body has not been read); else 0, and reading the body stops past `limit`."""
    if request.method != "POST":
        return 0
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # Django reads such a body as empty too
        length = 0
    bound = limit + REQUEST_SLACK_BYTES
    if length > bound:
        return length
    request.upload_handlers.insert(0, UploadTooLarge(request, bound))
    return 0


def stopped(request) -> int:
    """After the body was read: how much was received if reading it was stopped; else 0."""
    for handler in request.upload_handlers:
        if isinstance(handler, UploadTooLarge) and handler.exceeded:
            return handler.received
    return 0


def too_large_message(size: int, limit: int) -> str:
    return _(
        "The upload is %(size)s; at most %(limit)s can be uploaded here. Split it into "
        "smaller files, and upload them one or a few at a time."
    ) % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
