"""What operators see: health and readiness, metrics, logs, backups and checks."""
