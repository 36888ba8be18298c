"""Trusted documents: the GraphQL documents production runs, kept by their SHA-256."""
