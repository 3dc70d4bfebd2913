"""How the modules of `builder/` and `filters/` meet: no import cycle, no private reach-in.

Read from the source (tests/support/architecture.py): an import inside a function counts (it
runs too; it only hides the cycle from Python); ``if TYPE_CHECKING:`` imports do not.
`python tests/support/architecture.py` prints what these tests find.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.architecture import import_cycles, private_attribute_uses, private_imports

REPO = Path(__file__).resolve().parent.parent


def test_no_import_cycle_inside_the_packages():
    cycles = import_cycles(REPO)
    assert cycles == [], "import cycles (move the shared part into a module both import): " + "; ".join(
        " <-> ".join(c) for c in cycles)


def test_no_module_imports_a_private_name_of_another():
    found = [f"{i.module}:{i.line} imports {i.name} from {i.target}" for i in private_imports(REPO)]
    found += [f"{module}:{line} uses {attr}" for module, line, attr in private_attribute_uses(REPO)]
    assert found == [], "make the name public (and documented) or keep the use inside its module: " + "; ".join(found)


def test_the_checks_see_what_they_look_for(tmp_path):
    """A cycle hidden in a function and a private import are both found (the tests can fail)."""
    pkg = tmp_path / "builder"
    pkg.mkdir()
    (tmp_path / "filters").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from builder.b import _helper\n")
    (pkg / "b.py").write_text("def _helper():\n    from builder import a\n    return a\n")
    assert import_cycles(tmp_path) == [["builder.a", "builder.b"]]
    assert [(i.module, i.name) for i in private_imports(tmp_path)] == [("builder.a", "_helper")]
