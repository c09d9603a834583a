"""warehouse stage of capscore."""
