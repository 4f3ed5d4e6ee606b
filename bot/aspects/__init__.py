"""Aspect detection: which aspect of a topic a message asks about (docs/bot.md, "Conversations")."""
