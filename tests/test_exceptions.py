"""The hierarchy users catch: one base, the built-in each error also is, pickling."""

import inspect
import pickle
import warnings

import pytest

from toonsklearn import exceptions

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
