"""Who may see dashboard pages: signed-in users holding dashboard.view_customers
(answered from the cache, see dashboard/permissions.py)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_safe

from dashboard import audit, identifiers
from dashboard.models import Company
from dashboard.permissions import access_for
from dashboard.views import errors

type View = Callable[..., HttpResponse]


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that staff_view let through."""
    user = request.user
    if not isinstance(user, User):  # staff_view sends anonymous visitors to sign in
        raise PermissionDenied("Sign in first.")
    return user


def _with_permission(view: View) -> View:
    @wraps(view)
    def checked(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not access_for(request.user).may_view:
            audit.record_denial(request, "no permission")
            raise PermissionDenied("You do not have access to the customer dashboard.")
        return view(request, *args, **kwargs)

    return checked


def staff_view(view: View) -> View:
    """Anonymous users are sent to sign in; signed-in users without the permission get 403.
    Staff pages only read: any method but GET and HEAD is a 405, before anything else.

    (Superusers hold every permission, so they always pass. Responses are made private by
    PrivateResponsesMiddleware, refusals and redirects included.)"""
    return require_safe(login_required(_with_permission(view)))


def staff_form(view: View) -> View:
    """As staff_view, for the few pages that write (a note): GET shows the form, POST
    sends it (Django's CSRF check has passed by then)."""
    return require_http_methods(["GET", "HEAD", "POST"])(login_required(_with_permission(view)))


def company_or_none(request: HttpRequest, conductor_id: str) -> Company | None:
    """The company, if it exists, is active and this user may see it.

    A company outside the user's scope is "not found", exactly like one that does not
    exist, so the answer confirms nothing."""
    if not identifiers.is_valid_conductor_id(conductor_id):
        return None
    return access_for(request.user).company(conductor_id)


def unknown_company(request: HttpRequest) -> HttpResponse:
    audit.record_denial(request, "company unknown or out of scope")
    return errors.not_found(
        request,
        "Company not found",
        "There is no company with this id in the dashboard, or you do not have access to it.",
    )
