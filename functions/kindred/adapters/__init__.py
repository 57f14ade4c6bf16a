"""Adapters: the only modules that talk to Google Cloud services or upstream providers."""
