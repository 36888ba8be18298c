"""GraphQL of documents: letter templates, and letters, certificates and ID cards as PDF."""
