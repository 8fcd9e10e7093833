"""Admin registrations of the slos app (land with its issue)."""
