"""Adapters: each talks to one outside system and nothing else. Imported only when a tick runs."""
