"""The hierarchy users catch: one base, the built-in each error also is, pickling."""

import inspect
import pickle
import warnings

import numpy as np
import pytest

from tests.conftest import solid, write_image
from toonsklearn import (
    ImageFolderLoader,
    ImageTransformer,
    exceptions,
    load_image_folder,
    load_labels_csv,
)

ERRORS = [
    cls for _, cls in inspect.getmembers(exceptions, inspect.isclass)
    if issubclass(cls, exceptions.ToonsklearnError)
]
WARNINGS = [
    cls for _, cls in inspect.getmembers(exceptions, inspect.isclass)
    if issubclass(cls, exceptions.ToonsklearnWarning)
]
ALSO = {  # the built-in exception code outside toonsklearn already catches
    "ImageDecodeError": ValueError,
    "ImageTooLargeError": ValueError,
    "VideoDecodeError": ValueError,
    "NotRegularFileError": ValueError,
    "MissingFileError": FileNotFoundError,
    "UnreadableFileError": PermissionError,
    "LabelsFileError": ValueError,
    "TrainingDataError": ValueError,
    "WeightsFileError": ValueError,
    "UnsafeCheckpointError": pickle.UnpicklingError,
    "ModelFileError": ValueError,
    "UntrustedTypeError": ValueError,
    "NotSavableError": TypeError,
    "ImageInputError": ValueError,
    "DataFolderError": ValueError,
    "TargetError": ValueError,
    "StorageError": ValueError,
    "StorageAccessError": ConnectionError,
    "NotWritableError": PermissionError,
}


def test_every_public_name_is_listed_and_documented():
    assert sorted(exceptions.__all__) == sorted(cls.__name__ for cls in ERRORS + WARNINGS)
    for cls in ERRORS + WARNINGS:
        assert cls.__doc__ and cls.__module__ == "toonsklearn.exceptions"


@pytest.mark.parametrize("cls", [c for c in ERRORS if c is not exceptions.ToonsklearnError],
                         ids=lambda cls: cls.__name__)
def test_each_error_is_ours_and_the_builtin_users_already_catch(cls):
    error = cls("what went wrong and how to fix it", path="toons/tom/1.png")
    assert isinstance(error, exceptions.ToonsklearnError)
    assert isinstance(error, ALSO[cls.__name__])
    assert str(error) == "what went wrong and how to fix it"
    copy = pickle.loads(pickle.dumps(error))  # joblib workers send errors back pickled
    assert type(copy) is cls and copy.path == error.path and str(copy) == str(error)


def test_a_labels_error_keeps_its_row_across_pickling():
    error = exceptions.LabelsFileError("row 3 is empty", path="labels.csv", row=3)
    assert pickle.loads(pickle.dumps(error)).row == 3


def test_one_filter_escalates_every_warning_of_ours():
    assert exceptions.ToonsklearnWarning in exceptions.SkippedImagesWarning.__mro__
    for cls in WARNINGS:
        with warnings.catch_warnings():
            warnings.simplefilter("error", exceptions.ToonsklearnWarning)
            with pytest.raises(cls):
                warnings.warn("x", cls, stacklevel=1)


# Bad data through the public entry points: each must raise one of ours (with the file in
# ``path`` where a file is at fault) and warn only with ours, never a bare built-in.
def _folder_without_classes(tmp_path):
    write_image(tmp_path / "loose.png", solid(4, 4))
    return lambda: load_image_folder(tmp_path)


def _folder_of_splits(tmp_path):
    write_image(tmp_path / "train" / "tom" / "a.png", solid(4, 4))
    write_image(tmp_path / "test" / "tom" / "a.png", solid(4, 4))
    return lambda: load_image_folder(tmp_path)


def _labels_row_too_long(tmp_path):
    write_image(tmp_path / "a.png", solid(4, 4))
    (tmp_path / "labels.csv").write_text("filename,tom\na.png,1,0\n")
    return lambda: load_labels_csv(tmp_path / "labels.csv")


def _images_of_two_sizes(tmp_path):
    paths = [write_image(tmp_path / "a.png", solid(4, 4)),
             write_image(tmp_path / "b.png", solid(6, 4))]
    return lambda: ImageFolderLoader(size=None).fit_transform(paths)


def _missing_image(tmp_path):
    return lambda: ImageFolderLoader(size=(4, 4)).fit_transform([str(tmp_path / "gone.png")])


def _one_path_not_a_list(tmp_path):
    path = write_image(tmp_path / "a.png", solid(4, 4))
    return lambda: ImageFolderLoader().fit_transform(path)


def _four_channels(tmp_path):
    return lambda: ImageTransformer().fit(np.zeros((2, 8, 8, 4), dtype=np.uint8))


def _nan_pixels(tmp_path):
    return lambda: ImageTransformer().fit(np.full((2, 8, 8, 3), np.nan))


def _nan_pixels_in_fit(tmp_path):
    from toonsklearn import CNNClassifier

    X = np.full((4, 8, 8, 3), np.nan)
    return lambda: CNNClassifier(filters=(4,), epochs=1).fit(X, [0, 1, 0, 1])


def _one_class(tmp_path):
    from toonsklearn import CNNClassifier

    X = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    return lambda: CNNClassifier(filters=(4,), epochs=1).fit(X, ["tom"] * 4)


def _labels_unknown_to_the_model(tmp_path):
    from toonsklearn._utils.targets import indicator_matrix

    return lambda: indicator_matrix([{"tom"}, {"spike"}], labels=["tom", "jerry"])


def _not_a_saved_model(tmp_path):
    from toonsklearn import io

    (tmp_path / "model.toonsklearn").write_text("not a model")
    return lambda: io.load(tmp_path / "model.toonsklearn")


def _storage_in_a_missing_folder(tmp_path):
    from toonsklearn import CNNClassifier
    from toonsklearn.tuning import OptunaSearchCV

    X, y = np.zeros((8, 8, 8, 3), dtype=np.uint8), [0, 1] * 4
    search = OptunaSearchCV(CNNClassifier(filters=(4,), epochs=1), n_trials=1, cv=2,
                            storage=str(tmp_path / "missing" / "study.journal"))
    return lambda: search.fit(X, y)


def _storage_that_is_a_text_file(tmp_path):
    from toonsklearn import CNNClassifier
    from toonsklearn.tuning import OptunaSearchCV

    (tmp_path / "study.db").write_text("not a database")
    X, y = np.zeros((8, 8, 8, 3), dtype=np.uint8), [0, 1] * 4
    search = OptunaSearchCV(CNNClassifier(filters=(4,), epochs=1), n_trials=1, cv=2,
                            storage=f"sqlite:///{tmp_path / 'study.db'}")
    return lambda: search.fit(X, y)


@pytest.mark.parametrize("case, names_a_file", [
    (_folder_without_classes, True),
    (_folder_of_splits, True),
    (_labels_row_too_long, True),
    (_images_of_two_sizes, True),
    (_missing_image, True),
    (_one_path_not_a_list, False),
    (_four_channels, False),
    (_nan_pixels, False),
    (_nan_pixels_in_fit, False),
    (_one_class, False),
    (_labels_unknown_to_the_model, False),
    (_not_a_saved_model, True),
    (_storage_in_a_missing_folder, True),
    (_storage_that_is_a_text_file, True),
], ids=lambda value: value.__name__[1:] if callable(value) else "path" if value else "")
def test_bad_data_gets_an_error_of_ours_never_a_bare_builtin(tmp_path, case, names_a_file):
    call = case(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Exception) as info:
            call()
    assert isinstance(info.value, exceptions.ToonsklearnError), (
        f"{type(info.value).__module__}.{type(info.value).__name__}: {info.value}")
    if names_a_file:
        assert info.value.path, f"no path on {info.value!r}"
    ours = [w for w in caught if "toonsklearn" in w.filename or w.filename == __file__]
    assert all(issubclass(w.category, exceptions.ToonsklearnWarning) for w in ours), [
        (w.category.__name__, str(w.message)) for w in ours]


def test_an_empty_class_folder_warns_with_ours(tmp_path):
    write_image(tmp_path / "tom" / "a.png", solid(4, 4))
    write_image(tmp_path / "jerry" / "a.png", solid(4, 4))
    (tmp_path / "spike").mkdir()
    with pytest.warns(exceptions.EmptyClassWarning, match="'spike'"):
        data = load_image_folder(tmp_path)
    assert data.target_names == ["jerry", "spike", "tom"]
