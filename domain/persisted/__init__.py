"""Trusted (persisted) GraphQL documents: the documents production runs, kept by their SHA-256."""
