"""Money formatting for the storefront, shared with zns_notify's binding filters."""

from django import template

from zns_notify.rendering.filters import vnd

register = template.Library()

# The same "1.250.000" the customer later reads in the Zalo message.
register.filter("vnd", vnd)
