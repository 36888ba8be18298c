"""Fixtures of the mail tests: the documents tests' book and families."""

from __future__ import annotations

from tests.domain.documents.conftest import acme_policies, book, globex_policies

__all__ = ["acme_policies", "book", "globex_policies"]
