"""CLI commands kept in their own modules (registered in cyberframe.cli)."""
