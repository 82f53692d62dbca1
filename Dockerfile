FROM python:3.11-slim

WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ARENA_HOST=0.0.0.0 ARENA_PORT=8000 ARENA_DB=/data/arena.db ARENA_REPLAY_DIRS=/replay ARENA_FRONTEND_DIR=/app/frontend

COPY pyproject.toml README.md ./
COPY backend ./backend
COPY frontend ./frontend
RUN pip install --no-cache-dir . && mkdir -p /data /replay

EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["arena", "serve", "--demo"]
