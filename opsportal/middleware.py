from django.http import JsonResponse


class RejectNulQueryMiddleware:
    """Answer 400 for query parameters holding NUL characters (PostgreSQL cannot store or compare them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return JsonResponse({key.replace("\x00", ""): ["NUL characters are not allowed."]}, status=400)
        return self.get_response(request)
