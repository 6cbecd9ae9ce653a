"""Tables, pure rules and queries. Never imports Prefect, yagmail or Jinja."""
