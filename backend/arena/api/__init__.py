"""The GraphQL API: one schema for the dashboard, GraphiQL, scripts and bots."""
