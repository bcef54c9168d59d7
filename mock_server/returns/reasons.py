"""Sendcloud's return reason ids and what they mean (the v3 Returns API documents these)."""

from types import MappingProxyType

RETURN_REASONS = MappingProxyType({
    1: "Product did not match expectations",
    3: "Other (explain in message)",
    4: "Incorrect product ordered",
    6: "Product did not match description on website",
    7: "Wrong product shipped",
    8: "No reason",
    9: "Rent",
    10: "Does not work",
    11: "Changed my mind",
    12: "Did not meet expectations",
    13: "Excessive amount",
    14: "Better price available",
    15: "Accidental order",
    16: "No longer needed",
    17: "Sample products",
    18: "Looks different than expected",
    19: "Ordered more than one size",
    20: "Arrived too late",
    21: "Poor quality / Faulty",
    22: "Does not fit properly",
    23: "Does not suit me",
    24: "Incorrect product received",
    25: "Parcel damaged on arrival",
    26: "Wrong size ordered",
    27: "Wrong color ordered",
    28: "Does not function as expected",
    29: "Recycle or reuse packaging",
    30: "Size too large",
    31: "Size too small",
    32: "Holiday season return",
})

# Customs documents are needed for parcels leaving a country outside the EU customs union.
EU_COUNTRIES = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
     "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "MC"]
)
