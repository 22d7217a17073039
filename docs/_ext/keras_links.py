"""Link Keras and TensorFlow names, which publish no Sphinx inventory.

A ``missing-reference`` handler: a reference to ``keras.X`` or ``tf.X`` /
``tensorflow.X`` that no inventory resolved becomes a link to that object's page. Keras
3's pages on keras.io are not named after the objects, so the Keras names these docs use
are listed here with their page; a Keras name missing from the list stays unresolved, and
the nitpicky build fails and names it (add it below). TensorFlow's pages follow the name
(``tf.data.Dataset`` -> ``api_docs/python/tf/data/Dataset``).
"""

from docutils import nodes

KERAS = "https://keras.io/api/"
KERAS_PAGES = {
    "keras": "",
    "keras.Model": "models/model/",
    "keras.Sequential": "models/sequential/",
    "keras.Input": "layers/core_layers/input/",
    "keras.layers.Layer": "layers/base_layer/",
    "keras.layers.RandomFlip": "layers/preprocessing_layers/image_augmentation/random_flip/",
    "keras.layers.RandomRotation":
        "layers/preprocessing_layers/image_augmentation/random_rotation/",
    "keras.layers.RandomZoom": "layers/preprocessing_layers/image_augmentation/random_zoom/",
    "keras.layers.RandomTranslation":
        "layers/preprocessing_layers/image_augmentation/random_translation/",
    "keras.layers.RandomContrast":
        "layers/preprocessing_layers/image_augmentation/random_contrast/",
    "keras.layers.Conv2D": "layers/convolution_layers/convolution2d/",
    "keras.layers.Dense": "layers/core_layers/dense/",
    "keras.layers.Dropout": "layers/regularization_layers/dropout/",
    "keras.layers.BatchNormalization": "layers/normalization_layers/batch_normalization/",
    "keras.callbacks.Callback": "callbacks/base_callback/",
    "keras.callbacks.EarlyStopping": "callbacks/early_stopping/",
    "keras.callbacks.ModelCheckpoint": "callbacks/model_checkpoint/",
    "keras.callbacks.History": "callbacks/",
    "keras.optimizers.Optimizer": "optimizers/",
    "keras.optimizers.Adam": "optimizers/adam/",
    "keras.optimizers.SGD": "optimizers/sgd/",
    "keras.optimizers.schedules.LearningRateSchedule":
        "optimizers/learning_rate_schedules/",
    "keras.regularizers.L2": "layers/regularizers/",
    "keras.applications": "applications/",
    "keras.saving.load_model": "models/model_saving_apis/model_saving_and_loading/",
    "keras.saving.save_model": "models/model_saving_apis/model_saving_and_loading/",
    "keras.utils.image_dataset_from_directory": "data_loading/image/",
}
TENSORFLOW = "https://www.tensorflow.org/api_docs/python/"


def target_url(target):
    if target in KERAS_PAGES:
        return KERAS + KERAS_PAGES[target]
    for prefix in ("tf.", "tensorflow."):
        if target.startswith(prefix):
            return TENSORFLOW + "tf/" + target[len(prefix):].replace(".", "/")
    return None


def resolve(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    url = target_url(node["reftarget"])
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url,
                                reftitle=f"(in Keras / TensorFlow) {node['reftarget']}")
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
