"""Input no view can use is refused at the door."""

from django.http import JsonResponse


class RefuseNulMiddleware:
    """A NUL character in the path or a query parameter answers 400 (the API's error shape).

    PostgreSQL's text holds no NUL, and a lookup with one fails in the database driver, a server error, before
    any view could say what is wrong. Form fields refuse NUL themselves (Django's CharField); JSON bodies are
    checked by the API's parser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return JsonResponse({"detail": "NUL characters are not allowed in the address"}, status=400)
        return self.get_response(request)
