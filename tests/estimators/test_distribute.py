"""``distribution_strategy`` (toonsklearn/estimators/_distribute.py): training on several
devices with tf.distribute.

Two replicas need two logical CPU devices, which TensorFlow only makes before it starts,
so those tests run in a fresh process each.
"""

import functools
import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import REPO_ROOT
from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import CNNClassifier, MultiLabelCNN, TransferClassifier
from toonsklearn.estimators._distribute import _covering_sizes, _shared_sizes
from toonsklearn.exceptions import TrainingDataError

TWO_CPUS = textwrap.dedent(f"""
    import json, pickle, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    sys.path.insert(0, {REPO_ROOT!r})
    from tests.keras_helpers import toons
    from toonsklearn import CNNClassifier, MultiLabelCNN, TransferClassifier

    def plain_backbone(input_shape):  # no BatchNorm: its statistics are per replica
        inputs = keras.Input(input_shape)
        x = keras.layers.Rescaling(1 / 255)(inputs)
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x)
        return keras.Model(inputs, x)

    out = {{}}
""")


def run_on_two_cpus(body: str, *args: str) -> dict:
    """Run ``body`` after TWO_CPUS in a fresh process with ``sys.argv[1:] == args``;
    return the ``out`` dict it fills. The process ends as soon as it has printed it,
    without TensorFlow's second-long teardown."""
    script = (TWO_CPUS + textwrap.dedent(body)
              + "\nprint('OUT' + json.dumps(out), flush=True)\nimport os\nos._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("OUT"))
    return json.loads(line[3:])


@pytest.mark.slow
def test_mirrored_fit_trains_on_both_replicas_like_one_device_and_saves_without_them(
        tmp_path):
    out = run_on_two_cpus("""
        X, y = toons(n=48, size=16)
        # Every training image in one batch, so the order in which a distributed dataset
        # shuffles them (Keras draws one permutation more to build the model) cannot
        # matter; SGD, as Adam's step turns rounding-sized gradients into full steps.
        kw = dict(backbone=plain_backbone, weights=None, dropout=0.0, fine_tune_layers="all",
                  fine_tune_epochs=2, fine_tune_learning_rate=0.2, optimizer="sgd",
                  learning_rate=0.5, epochs=3, batch_size=36, validation_fraction=0.25,
                  early_stopping=None, random_state=0)
        one = TransferClassifier(**kw).fit(X, y)
        two = TransferClassifier(distribution_strategy="mirrored", **kw).fit(X, y)
        variable = two.model_.trainable_variables[0].value
        out["replicas"] = two.model_.distribute_strategy.num_replicas_in_sync
        out["devices"] = sorted(part.device[-5:] for part in variable.values)
        proba = two.predict_proba(X)
        out["difference"] = float(np.abs(one.predict_proba(X) - proba).max())
        out["moved"] = float(np.abs(proba - TransferClassifier(**kw).initialize(X, y)
                                    .predict_proba(X)).max())
        out["history"] = two.history_["phase"].tolist()
        back = pickle.loads(pickle.dumps(two))
        out["unpickled_strategy"] = repr(getattr(back.model_, "_distribute_strategy", None))
        out["unpickled_difference"] = float(np.abs(back.predict_proba(X) - proba).max())
        out["epochs_after_partial_fit"] = two.partial_fit(X, y).current_epoch

        # BatchNorm and dropout, odd batches (43 training, 5 validation images), a head
        # on cached features, multi-label targets: each fits and predicts.
        cnn = CNNClassifier(filters=(4,), epochs=2, distribution_strategy="mirrored",
                            random_state=0).fit(X[:48], y[:48])
        out["cnn_predictions"] = len(cnn.predict(X))
        head = TransferClassifier(plain_backbone, weights=None, epochs=2, batch_size=7,
                                  memory=sys.argv[1],
                                  distribution_strategy="mirrored", random_state=0)
        out["head_predictions"] = len(head.fit(X, y).predict(X))
        new, label = toons(n=2, size=16, seed=5)  # one image the cache lacks: a batch of 1
        out["one_new_image"] = len(head.fit(np.concatenate([X, new[:1]]),
                                            np.append(y, label[0])).predict(new[:1]))
        out["one_prediction"] = len(two.predict(X[:1]))  # one image on two devices
        Xm, ym = toons(n=40, size=16, task="multilabel")
        multi = MultiLabelCNN(filters=(4,), epochs=1, distribution_strategy="mirrored",
                              random_state=0).fit(Xm, ym)
        out["multilabel_shape"] = list(multi.predict(Xm).shape)

        try:  # three images cannot be shared fairly by two devices
            three = [*np.flatnonzero(y == "tom")[:2], np.flatnonzero(y == "jerry")[0]]
            CNNClassifier(filters=(4,), epochs=1, validation_fraction=0,
                          distribution_strategy="mirrored").fit(X[three], y[three])
        except Exception as error:
            out["few_images"] = [type(error).__name__, str(error)]
    """, str(tmp_path / "features"))
    assert out["replicas"] == 2
    assert out["devices"] == ["CPU:0", "CPU:1"]
    assert out["moved"] > 0.01  # it trained: the comparison below is not of two untrained nets
    assert out["difference"] < 1e-4, out
    assert out["history"] == ["head"] * 3 + ["fine_tune"] * 2
    assert out["unpickled_strategy"] == "None"
    assert out["unpickled_difference"] < 1e-6
    assert out["epochs_after_partial_fit"] == 6
    assert out["cnn_predictions"] == out["head_predictions"] == 48
    assert out["one_new_image"] == out["one_prediction"] == 1
    assert out["multilabel_shape"] == [40, 2]
    kind, message = out["few_images"]
    assert kind == "TrainingDataError" and "3 images" in message and "2 devices" in message


def test_a_strategy_instance_is_refused_with_a_picklable_alternative():
    X, y = toons(n=16, size=8)
    clf = CNNClassifier(filters=(4,), **TINY).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(distribution_strategy=tf.distribute.get_strategy())
    with pytest.raises(TypeError, match=r"cannot be pickled.*functools\.partial"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)  # the old model is kept


@pytest.mark.parametrize("spec, error, match", [
    ("mirorred", ValueError, r"unknown distribution_strategy 'mirorred'.*'mirrored'"),
    (2, InvalidParameterError, r"distribution_strategy.*must be None, an instance of 'str'"),
    ("multi_worker_mirrored", ValueError, r"MultiWorkerMirroredStrategy.*20585"),
    ("MultiWorkerMirroredStrategy", ValueError, r"20585"),
    # refused before it is built (building one sets up collective ops, or a cluster)
    (tf.distribute.MultiWorkerMirroredStrategy, ValueError, r"20585"),
    (functools.partial(tf.distribute.MultiWorkerMirroredStrategy), ValueError, r"20585"),
    (dict, TypeError, r"returned \{\}; it must return a tf\.distribute\.Strategy"),
])
def test_bad_strategies_say_what_to_pass(spec, error, match):
    X, y = toons(n=16, size=8)
    labels = np.c_[y == "tom", y == "jerry"].astype(int)
    clf = MultiLabelCNN(filters=(4,), distribution_strategy=spec, **TINY)
    for method in (clf.fit, clf.partial_fit, clf.initialize):
        with pytest.raises(error, match=match):
            method(X, labels)
        assert not hasattr(clf, "model_")


def test_the_parameter_clones_and_a_one_device_strategy_trains_as_none():
    X, y = toons(n=24, size=8)
    strategy = "mirrored"  # one CPU device in this process: one replica
    # One batch and no dropout: Keras' extra pass to build a model under a strategy draws
    # one shuffle permutation and dropout mask more, which would change a seeded fit.
    kw = dict(backbone=None, filters=(4,), dropout=0.0, **{**TINY, "batch_size": 24})
    plain = MultiLabelCNN(**kw).fit(X, np.c_[y == "tom", y == "jerry"].astype(int))
    mirrored = MultiLabelCNN(distribution_strategy=strategy, **kw)
    assert clone(mirrored).get_params()["distribution_strategy"] == strategy
    two_gpus = functools.partial(tf.distribute.MirroredStrategy, devices=["/gpu:0", "/gpu:1"])
    unpickled = pickle.loads(pickle.dumps(clone(mirrored).set_params(
        distribution_strategy=two_gpus)))
    assert unpickled.distribution_strategy.keywords == {"devices": ["/gpu:0", "/gpu:1"]}
    mirrored.fit(X, np.c_[y == "tom", y == "jerry"].astype(int))
    assert mirrored.model_.distribute_strategy.num_replicas_in_sync == 1
    np.testing.assert_allclose(mirrored.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    assert TransferClassifier().get_params()["distribution_strategy"] is None


@pytest.mark.parametrize("replicas", [2, 3, 4])
def test_shared_batches_cover_every_image_and_split_evenly_first(replicas):
    for n in range(2 * replicas, 120):
        for batch_size in (1, 2, 3, 7, 8, 32):
            sizes = _shared_sizes(n, batch_size, replicas)
            assert sum(sizes) == n
            assert sizes[0] % replicas == 0 and min(sizes) >= replicas, (n, batch_size)
            assert max(sizes) < max(batch_size, replicas) + 2 * replicas
            for_predict = _covering_sizes(n, batch_size, replicas)  # parts may differ
            assert sum(for_predict) == n and min(for_predict) >= replicas
    assert _shared_sizes(64, 8, 2) == [8] * 8  # divisible: the batches of one device
    assert _shared_sizes(2 * replicas, 1, replicas) == [replicas, replicas]
    for n in range(1, 2 * replicas):
        if n % replicas:
            with pytest.raises(TrainingDataError, match=f"{n} images"):
                _shared_sizes(n, 32, replicas)


def test_partial_fit_trains_under_the_strategy_the_parameter_names_now():
    X, y = toons(n=24, size=8)
    kw = dict(filters=(4,), **{**TINY, "batch_size": 24})

    def strategy(clf):
        return type(getattr(clf.model_, "_distribute_strategy", None)).__name__

    one = CNNClassifier(**kw).fit(X, y)
    before = one.predict_proba(X)
    one.set_params(distribution_strategy="mirrored").partial_fit(X, y)
    assert strategy(one) == "MirroredStrategy" and one.current_epoch == 4
    assert np.abs(one.predict_proba(X) - before).max() > 1e-4  # it trained, from its weights
    unpickled = pickle.loads(pickle.dumps(one))  # loads on one device
    assert strategy(unpickled) == "NoneType"
    assert strategy(unpickled.partial_fit(X, y)) == "MirroredStrategy"
    assert strategy(unpickled.set_params(distribution_strategy=None).partial_fit(X, y)) \
        == "NoneType"
    transfer = TransferClassifier(tiny_backbone, **{**TINY, "batch_size": 24}).fit(X, y)
    frozen = len(transfer.model_.trainable_weights)
    transfer.set_params(distribution_strategy="mirrored").partial_fit(X, y)
    assert strategy(transfer) == "MirroredStrategy"
    assert len(transfer.model_.trainable_weights) == frozen  # the backbone stays frozen
