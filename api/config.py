"""Settings from the environment (see README: Environment)."""

import os
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from psycopg.conninfo import conninfo_to_dict, make_conninfo


def _api_url(owner_url: str) -> str:
    """The owner's URL with the user swapped for pgshop_api (and no password) when API_DATABASE_URL is unset."""
    params = conninfo_to_dict(owner_url)
    params.pop("password", None)
    params["user"] = "pgshop_api"
    return make_conninfo(**params)


@dataclass(frozen=True)
class Settings:
    database_url: str
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    jwt_ttl_seconds: int
    pool_size: int
    pool_timeout: float
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...]
    watch_database_url: str
    read_database_url: str | None
    prepared_statements: bool
    replica_max_lag: float
    read_your_writes_wait: float
    cache: str
    cache_max_entries: int
    cache_max_bytes: int
    redis_url: str
    stripe_webhook_secrets: tuple[str, ...]

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        url = env.get("API_DATABASE_URL") or _api_url(env["DATABASE_URL"])
        return cls(
            database_url=url,
            jwt_secret=env["JWT_SECRET"],
            jwt_issuer=env.get("JWT_ISSUER", "pgshop"),
            jwt_audience=env.get("JWT_AUDIENCE", "pgshop-api"),
            jwt_ttl_seconds=int(env.get("JWT_TTL_SECONDS", "3600")),
            pool_size=int(env.get("DB_POOL_SIZE", "4")),
            pool_timeout=float(env.get("DB_POOL_TIMEOUT", "3")),
            trusted_proxies=tuple(ip_network(p.strip(), strict=False)
                                  for p in env.get("TRUSTED_PROXIES", "").split(",") if p.strip()),
            # LISTEN needs a direct connection to the primary, not one through PgBouncer.
            watch_database_url=env.get("DIRECT_DATABASE_URL") or url,
            read_database_url=env.get("READ_DATABASE_URL") or None,
            prepared_statements=env.get("DB_PREPARED_STATEMENTS", "1") != "0",
            replica_max_lag=float(env.get("REPLICA_MAX_LAG", "10")),
            read_your_writes_wait=float(env.get("READ_YOUR_WRITES_WAIT", "0.25")),
            cache=env.get("CACHE", "memory"),
            cache_max_entries=int(env.get("CACHE_MAX_ENTRIES", "150000")),
            cache_max_bytes=int(env.get("CACHE_MAX_BYTES", str(40 * 2**20))),
            redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            # Several, comma-separated, while a secret is rolled over.
            stripe_webhook_secrets=tuple(s.strip() for s in env.get("STRIPE_WEBHOOK_SECRET", "").split(",")
                                         if s.strip()),
        )
