"""Error codes shared by the engine, the store and the API: every refusal names one of these."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # state machine
    NOT_RUNNING = "NOT_RUNNING"
    ALREADY_RUNNING = "ALREADY_RUNNING"
    NOT_PAUSED = "NOT_PAUSED"
    PAUSED = "PAUSED"
    NO_COMPETITION = "NO_COMPETITION"
    # orders
    INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
    INSUFFICIENT_POSITION = "INSUFFICIENT_POSITION"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    NO_PRICE = "NO_PRICE"
    RATE_LIMITED = "RATE_LIMITED"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    ORDER_PENDING = "ORDER_PENDING"  # accepted, still waiting for its round after the request's timeout
    # configuration and input
    INVALID_CONFIG = "INVALID_CONFIG"
    INVALID_INPUT = "INVALID_INPUT"
    FEED_ERROR = "FEED_ERROR"
    NOT_FOUND = "NOT_FOUND"
    INVALID_URL = "INVALID_URL"  # an alert channel that is not a URL we can send to
    PRIVATE_TARGET = "PRIVATE_TARGET"  # an alert target on a loopback or private address (ARENA_ALERTS_ALLOW_PRIVATE)
    BAD_REQUEST = "BAD_REQUEST"  # GraphQL syntax or validation, malformed HTTP or websocket messages
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    USE_HTTP = "USE_HTTP"  # a query or mutation over the legacy graphql-ws protocol: it streams subscriptions only
    # access and capacity
    UNAUTHENTICATED = "UNAUTHENTICATED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    SLOW_SUBSCRIBER = "SLOW_SUBSCRIBER"
    # the server itself
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"  # the database cannot take writes; play waits until it can
    ENGINE_UNAVAILABLE = "ENGINE_UNAVAILABLE"  # no active engine takes the command (this one stands by)
    INTERNAL = "INTERNAL"


class ArenaError(Exception):
    """A refusal with a machine-readable code; never a crash."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"ArenaError({self.code.value}, {self.message!r})"
