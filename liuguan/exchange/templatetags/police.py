"""The count of bulletin hits waiting for the signed-in police user's units, for the navigation."""

from django import template

from liuguan.exchange.selectors_police import new_hits_count

register = template.Library()


@register.simple_tag
def bulletin_new_hits(user) -> int:
    return new_hits_count(user=user)
