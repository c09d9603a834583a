"""core stage of capscore."""
