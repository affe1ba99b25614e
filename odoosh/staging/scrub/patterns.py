"""Regular expressions (PostgreSQL ARE syntax) for contact data and names inside free text and HTML.

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

# A capitalised word (upper/alpha as the database's LC_CTYPE classifies letters: Unicode in
# a UTF-8 locale), with inner hyphens or apostrophes before a capital ("Jean-Luc", "O'Brien";
# not the possessive "Foster's", which would hide "Foster").
NAME_WORD = r"[[:upper:]](?:[[:alpha:]]|['’-][[:upper:]])*"

# What may separate the words of one name: white space, no-break spaces, HTML's &nbsp;. Not a
# tag: "Anna</p><p>Smith" are two texts. (Inline tags, "<b>Anna</b> Smith", would be one name,
# but allowing them tripled the cost of the name search over HTML, for a rare way of writing.)
NAME_GAP = r"(?:[[:space:]\u00a0]|&nbsp;)+"

# Lowercase words inside a name: "Jan van der Berg", "Charles de Gaulle", "Leonardo da Vinci".
NAME_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|du|des|la|le|los|las|dos|das|do|ten|ter|zu|bin|ibn|al|el)"

# Two or more capitalised words in a row, lowercase particles between them: where a person's
# name in free text can be.
NAME_RUN = rf"{NAME_WORD}(?:{NAME_GAP}(?:{NAME_PARTICLE}{NAME_GAP})*{NAME_WORD})+"
