"""Built-in trading strategies, one per module."""
