"""Phone numbers in one spelling (E.164, "+16175550100"), so a number typed as "(617) 555-0100" on
the phone and received as "+16175550100" from an SMS gateway is one value an index can match."""

import phonenumbers


def e164(raw, region="US"):
    """`raw` in E.164 when it parses as a possible number (national numbers read in `region`);
    otherwise `raw` stripped, as typed: a number we cannot read is still worth keeping."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    # A local-only number ("555-0100") lacks its area code, and an extension has no E.164 form:
    # both stay as typed rather than lose a part of what the caller gave.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE or number.extension:
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def readable(value):
    """An E.164 number as people write it ("+1 617-555-0100"); anything else unchanged."""
    if not (value or "").startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
