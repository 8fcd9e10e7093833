"""Masking of personal data in free text on intake: email addresses and phone numbers.

Comments and feedback are kept for what they say about the service, not for who said it.
Phone numbers are digit runs with separators: 9 to 15 digits, or 7 or more after a `+`
(ISO dates like 2026-11-26 have 8 digits and are left alone).
"""

import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A candidate: optional +, then digits with single separators (space, dot, dash, slash, parentheses).
PHONE = re.compile(r"(?<![\w+])(\+)?\(?\d(?:[\s.\-/()]{0,2}\d){6,18}(?!\w)")


def _phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    international = match.group(1) is not None
    if (international and 7 <= digits <= 15) or 9 <= digits <= 15:
        return PHONE_MASK
    return match.group(0)


def mask_personal_data(text: str) -> str:
    """The text with email addresses replaced by [email] and phone numbers by [phone]."""
    if not text:
        return text
    return PHONE.sub(_phone, EMAIL.sub(EMAIL_MASK, text))
