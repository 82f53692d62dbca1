"""Alerts: rules on prices, agents and competitions; delivery by webhook and Apprise."""
