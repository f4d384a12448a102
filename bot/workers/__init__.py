"""Background work: the inbox (requests to process), the outbox (messages to
send) and the clock. The database is the source of truth for all three, so a
restart resumes whatever was left.
"""
