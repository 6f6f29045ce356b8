"""Invoice renderers."""
