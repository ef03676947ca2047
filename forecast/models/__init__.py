"""Models: one module per model, the shared lifecycle in `base`, capabilities in `protocols`, the registry in `registry`."""
