"""Asking a language model for a trading decision: the prompt, the answer's contract, the client."""
