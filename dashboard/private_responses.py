"""No shared cache (a proxy, a CDN, the browser's back-forward store) may keep anything
the dashboard answers: every page names a company or a customer, whatever its status (an
error page, a 403, the redirect to sign in with its `next=`). Static files, served by
whitenoise before this middleware, keep their own long-lived caching."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PrivateResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response
