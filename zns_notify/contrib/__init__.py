"""Adapters for shop frameworks: each is an installable Django app that a shop adds to
INSTALLED_APPS beside ``zns_notify``, and the only code of the package that imports its
framework (the core never does, so the framework stays an optional extra).

- :mod:`~zns_notify.contrib.oscar`: django-oscar (``pip install zns-notify[oscar]``,
  ``"zns_notify.contrib.oscar"``; docs/oscar.md).
"""
