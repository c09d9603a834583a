"""scoring_models stage of capscore."""
