"""Load balancers' and container engines' probes answered before host validation.

A health check comes from the orchestrator with whatever Host header it likes (an IP,
"localhost"); it must not be turned away as a disallowed host, nor redirected to HTTPS.
This middleware sits before everything that looks at the host and answers the two probe
paths itself.
"""

from dashboard.views import home

_PROBES = {"/healthz": home.healthz, "/readyz": home.readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = _PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
