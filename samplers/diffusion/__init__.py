"""Real image-to-video models through diffusers: one module per model family, a shared base.

torch and diffusers are imported only when a sampler is built (``pip install
'genreason[diffusers]'``); importing this package needs neither.
"""
