"""Contract suites: the same tests over every adapter of a port."""
