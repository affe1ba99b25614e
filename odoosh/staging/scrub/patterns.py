"""Regular expressions (PostgreSQL ARE syntax) for contact data and names inside free text and HTML.

The scrubber redacts with the same expressions the leak gate extracts with, so anything the
gate can see in a redacted column has been replaced.
"""

# No "%" in the class: the expressions are embedded in statements that also take parameters.
EMAIL = r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

# 9 to 15 digits with at most two separators between digits, optionally led by '+'.
PHONE_DIGITS = r"\+?\d(?:[ .()/-]{0,2}\d){8,14}"

# Such digits not inside a longer token, and not a date followed by a time ("2023-01-28 10:15").
PHONE = rf"(?<![[:alnum:]+]){PHONE_DIGITS}(?![[:digit:]:])"

# A phone number standing alone in a text, not glued to a longer token by a letter, digit or
# slash ("SO/2023/12345678"): what is read out of free text for `phonenumbers` to recognise.
# PHONE with its constraints widened, which imply its own (their classes hold PHONE's), so
# written once: four lookarounds cost 10-20 % more than two over every chatter body.
PHONE_ALONE = rf"(?<![[:alnum:]+/]){PHONE_DIGITS}(?![[:alnum:]/:])"

# A cheap test that rules out most values before EMAIL runs. None for phones: a number written
# in pairs ("06 12 34 56 78") has no run of digits to test for, and the digits any phone has
# are tested for once, with those of identifiers and street lines (leaks.extract).
MAY_HOLD_EMAIL = "@"

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

# Candidates only; what they propose is decided elsewhere (a fingerprint of production's, or
# `phonenumbers` and `stdnum` when production's values are recorded: see fingerprints.py).

# An IBAN as people write it: country, check digits, then groups of four (the last shorter),
# with or without spaces. One expression for Python and PostgreSQL (hence no [[:alnum:]]);
# the checksum (stdnum) tells an IBAN from a look-alike.
IBAN = r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"

# A VAT, company registry, ID or passport number: up to four letters, then digits, letters and
# inner dots, slashes or dashes ("BE0123.456.789", "123-45-6789", "C01X00T47").
ID_TOKEN = r"(?<![[:alnum:]])[[:alpha:]]{0,4}[0-9](?:[[:alnum:]]|[./-](?=[[:alnum:]])){4,}(?![[:alnum:]])"

# A street line is found in text as a window of up to STREET_WORDS words starting or ending
# with its house number ("Hauptstraße 12", "12 Rue de la Paix", "221B Baker Street").
STREET_WORDS = 6
# A house number as a word of text: "12", "221B", "12-14", "7/3", "5," ...
HOUSE_NUMBER = r"^[0-9]{1,5}[[:alpha:]]?(?:[-/][0-9]{1,5}[[:alpha:]]?)?[,.;:]?$"
# A cheap test that a text has such a word at all, before it is cut into words.
MAY_HOLD_STREET = r"(?:^|[[:space:]>;])[0-9]{1,5}[[:alpha:]]?(?:[-/][0-9]{1,5}[[:alpha:]]?)?[,.;:]?(?:[[:space:]<&]|$)"

# What separates words in text, markup included: a street or name split by a tag or an
# &nbsp; is still one.
WORD_GAP = r"(?:<[^>]*>|&nbsp;|[[:space:]\u00a0])+"

# The end punctuation a word in a sentence carries ("Paix," "12.").
WORD_TRIM = " ,.;:()[]\"'"
