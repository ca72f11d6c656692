"""The bearer token check: one constant-time comparison, shared by the routes and the answer cache."""

from __future__ import annotations

import hmac

CHALLENGE = (("WWW-Authenticate", 'Bearer realm="costtui"'),)


def authorized(authorization: str | None, token: str | None) -> bool:
    """No token configured: open (loopback only, enforced at bind). Else `Bearer <token>`, the scheme
    in any case."""
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
