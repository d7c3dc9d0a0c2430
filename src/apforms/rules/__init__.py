"""Checks from the Derby guidance and the law, each with an id and its source."""
