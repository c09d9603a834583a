"""entity_resolution stage of capscore."""
