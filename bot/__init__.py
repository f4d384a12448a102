"""Læringsbot: workplace learning as conversations in Slack and Microsoft Teams."""

__version__ = "0.1.0"
