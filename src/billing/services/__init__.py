"""Services: the use cases, each in one unit of work, over ports only."""
