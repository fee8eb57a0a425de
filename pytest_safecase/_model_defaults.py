"""Names and defaults shared by the model layer and its pytest options, outside the models
package so that reading the options does not load it.

Import-light on purpose: pytest loads the options in every run, and the SDKs, SQLite and asyncio
should load only when a model is first used.
"""

from __future__ import annotations

from typing import Literal, get_args

CacheMode = Literal["on", "replay", "off"]
CACHE_MODES: tuple[str, ...] = get_args(CacheMode)
DEFAULT_MAX_CONCURRENCY = 16
DEFAULT_TIMEOUT = 120.0
OPENAI_BASE_URL_ENV = "OPENAI_BASE_URL"
ANTHROPIC_BASE_URL_ENV = "ANTHROPIC_BASE_URL"
BASE_URL_ENVS = {"openai": OPENAI_BASE_URL_ENV, "anthropic": ANTHROPIC_BASE_URL_ENV}
"""The variable naming each HTTP provider's server, by provider name."""
