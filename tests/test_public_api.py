"""The public surface: the registry of tested models equals what spikax exports."""

import inspect

import spikax
from tests.registry import NEURONS


def test_registry_covers_public_models():
    public = {n for n in spikax.__all__
              if inspect.isclass(getattr(spikax, n)) and issubclass(getattr(spikax, n),
                                                                     spikax.Neuron)
              and getattr(spikax, n) is not spikax.Neuron}
    assert public == {m.cls.__name__ for m in NEURONS}


def test_all_names_exist():
    for name in spikax.__all__:
        assert hasattr(spikax, name), name


def test_every_model_has_a_demo():
    from spikax._demo import DEMOS

    assert set(DEMOS) == {m.cls.__name__ for m in NEURONS}


def test_public_classes_have_numpy_docstrings():
    for cls, *_ in NEURONS:
        doc = inspect.getdoc(cls)
        for section in ("Parameters\n----------", "Notes\n-----", "Examples\n--------", "$$"):
            assert section in doc, (cls.__name__, section)
