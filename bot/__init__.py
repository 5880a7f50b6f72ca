"""The accord-bot runtime: command line, chat adapters, subscriptions and scheduling."""
