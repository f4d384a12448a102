"""Microsoft Teams: Bot Framework activities → inbox → core; core's messages → Adaptive Cards."""
