"""reports stage of capscore."""
