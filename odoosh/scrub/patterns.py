"""Regular expressions (PostgreSQL ARE syntax) for contact data inside free text and HTML.

The scrubber redacts with the same expressions the leak gate extracts with, so anything the
gate can see in a redacted column has been replaced.
"""

# No "%" in the class: the expressions are embedded in statements that also take parameters.
EMAIL = r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

# 9 to 15 digits with at most two separators between digits, optionally led by '+'. Not
# inside a longer token, and not a date followed by a time ("2023-01-28 10:15").
PHONE = r"(?<![[:alnum:]+])\+?\d(?:[ .()/-]{0,2}\d){8,14}(?![[:digit:]:])"

# Cheap tests that rule out most values before the expressions above run.
MAY_HOLD_EMAIL = "@"
MAY_HOLD_PHONE = r"\d\d\d"

# A whole value that is a phone number as typed in a phone field.
PHONE_VALUE = r"^[-+0-9 ().\/]+$"

MIN_PHONE_DIGITS = 6
