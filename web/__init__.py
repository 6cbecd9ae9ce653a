"""The web app: server-rendered pages in Vietnamese and the JSON API under /api/v1."""
