from pathlib import Path

import ringsync.errors as errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _error_classes() -> list[type[errors.RingsyncError]]:
    return [
        obj
        for name in errors.__all__
        if isinstance(obj := getattr(errors, name), type) and issubclass(obj, errors.RingsyncError)
    ]


def test_every_error_class_is_exported_and_documented_with_its_code() -> None:
    text = DOC.read_text()
    for cls in _error_classes():
        assert f"`{cls.__name__}`" in text, f"{cls.__name__} missing from docs/errors.md"
        assert f"`{cls.code}`" in text, f"code of {cls.__name__} missing from docs/errors.md"


def test_the_tree_in_the_docs_matches_the_module_docstring() -> None:
    assert errors.__doc__ is not None
    tree = errors.__doc__.split("\n\n", 1)[1].strip()
    assert tree in DOC.read_text()


def test_every_error_class_in_the_module_is_exported() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, errors.RingsyncError)
    }
    assert defined <= set(errors.__all__)
