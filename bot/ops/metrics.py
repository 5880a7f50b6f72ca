"""Prometheus metrics for one running bot, in its own registry.

metrics = Metrics()
metrics.post("slack", "digest", "delivered")
metrics.command("discord", "status", "ok", 0.004)
text = metrics.render(subscriptions_db, store)   # the /metrics body
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from briefings.database import Database

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
POST_RESULTS = ("delivered", "retried", "gone", "fatal", "failed", "skipped_duplicate")
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter(
            "accord_commands",
            "Commands answered, by platform, subcommand and outcome (ok or error).",
            ["platform", "subcommand", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "accord_command_seconds",
            "Time to compose a command's answer.",
            ["platform"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.posts = Counter(
            "accord_posts",
            "Scheduled post attempts, by platform, kind and result.",
            ["platform", "kind", "result"],
            registry=r,
        )
        self.scheduler_lag = Gauge(
            "accord_scheduler_lag_seconds",
            "How late the scheduler's last job started after its due time.",
            registry=r,
        )
        self.subscriptions = Gauge(
            "accord_subscriptions",
            "Subscriptions, by platform, kind and state (active or paused).",
            ["platform", "kind", "state"],
            registry=r,
        )
        self.store_revision = Gauge(
            "accord_store_revision", "The store's revision, by dossier.", ["dossier"], registry=r
        )

    def command(self, platform: str, subcommand: str, outcome: str, seconds: float) -> None:
        self.commands.labels(platform, subcommand, outcome).inc()
        self.command_seconds.labels(platform).observe(seconds)

    def post(self, platform: str, kind: str, result: str) -> None:
        self.posts.labels(platform, kind, result).inc()

    def refresh(self, db: Database) -> None:
        """Read the gauges that live in the database (once per scrape)."""
        self.subscriptions.clear()
        if db["subscriptions"].exists():
            rows = db.execute(
                "SELECT platform, kind, paused, count(*) FROM subscriptions "
                "GROUP BY platform, kind, paused"
            ).fetchall()
            for platform, kind, paused, count in rows:
                state = "paused" if paused else "active"
                self.subscriptions.labels(platform, kind, state).set(count)
        self.store_revision.clear()
        if db["dossiers"].exists():
            for slug, revision in db.execute(
                "SELECT slug, imported_revision FROM dossiers"
            ).fetchall():
                self.store_revision.labels(slug).set(revision)

    def render(self) -> bytes:
        return generate_latest(self.registry)
