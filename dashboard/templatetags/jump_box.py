"""`{% jump_box company %}`: the jump box, drawn from JumpForm so its limits live in one place."""

from typing import Any

from django import template

from dashboard.forms import CustomerSearchForm, JumpForm
from dashboard.models import Company

register = template.Library()


@register.inclusion_tag("dashboard/_jump.html", takes_context=True)
def jump_box(context: dict[str, Any], company: Company, wanted: str = "") -> dict[str, object]:
    # The "/" key focuses the page's own search box where it has one, else this box.
    shortcut = not any(isinstance(context.get(name), CustomerSearchForm) for name in ("form", "search_form"))
    return {"company": company, "form": JumpForm(initial={"to": wanted}, shortcut=shortcut)}
