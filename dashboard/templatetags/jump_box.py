"""`{% jump_box company %}`: the jump box, drawn from JumpForm so its limits live in one place."""

from functools import lru_cache
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from dashboard.forms import CustomerSearchForm, JumpForm
from dashboard.models import Company

register = template.Library()


@register.simple_tag(takes_context=True)
def jump_box(context: dict[str, Any], company: Company, wanted: str = "") -> SafeString:
    # The "/" key focuses the page's own search box where it has one, else this box.
    shortcut = not any(isinstance(context.get(name), CustomerSearchForm) for name in ("form", "search_form"))
    return _jump_box_html(company.conductor_id, wanted or "", shortcut)


# Drawing a form's widgets is a millisecond: a third of a cached customer page. The box
# is the same for everyone on a company's pages, so it is drawn once per company (the
# bound keeps odd typed text from growing it: 2 variants × a few hundred companies).
@lru_cache(maxsize=1024)
def _jump_box_html(conductor_id: str, wanted: str, shortcut: bool) -> SafeString:
    form = JumpForm(initial={"to": wanted}, shortcut=shortcut)
    return mark_safe(render_to_string("dashboard/_jump.html", {"conductor_id": conductor_id, "form": form}))
