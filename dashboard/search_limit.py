"""How many searches one person runs at once. A search reads the whole index (a typo
search scores hundreds of candidates), and a person, or a script with their session,
firing dozens at once would slow everyone else's pages; a person at a keyboard never has
more than a few going. Counted in the shared cache, so across every web worker; while the
cache is away the count is not kept, and searches run unbounded."""

from collections.abc import Callable
from contextlib import suppress
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.caching.counters import count_up
from dashboard.caching.freshness import cache_key

SEARCHES_AT_ONCE = 3
# A count left by a worker that died mid-search lapses after this.
COUNT_SECONDS = 120
RETRY_AFTER_SECONDS = 2

type View = Callable[..., HttpResponse]


def searches_bounded(*parameters: str) -> Callable[[View], View]:
    """Bound a view to SEARCHES_AT_ONCE per person while it searches (a request carrying
    one of `parameters`); past it, a 429 page says to wait for the others."""

    def decorate(view: View) -> View:
        @wraps(view)
        def bounded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not any(request.GET.get(name) for name in parameters):
                return view(request, *args, **kwargs)
            key = cache_key("searches-running", str(request.user.pk))
            try:
                if count_up(key, timeout=COUNT_SECONDS) > SEARCHES_AT_ONCE:
                    response = render(
                        request, "errors/too_many_searches.html", {"searches_at_once": SEARCHES_AT_ONCE}, status=429
                    )
                    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
                    return response
                return view(request, *args, **kwargs)
            finally:
                with suppress(ValueError):  # lapsed meanwhile
                    cache.decr(key)

        return bounded

    return decorate
