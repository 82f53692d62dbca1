"""The pub/sub topics and what each carries."""

PRICES = "prices"  # QuotesReceived: every batch of the feed the arena plays, with its feed id
TRADES = "trades"  # OrderFilled
LEADERBOARD = "leaderboard"  # CompetitionCreated, RoundCompleted, CompetitionFinished: events with standings
EVENTS = "events"  # StateChanged, RoundCompleted, CompetitionFinished, OrderRejected
DECISIONS = "decisions"  # DecisionRecorded
ALERTS = "alerts"  # AlertFired: an alert, once it is stored
