"""Live events after the store has them: in-process publish/subscribe, and the topics the API reads."""
