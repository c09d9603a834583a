"""data_contracts stage of capscore."""
