"""Running the bot in production: health, metrics, logs and the operator's checks."""
