"""Who may see dashboard pages: signed-in users holding dashboard.view_customers."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

VIEW_PERMISSION = "dashboard.view_customers"


def staff_view(view):
    """Anonymous users are sent to sign in; signed-in users without the permission get 403.

    (Superusers hold every permission, so they always pass.)"""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied("You do not have access to the customer dashboard.")
        return view(request, *args, **kwargs)

    return login_required(checked)
