"""``TransferClassifier`` (toonsklearn/estimators/_transfer.py): a backbone by name, function
or Keras model; the head trained on features once, then fine-tuning, each phase on a
schedule of its own; the saved network takes raw pixels."""

import re

import keras
import numpy as np
import pytest

from tests.keras_helpers import TINY, RatesSeen, tiny_backbone, toons
from toonsklearn import TransferClassifier


def test_unknown_backbone_lists_the_known_ones():
    X, y = toons()
    with pytest.raises(ValueError, match="Unknown backbone 'vgg17'.*mobilenet_v2.*vgg16"):
        TransferClassifier("vgg17", weights=None).fit(X, y)


def backbone_of(clf):
    return next(layer for layer in clf.model_.layers
                if isinstance(layer, keras.Model) and layer.name != "head")


def test_frozen_backbone_trains_only_the_head_on_features_once():
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, preprocessing="scale", **TINY)
    start = clf.initialize(X, y)
    before = [w.copy() for w in backbone_of(start).get_weights()]
    head_before = [w.copy() for w in start.model_.get_layer("head").get_weights()]
    clf.fit(X, y)
    for old, new in zip(before, backbone_of(clf).get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert any(not np.allclose(a, b) for a, b in
               zip(head_before, clf.model_.get_layer("head").get_weights(), strict=True))
    assert len(clf.history_) == TINY["epochs"]


def test_fine_tuning_unfreezes_the_top_layers_but_not_batch_norm():
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, preprocessing="scale", fine_tune_layers=1,
                             fine_tune_epochs=2, fine_tune_learning_rate=1e-2, **TINY)
    initial = {layer.name: [w.copy() for w in layer.get_weights()]
               for layer in backbone_of(clf.initialize(X, y)).layers if layer.weights}
    clf.fit(X, y)
    after = {layer.name: layer.get_weights() for layer in backbone_of(clf).layers}
    changed = {name for name in initial if any(not np.allclose(a, b) for a, b in
                                                zip(initial[name], after[name], strict=True))}
    assert changed == {"tiny_conv2"}  # the top layer only; BatchNorm statistics untouched
    assert len(clf.history_) == TINY["epochs"] + 2


def test_fine_tuning_epochs_go_on_from_the_heads_as_history_numbers_them(capsys):
    """One numbering for users: Keras' lines, history_'s index, best_epoch_ and early
    stopping's summary all count the fine-tuning epochs on from the head's."""
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, preprocessing="scale", fine_tune_layers=1,
                             fine_tune_epochs=3, fine_tune_learning_rate=50.0, verbose=2,
                             **{**TINY, "early_stopping": 1})
    clf.fit(X, y)
    out = capsys.readouterr().out
    head = int((clf.history_["phase"] == "head").sum())
    assert f"Epoch {head + 1}/{head + 3} - " in out and out.count("Epoch 1/") == 1
    assert list(clf.history_.index) == list(range(1, len(clf.history_) + 1))
    assert (clf.history_.loc[head + 1:, "phase"] == "fine_tune").all()
    assert clf.best_epoch_ > head
    summary = [line for line in out.splitlines() if line.startswith("Early stopping")][-1]
    assert f"kept the weights of epoch {clf.best_epoch_}." in summary
    assert "watching from" not in summary  # a constant rate: every epoch watched
    assert clf.history_.loc[clf.best_epoch_, "best"]


def test_each_phase_of_a_fine_tuned_transfer_has_a_schedule_of_its_own():
    X, y = toons()  # as above, the warm-up of each phase is its first epoch
    rates = RatesSeen()
    TransferClassifier(tiny_backbone, preprocessing="scale", fine_tune_layers="all",
                       fine_tune_epochs=10, fine_tune_learning_rate=1e-3, lr_schedule="cosine",
                       callbacks=[rates], **{**TINY, "epochs": 10}).fit(X, y)
    head, fine_tune = rates.end[:10], rates.end[10:]
    assert len(fine_tune) == 10
    assert head[0] == pytest.approx(0.01) and fine_tune[0] == pytest.approx(1e-3)
    assert head[-1] == pytest.approx(0.0, abs=1e-9)
    assert fine_tune[-1] == pytest.approx(0.0, abs=1e-9)


def test_keras_model_backbone_is_copied_not_trained_in_place():
    X, y = toons()
    user_model = tiny_backbone((16, 16, 3))
    weights = [w.copy() for w in user_model.get_weights()]
    clf = TransferClassifier(user_model, fine_tune_layers="all", fine_tune_epochs=1,
                             **TINY).fit(X, y)
    assert clf.image_shape_ == (16, 16, 3)  # the model's own input size
    for old, new in zip(weights, user_model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_augmented_transfer_trains_end_to_end():
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, augment="light", **TINY).fit(X, y)
    assert "RandomFlip" in {type(layer).__name__ for layer in clf.model_.layers}
    assert len(clf.history_) == TINY["epochs"]


def test_registry_backbone_with_random_weights_and_greyscale_input():
    X, y = toons(n=16, size=32)
    grey = X.mean(axis=3, keepdims=True).astype(np.uint8)
    clf = TransferClassifier("mobilenet_v2", weights=None, input_size=(32, 32),
                             **{**TINY, "epochs": 1}).fit(grey, y)
    assert clf.predict_proba(grey).shape == (16, 2)
    assert clf.model_.get_layer("preprocessing").mode == "tf"


def test_weights_path_loads_a_local_file(tmp_path):
    from toonsklearn.backbones import get_backbone

    source = get_backbone("mobilenet_v2", weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "mobilenet_v2.weights.h5"
    source.save_weights(path)
    X, y = toons(n=16, size=32)
    clf = TransferClassifier("mobilenet_v2", weights=str(path), input_size=(32, 32),
                             **{**TINY, "epochs": 1}).fit(X, y)
    for expected, loaded in zip(source.get_weights(), backbone_of(clf).get_weights(),
                                strict=True):
        np.testing.assert_array_equal(expected, loaded)


def test_saved_keras_model_takes_raw_pixels(tmp_path):
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, preprocessing="tf", **TINY).fit(X, y)
    clf.model_.save(tmp_path / "toons.keras")
    loaded = keras.saving.load_model(tmp_path / "toons.keras")
    raw = keras.ops.convert_to_numpy(loaded(X[:6].astype("float32")))
    np.testing.assert_allclose(np.hstack([1 - raw, raw]), clf.predict_proba(X[:6]), rtol=1e-5)


# --- the head, trained on the backbone's features ----------------------------------------


def transfer(memory=None, **params):
    return TransferClassifier(tiny_backbone, memory=memory,
                              **{"preprocessing": "scale", "input_size": (16, 16), **TINY,
                                 **params})


@pytest.fixture(scope="module")
def data():
    return toons(n=40, size=16)


def test_many_head_steps_per_call_train_exactly_as_one(data):
    X, y = data

    class EveryBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    many = transfer(validation_fraction=0.25).fit(X, y)
    one = transfer(validation_fraction=0.25, callbacks=[EveryBatch()]).fit(X, y)
    np.testing.assert_allclose(many.history_["val_loss"], one.history_["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(many.predict_proba(X), one.predict_proba(X), atol=1e-6)


def test_user_callbacks_see_every_batch_of_the_head_phase(data):
    X, y = data

    class Batches(keras.callbacks.Callback):
        seen = 0

        def on_train_batch_end(self, batch, logs=None):
            Batches.seen += 1

    transfer(callbacks=[Batches()], batch_size=8).fit(X, y)
    assert Batches.seen == TINY["epochs"] * 5  # 40 images in batches of 8


class _CountedBuilder:
    """A registry builder of ``tiny_backbone`` that counts the backbones it built."""

    def __init__(self):
        self.built = 0

    def __call__(self, weights=None, include_top=False, input_shape=None):
        self.built += 1
        return tiny_backbone(input_shape)


def test_a_fit_on_cached_features_builds_only_the_head_and_the_network_when_asked(tmp_path):
    import pickle

    from toonsklearn.backbones import BackboneSpec, register_backbone

    builder = _CountedBuilder()
    register_backbone(BackboneSpec("counted_backbone", builder, (16, 16), 8, "scale"),
                      overwrite=True)
    X, y = toons()
    kw = dict(backbone="counted_backbone", weights=None, memory=tmp_path / "cache", **TINY)
    cold = TransferClassifier(**kw).fit(X, y)
    assert builder.built == 1
    warm = TransferClassifier(**kw).fit(X, y)
    assert builder.built == 1  # every feature cached: the head trained alone
    np.testing.assert_allclose(warm.predict_proba(X), cold.predict_proba(X), atol=1e-6)
    assert builder.built == 1  # predicted from the cache too
    assert list(warm.history_["phase"]) == ["head"] * TINY["epochs"]
    new, _ = toons(n=4, seed=7)  # images the cache lacks: the network is built for them
    np.testing.assert_allclose(warm.predict_proba(new), cold.predict_proba(new), atol=1e-6)
    assert builder.built == 2
    pixels = warm.model_.predict(X[:5].astype("float32"), verbose=0)  # raw pixels in
    np.testing.assert_allclose(pixels.ravel(), cold.predict_proba(X[:5])[:, 1], atol=1e-6)

    again = TransferClassifier(**kw).fit(X, y)  # pickled: the whole network
    back = pickle.loads(pickle.dumps(again))
    assert "model_" in vars(back) and "_lazy" not in vars(back)


@pytest.mark.skipif(tuple(int(p) for p in keras.version().split(".")[:2]) < (3, 14),
                    reason="toonsklearn.io.load refuses Keras before 3.14")
def test_a_file_saved_from_a_fit_on_cached_features_holds_the_whole_network(tmp_path):
    from toonsklearn.backbones import BackboneSpec, register_backbone
    from toonsklearn.io import load, save

    builder = _CountedBuilder()
    register_backbone(BackboneSpec("counted_saved_backbone", builder, (16, 16), 8, "scale"),
                      overwrite=True)
    X, y = toons()
    kw = dict(backbone="counted_saved_backbone", weights=None, memory=tmp_path / "cache", **TINY)
    cold = TransferClassifier(**kw).fit(X, y)
    warm = TransferClassifier(**kw).fit(X, y)
    assert builder.built == 1  # the head trained alone
    save(warm.set_params(memory=None), tmp_path / "m.toons")
    loaded = load(tmp_path / "m.toons")
    assert "model_" in vars(loaded)  # the file holds the whole network, not the head alone
    new, _ = toons(n=4, seed=7)
    np.testing.assert_allclose(loaded.predict_proba(new), cold.predict_proba(new), atol=1e-6)


def test_a_verbose_feature_pass_names_itself_before_keras_line(capsys):
    X, y = toons(20)
    TransferClassifier(tiny_backbone, preprocessing="scale", verbose=2,
                       **{**TINY, "epochs": 1}).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    k = lines.index("Computing backbone features of 20 images")
    assert re.match(r"\d+/\d+ - ", lines[k + 1])
