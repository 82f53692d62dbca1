"""Trading Arena: a live paper-trading arena with a GraphQL API."""

__version__ = "0.1.0"
