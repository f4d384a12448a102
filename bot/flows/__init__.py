"""The flows: platform-neutral application logic on top of core/ and storage/.

An inbound event is handled in one database transaction: state changes and the
messages to send (outbox rows) commit together or not at all.
"""
