"""Reliability and security suite: faults survived, bad inputs refused, nobody let in."""
