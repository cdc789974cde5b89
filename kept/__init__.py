"""What the site keeps in its shared cache, in one place: the kept values every decision reads,
the cache client's circuit breaker and the rate limits. It uses no app; every app may use it."""
