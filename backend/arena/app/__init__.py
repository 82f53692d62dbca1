"""The application layer: the runner and everything around it that uses asyncio, the clock,
feeds and the store (the outbox, bot orders, resuming, headless runs, read models, wiring)."""
