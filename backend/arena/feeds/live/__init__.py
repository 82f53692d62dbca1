"""Live market data from public exchange websockets: one module per exchange, one connection loop,
one feed that turns ticks into rounds."""
