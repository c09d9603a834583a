"""assets stage of capscore."""
