"""pool stage of capscore."""
