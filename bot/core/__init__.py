"""The platform-neutral heart: dialogs, the dialog engine, texts and messages.

Nothing in here imports a platform, a web framework or a database session.
"""
