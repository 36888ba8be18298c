"""Webhooks: partner endpoints that receive the change feed's events, signed, in order."""
