"""landing stage of capscore."""
