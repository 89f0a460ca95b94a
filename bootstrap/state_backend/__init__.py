"""The state-backend bootstrap program's modules (see ../__main__.py)."""
