"""Access: people, credentials, permissions, visitors and the door log."""
