"""One module per platform: each turns platform events into Commands and Replies back."""


class AdapterError(RuntimeError):
    """An adapter cannot start: the message says why, for the operator."""
