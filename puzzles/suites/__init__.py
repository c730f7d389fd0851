"""Built-in suite definitions: every ``*.toml`` file here is a suite (see ``genreason.suites``)."""
