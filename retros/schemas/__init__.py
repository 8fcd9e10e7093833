"""JSON Schemas shipped with the retros app (package data)."""
