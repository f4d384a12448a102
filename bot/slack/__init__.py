"""Slack: slack-bolt listeners → inbox → core; core's messages → Block Kit."""
