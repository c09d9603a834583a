"""indicators stage of capscore."""
