"""What the layers share: security primitives, rate limits, HTTP hardening, logging."""
