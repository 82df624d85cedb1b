"""The attendee, the noun every domain shares: membership, search, the scanned card, field rules."""
