"""The pytest adapters: hooks, options, fixtures and stash keys, apart from the domain packages.

``plugin`` is the core (the ``pytest11`` entry point); it loads ``models`` and ``control``. Each
imports the domain packages it needs inside the hooks and fixtures that use them, so a pytest run
that evaluates nothing loads neither numpy nor the model SDKs.
"""
