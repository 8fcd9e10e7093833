"""Admin registrations of the retros app (land with its issue)."""
