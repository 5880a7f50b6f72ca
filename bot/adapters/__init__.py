"""One module per platform: each turns platform events into Commands and Replies back."""
