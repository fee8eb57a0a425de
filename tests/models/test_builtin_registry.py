"""Built-in offline models, spec parsing, and providers added at run time or by entry point."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from pytest_safecase.models import (
    DEFAULT_REGISTRY,
    ENTRY_POINT_GROUP,
    ModelError,
    Provider,
    Reply,
    Request,
    ResponseCache,
    Usage,
    UsageLedger,
    builtin_names,
    get_model,
    provider_names,
    register_builtin,
    register_provider,
)
from pytest_safecase.models._builtin import BUILTIN_ENTRY_POINT_GROUP


def shout(request: Request) -> str:
    return f"{request.messages()[-1]['content'].upper()}#{request.sample}"


@pytest.mark.usefixtures("model_registry")
def test_builtin_model_answers_offline_with_estimated_usage(tmp_path: Path) -> None:
    register_builtin("shout-test", shout)
    ledger = UsageLedger()
    model = get_model("builtin:shout-test", cache=ResponseCache(tmp_path), ledger=ledger)
    completion = model.generate("abcdefgh", sample=3)
    assert (completion.text, completion.model) == ("ABCDEFGH#3", "builtin:shout-test")
    assert completion.usage == Usage(input_tokens=2, output_tokens=3, estimated=True)
    assert not completion.cached and not (tmp_path / "responses.sqlite3").exists()
    batch = model.generate_many([Request(f"r{n}") for n in range(30)], max_concurrency=4)
    assert [c.text for c in batch] == [f"R{n}#0" for n in range(30)]
    usage = ledger.snapshot()["builtin:shout-test"]
    assert usage.requests == usage.calls == 31 and usage.estimated_tokens
    assert "shout-test" in builtin_names()


@pytest.mark.usefixtures("model_registry")
def test_builtins_work_in_replay_mode_without_a_cache() -> None:
    register_builtin("shout-test", shout)
    model = get_model("builtin:shout-test", cache_mode="replay", ledger=UsageLedger())
    assert model.generate("x").text == "X#0"


@pytest.mark.usefixtures("model_registry")
def test_builtin_errors_are_model_errors() -> None:
    def broken(request: Request) -> str:
        raise RuntimeError("respond crashed")

    register_builtin("broken-test", broken)
    register_builtin("not-text-test", lambda request: 42)  # type: ignore[arg-type,return-value]
    with pytest.raises(ModelError, match="RuntimeError: respond crashed"):
        get_model("builtin:broken-test", ledger=UsageLedger()).generate("x")
    with pytest.raises(ModelError, match="answered int"):
        get_model("builtin:not-text-test", ledger=UsageLedger()).generate("x")


@pytest.mark.usefixtures("model_registry")
def test_unknown_builtin_lists_the_registered_names() -> None:
    register_builtin("shout-test", shout)
    with pytest.raises(
        ModelError, match=r"unknown built-in model 'builtin:nope'.*builtin:shout-test"
    ):
        get_model("builtin:nope")


@pytest.mark.parametrize("spec", ["gpt-4o", ":model", "openai:", ""])
def test_malformed_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ModelError, match="PROVIDER:MODEL"):
        get_model(spec)


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(
        ModelError, match=r"unknown model provider 'nosuch'.*anthropic.*builtin.*openai"
    ):
        get_model("nosuch:thing")


@pytest.mark.usefixtures("model_registry")
def test_register_builtin_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="must match"):
        register_builtin("has space", shout)
    with pytest.raises(TypeError, match="callable"):
        register_builtin("ok-name", "not callable")  # type: ignore[arg-type]


class EchoProvider(Provider):
    """A user-defined provider, as a plug-in package would write it."""

    uses_network = False

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        return Reply(
            f"echo[{self.model}]: {request.messages()[-1]['content']}", self.model, Usage(1, 1)
        )


@pytest.mark.usefixtures("model_registry")
def test_register_provider_at_run_time(tmp_path: Path) -> None:
    register_provider("echo-rt", EchoProvider)
    cache = ResponseCache(tmp_path)
    model = get_model("echo-rt:small", cache=cache, ledger=UsageLedger())
    assert model.spec == "echo-rt:small"
    assert model.generate("hi").text == "echo[small]: hi"
    assert model.generate("hi").cached, "plug-in providers are cached by default"
    with pytest.raises(ValueError, match="must match"):
        register_provider("Bad Name", EchoProvider)


def _entry_points(folder: Path, name: str, lines: str) -> None:
    """A distribution in ``folder`` whose entry points are ``lines`` (found on ``sys.path``)."""
    dist_info = folder / f"{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n")
    (dist_info / "entry_points.txt").write_text(lines)


@pytest.mark.usefixtures("model_registry")
def test_providers_are_found_through_the_entry_point_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "safecase_echo_plugin.py"
    package.write_text(
        textwrap.dedent(
            """
            from pytest_safecase.models import Provider, Reply, Usage

            class PluginProvider(Provider):
                uses_network = False

                async def complete(self, request, *, timeout):
                    return Reply("from the plug-in: " + self.model, self.model, Usage(2, 2))
            """
        )
    )
    _entry_points(
        tmp_path,
        "safecase_echo_plugin",
        f"[{ENTRY_POINT_GROUP}]\nviaentry = safecase_echo_plugin:PluginProvider\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "viaentry" in provider_names()
    model = get_model("viaentry:tiny", ledger=UsageLedger())
    assert model.generate("x").text == "from the plug-in: tiny"
    monkeypatch.delitem(sys.modules, "safecase_echo_plugin", raising=False)


@pytest.mark.usefixtures("model_registry")
def test_registering_modules_come_from_the_entry_point_group_on_first_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_builtins_mod.py").write_text(
        "from pytest_safecase.models import register_builtin\n"
        "register_builtin('lazy-test',"
        " lambda request: 'lazy ' + request.messages()[0]['content'])\n"
    )
    _entry_points(
        tmp_path,
        "lazy_plugin",
        f"[{BUILTIN_ENTRY_POINT_GROUP}]\nlazy = lazy_builtins_mod\ngone = no_such_registering_mod\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "lazy_builtins_mod" not in sys.modules
    assert get_model("builtin:lazy-test", ledger=UsageLedger()).generate("x").text == "lazy x"
    assert {"untrusted", "trusted", "lazy-test"} <= set(builtin_names())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "broken_builtins_mod.py").write_text("import a_module_that_does_not_exist\n")
    _entry_points(
        broken, "broken_plugin", f"[{BUILTIN_ENTRY_POINT_GROUP}]\nb = broken_builtins_mod\n"
    )
    monkeypatch.syspath_prepend(str(broken))
    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist"):
        get_model("builtin:lazy-test")
    for name in ("lazy_builtins_mod", "broken_builtins_mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)


@pytest.mark.usefixtures("model_registry")
def test_a_built_in_is_briefed_on_the_problems_and_an_api_model_ignores_it() -> None:
    briefed: list[object] = []
    register_builtin("brief-test", lambda request: "ok", briefed.extend)
    get_model("builtin:brief-test", ledger=UsageLedger()).brief(["p1", "p2"])
    assert briefed == ["p1", "p2"]
    get_model("openai:gpt-4o-mini", ledger=UsageLedger()).brief(["p3"])  # a no-op, no request


def test_scoped_registry_undoes_what_was_registered_inside() -> None:
    before = (builtin_names(), provider_names(), DEFAULT_REGISTRY.ledger)
    with DEFAULT_REGISTRY.scoped() as registry:
        registry.register_builtin("scoped-test", shout)
        register_provider("scoped-rt", EchoProvider)
        registry.ledger = UsageLedger()
        assert get_model("builtin:scoped-test").generate("x").text == "X#0"
        assert registry.ledger.snapshot()["builtin:scoped-test"].requests == 1
    assert (builtin_names(), provider_names(), DEFAULT_REGISTRY.ledger) == before
