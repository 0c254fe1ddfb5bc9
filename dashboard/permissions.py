"""What a signed-in person may see, kept in the cache per user: whether they may use the
dashboard, and which companies are in their scope.

Asking the database costs four queries on every page (the user's permissions, their
groups' permissions, their scopes, the company); cached, a page asks none of them.
Anything admin changes that could alter an answer (users, groups, permissions, scopes,
companies) bumps one generation number, which retires every cached answer at once, on
every worker that shares the cache.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from dashboard.caching.counters import count_up
from dashboard.caching.freshness import cache_key
from dashboard.models import Company, CompanyScope

VIEW_PERMISSION = "dashboard.view_customers"
# An answer is kept at most this long even if no change retires it (a safety net for a
# change made where no signal fires, such as raw SQL).
ACCESS_TTL = 300
_GENERATION_KEY = cache_key("access", "generation")


@dataclass(frozen=True)
class Access:
    may_view: bool
    companies: dict[str, Company]  # by Conductor end-user id, in name order

    def company(self, conductor_id: str) -> Company | None:
        return self.companies.get(conductor_id)


def access_for(user: User | AnonymousUser) -> Access:
    if not user.is_authenticated or user.pk is None:
        return Access(False, {})
    generation = cache.get(_GENERATION_KEY, 0)
    key = cache_key("access", str(user.pk), str(generation))
    access = cache.get(key)
    if not isinstance(access, Access):
        may_view = user.has_perm(VIEW_PERMISSION)
        companies = Company.objects.visible_to(user) if may_view else Company.objects.none()
        access = Access(may_view, {c.conductor_id: c for c in companies})
        cache.set(key, access, timeout=ACCESS_TTL)
    return access


def retire_every_answer(**_: Any) -> None:
    """Signal receiver: something that decides access changed."""
    count_up(_GENERATION_KEY, timeout=None)


def _user_saved(sender: type, instance: User, update_fields: frozenset[str] | None = None, **_: Any) -> None:
    # Signing in saves last_login only: that changes nobody's access.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    retire_every_answer()


def connect_signals() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="access-user-saved")
    for model in (User, Group, Permission, CompanyScope, Company):
        post_delete.connect(retire_every_answer, sender=model, dispatch_uid=f"access-{model.__name__}-deleted")
    for model in (Group, Permission, CompanyScope, Company):
        post_save.connect(retire_every_answer, sender=model, dispatch_uid=f"access-{model.__name__}-saved")
    for through in (
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
        CompanyScope.companies.through,
    ):
        m2m_changed.connect(retire_every_answer, sender=through, dispatch_uid=f"access-{through.__name__}")
