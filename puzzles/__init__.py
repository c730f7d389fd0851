"""Built-in puzzle families: seeded generators, renderers and prompt templates, and suite files."""
