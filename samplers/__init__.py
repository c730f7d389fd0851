"""Built-in samplers: the oracle and rule-blind baselines, model backends, videos made elsewhere."""
