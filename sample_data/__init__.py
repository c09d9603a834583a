"""sample_data stage of capscore."""
