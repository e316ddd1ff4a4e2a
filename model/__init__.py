"""vnsim: Vietnam IT application market, online dossiers and UN EGDI rank under policy levers."""

__version__ = "0.1.0"
