"""GraphQL object types, one module per noun, each with converters from domain values or stored rows.

Money, prices and quantities are the `Decimal` scalar: exact values serialized as strings
(e.g. "10234.50000000"). Ratios (return %, win rate, Sharpe) are floats.
"""
