"""The model's relations: one module per subsystem, each a pure update vectorised over draws."""
