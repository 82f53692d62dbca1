"""The pub/sub topics and what each carries."""

PRICES = "prices"  # QuoteBatch: every batch of the feed the arena plays
TRADES = "trades"  # OrderFilled
LEADERBOARD = "leaderboard"  # CompetitionCreated, RoundCompleted, CompetitionFinished: events with standings
EVENTS = "events"  # StateChanged, RoundCompleted, CompetitionFinished, OrderRejected
