"""The accord-bot engine: curated dossiers, the store, countdowns and briefings.

Pure Python: nothing in this package imports a chat platform's library.
"""
