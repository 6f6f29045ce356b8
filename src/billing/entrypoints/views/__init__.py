"""HTTP views: thin functions that parse, call one service method and answer JSON."""
