"""Trading Arena: a live paper-trading arena with a GraphQL API."""

from arena import native

__version__ = "0.1.0"

# before any of them is imported: the compiled modules of a round, where a current build exists
native.activate()
