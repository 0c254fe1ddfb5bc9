from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dashboard.models import EndUser
from dashboard.views.access import staff_view


@staff_view
def home(request):
    companies = EndUser.objects.active().select_related("api_key")
    return render(request, "dashboard/home.html", {"companies": companies})


@never_cache
def healthz(request):
    """Process liveness for load balancers: touches no database and no Conductor."""
    return HttpResponse("ok", content_type="text/plain")
