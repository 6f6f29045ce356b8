"""Entry points: settings, the dependency container, the Flask app and the command line."""
