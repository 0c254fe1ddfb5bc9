"""Filters for how values read in a table cell or a line of text."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def email_breaks(value: object) -> SafeString:
    """An email address that may wrap only after its "@" and before its dots, never
    inside a word ("customer@exa/mple.com" is what a table does without this)."""
    text = str(conditional_escape(str(value)))
    return mark_safe(text.replace("@", "@<wbr>").replace(".", "<wbr>."))
