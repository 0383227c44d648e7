"""CSV that a spreadsheet opens safely: the report's and the delivery log's exports."""

from __future__ import annotations

import csv

#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): template
#: names come from Zalo, order references from customers, reasons from Zalo.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet would run as a formula, prefixed with ' so it is shown as
    text. Numbers (negative Zalo codes among them) are never formulas and stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose every text cell goes through :func:`spreadsheet_safe`."""

    def __init__(self, stream):
        self._writer = csv.writer(stream)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_safe(cell) for cell in row])
