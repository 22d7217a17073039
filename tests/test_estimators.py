"""What each estimator adds: presets, transfer learning, multi-label targets."""

import keras
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, classification_report, hamming_loss

from keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import CNNClassifier, MultiLabelCNN, TransferClassifier, list_backbones

# --- CNNClassifier -------------------------------------------------------------------------


def conv_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def test_default_network_is_the_simple_preset():
    X, y = toons(size=32)
    default = CNNClassifier(**TINY).initialize(X, y).model_
    simple = CNNClassifier("simple", **TINY).initialize(X, y).model_
    assert [c.filters for c in conv_layers(default)] == [32, 32, 64, 64, 128, 128]
    assert default.count_params() == simple.count_params()
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in default.layers)


@pytest.mark.parametrize("preset, first_kernel, first_stride", [("alexnet", 11, 4),
                                                                 ("zfnet", 7, 2)])
def test_seed_presets(preset, first_kernel, first_stride):
    X, y = toons(size=32)
    model = CNNClassifier(preset, **TINY).initialize(X, y).model_
    first = conv_layers(model)[0]
    assert first.kernel_size == (first_kernel, first_kernel)
    assert first.strides == (first_stride, first_stride)
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [
        4096, 4096, 1]
    assert model.output_shape == (None, 1)


def test_preset_refuses_block_parameters():
    X, y = toons()
    with pytest.raises(ValueError, match="\\['filters'\\].*architecture=None"):
        CNNClassifier("alexnet", filters=(8,), **TINY).fit(X, y)


def test_custom_network_parameters_shape_the_model():
    X, y = toons(size=32)
    model = CNNClassifier(filters=(4, 6), kernel_size=5, convs_per_block=3, dense_units=(10,),
                          pooling="flatten", l2=1e-3, **TINY).initialize(X, y).model_
    convs = conv_layers(model)
    assert [c.filters for c in convs] == [4, 4, 4, 6, 6, 6]
    assert convs[0].kernel_size == (5, 5) and convs[0].kernel_regularizer is not None
    assert any(isinstance(layer, keras.layers.Flatten) for layer in model.layers)


def test_multiclass_has_a_softmax_over_all_classes():
    X, y = toons(n=70, task="multiclass")
    clf = CNNClassifier(filters=(4,), **TINY).fit(X, y)
    proba = clf.predict_proba(X)
    assert clf.model_.output_shape == (None, 7) and proba.shape == (70, 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert sorted(clf.classes_) == sorted(set(y))


# --- TransferClassifier --------------------------------------------------------------------


def test_list_backbones_has_the_promised_families():
    names = list_backbones()
    assert {"vgg16", "vgg19", "resnet50v2", "mobilenet_v2", "inception_v3",
            "efficientnet_b0"} <= set(names)


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


# --- MultiLabelCNN -------------------------------------------------------------------------


def test_multilabel_with_an_indicator_matrix_scores_with_sklearn_metrics():
    X, Y = toons(n=64, task="multilabel")
    clf = MultiLabelCNN(filters=(4, 8), **TINY).fit(X, Y)
    predicted = clf.predict(X)
    proba = clf.predict_proba(X)
    assert predicted.shape == proba.shape == (64, 2)
    assert set(np.unique(predicted)) <= {0, 1}
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(predicted, (proba >= 0.5).astype(int))
    report = classification_report(Y, predicted, target_names=["tom", "jerry"],
                                   zero_division=0)
    assert "tom" in report and "samples avg" in report
    assert 0 <= hamming_loss(Y, predicted) <= 1
    assert 0 <= accuracy_score(Y, predicted) <= 1  # subset accuracy


def test_multilabel_from_label_sets_and_threshold():
    X, Y = toons(n=48, task="multilabel")
    sets = [{name for name, on in zip(["tom", "jerry"], row, strict=True) if on} for row in Y]
    clf = MultiLabelCNN(filters=(4,), **TINY).fit(X, sets)
    assert list(clf.classes_) == ["jerry", "tom"]
    np.testing.assert_array_equal(clf.predict(X[:5]).shape, (5, 2))
    assert clf.set_params(threshold=0.0).predict(X).all()
    assert not clf.set_params(threshold=1.0).predict(X).any()


def test_multilabel_with_a_backbone():
    X, Y = toons(n=32, task="multilabel")
    clf = MultiLabelCNN(backbone=tiny_backbone, preprocessing="scale", **TINY).fit(X, Y)
    assert clf.predict_proba(X).shape == (32, 2)
    assert "head" in {layer.name for layer in clf.model_.layers}
    with pytest.raises(ValueError, match="shape \\(n_samples, 2\\)"):
        clf.partial_fit(X, np.zeros((32, 3)))
