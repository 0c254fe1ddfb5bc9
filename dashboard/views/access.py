"""Who may see dashboard pages: signed-in users holding dashboard.view_customers
(answered from the cache, see dashboard/permissions.py)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from dashboard import audit
from dashboard.permissions import access_for

type View = Callable[..., HttpResponse]


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that staff_view let through."""
    user = request.user
    if not isinstance(user, User):  # staff_view sends anonymous visitors to sign in
        raise PermissionDenied("Sign in first.")
    return user


def staff_view(view: View) -> View:
    """Anonymous users are sent to sign in; signed-in users without the permission get 403.

    (Superusers hold every permission, so they always pass.)"""

    @wraps(view)
    def checked(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not access_for(request.user).may_view:
            audit.record_denial(request, "no permission")
            raise PermissionDenied("You do not have access to the customer dashboard.")
        response = view(request, *args, **kwargs)
        # Every staff page names a company or a customer, whatever its status (an error
        # page, a form with errors, a redirect): no shared cache may keep it.
        response["Cache-Control"] = "private, no-store"
        return response

    return login_required(checked)
