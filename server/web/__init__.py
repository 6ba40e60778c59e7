"""The web UI door: server-rendered pages for members, visitors and admins."""
