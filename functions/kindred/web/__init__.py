"""The HTTP edge: requests in, use cases called, JSON (or HTML) out. No business logic here."""
