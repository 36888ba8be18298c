"""Documents as PDF: Typst letter templates, and the letters, certificates and ID cards."""
