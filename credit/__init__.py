"""credit stage of capscore."""
