"""Duration-versus-memory models."""
