from arena.api.ratelimit import RateLimiter


def test_token_bucket_allows_bursts_then_the_rate():
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b"), "buckets are per key"
    now[0] = 0.5  # one token back at 2/s
    assert limiter.allow("a") and not limiter.allow("a")
    now[0] = 10.0
    assert sum(limiter.allow("a") for _ in range(10)) == 3, "never more than the burst"
