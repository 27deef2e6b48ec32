"""Lesson 14: mylib's datasets, DataLoader and cross-entropy against torch.

In the order of the lesson: the given `TensorDataset` and `default_collate`; build piece 1,
`DataLoader.__iter__` (torch's batches with shuffle=False, one permutation per epoch with
shuffle=True); build piece 2, `random_split` (torch's sizes, consecutive pieces of one
permutation); MNIST-5k and the MNIST IDX reader (tiny IDX files written here, never the
network); `one_hot`; build pieces 3 and 4, `NegativeLogLikelihood` (`nll_loss`), and 5,
`cross_entropy`, against torch for every option: float64 values and gradients with rtol 1e-10
for logits up to ±1e3, finite and warning-free up to ±1e4; the error messages; the loss modules;
a whole training run.
"""
import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F
import torch.utils.data as torch_data
from hypothesis import given, settings
from hypothesis import strategies as st

import mylib.functional as F
from mylib import Tensor, nn, optim
from mylib import datasets
from mylib.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from mylib.datasets import MNIST, MNIST5k, read_idx
from tests.compare import FLOAT32, assert_same

DATA = Path(__file__).resolve().parents[1] / "data"
REDUCTIONS = ("mean", "sum", "none")
EXACT = dict(rtol=1e-10, atol=1e-12)  # float64, the same maths: the brief's rtol 1e-10
examples = settings(max_examples=60, deadline=None)


def pairs_of_datasets(n, seed=0):
    """The same n examples (features float64 (n, 3), labels int64) as a mylib and a torch TensorDataset."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 3)), rng.integers(0, 10, size=n)
    return (TensorDataset(Tensor(x), Tensor(y)),
            torch_data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), x, y)


def assert_same_batches(ours, theirs, what):
    """Two lists of batches (tuples of tensors) hold the same values, shapes and dtypes."""
    assert len(ours) == len(theirs), f"{what}: expected {len(theirs)} batches (torch), got {len(ours)}"
    for k, (batch, expected) in enumerate(zip(ours, theirs)):
        assert isinstance(batch, tuple) and len(batch) == len(expected), \
            f"{what}, batch {k}: expected a tuple of {len(expected)} Tensors, got {type(batch).__name__}"
        for part, (got, want) in enumerate(zip(batch, expected)):
            assert_same(got, want, f"{what}, batch {k}, part {part}")


# ---- given: TensorDataset, Subset, default_collate -----------------------------------------------

def test_tensor_dataset_indexes_like_torch():
    """TensorDataset(x, y)[i] is (x[i], y[i]) and len() the number of rows, as torch's, for Tensors and arrays."""
    ours, theirs, x, y = pairs_of_datasets(7)
    assert len(ours) == len(theirs) == 7, f"len(TensorDataset of 7 rows): expected 7, got {len(ours)}"
    for i in (0, 3, -1):
        for part in range(2):
            assert_same(ours[i][part], theirs[i][part], f"TensorDataset(x, y)[{i}][{part}]")
    from_arrays = TensorDataset(x, y)
    np.testing.assert_array_equal(from_arrays[2][0], x[2], err_msg="TensorDataset of numpy arrays: ds[2][0] is x[2]")


def test_tensor_dataset_refuses_tensors_of_different_lengths():
    """TensorDataset refuses tensors with different first dimensions, with torch's AssertionError."""
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(Tensor(np.zeros((4, 2))), Tensor(np.zeros(3)))


def test_default_collate_equals_torchs():
    """default_collate stacks tensors, arrays and numbers as torch's does (a tuple where torch gives a list)."""
    rng = np.random.default_rng(1)
    rows, floats, ints = rng.normal(size=(4, 2, 3)), rng.normal(size=4).tolist(), [3, 1, 4, 1]
    samples = [(Tensor(rows[i]), rows[i], floats[i], ints[i], np.int64(ints[i])) for i in range(4)]
    torch_samples = [(torch.from_numpy(rows[i]), rows[i], floats[i], ints[i], np.int64(ints[i])) for i in range(4)]
    ours, theirs = default_collate(samples), torch_data.default_collate(torch_samples)
    assert isinstance(ours, tuple) and len(ours) == 5, f"default_collate of 5-tuples: expected a tuple of 5, got {ours!r}"
    for k, (got, expected) in enumerate(zip(ours, theirs)):
        assert_same(got, expected, f"default_collate, position {k} of samples (Tensor, array, float, int, np.int64)")
    as_dicts = default_collate([{"x": rows[i], "label": ints[i]} for i in range(4)])
    assert_same(as_dicts["label"], torch.tensor(ints), "default_collate of dicts, key 'label'")


def test_getitems_gives_the_collated_batch():
    """TensorDataset.__getitems__(indices) equals default_collate of the samples one by one."""
    ours, _, _, _ = pairs_of_datasets(9)
    indices = [4, 0, 8, 4]
    fast, slow = ours.__getitems__(indices), default_collate([ours[i] for i in indices])
    for part in range(2):
        assert_same(fast[part], torch.from_numpy(slow[part].data), f"__getitems__({indices}), part {part}")


# ---- build piece 1: DataLoader.__iter__ ------------------------------------------------------------

@examples
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_dataloader_without_shuffle_gives_torchs_batches(n, batch_size, drop_last):
    """DataLoader(shuffle=False) yields exactly torch's batches, for any number of examples, batch size, drop_last."""
    ours, theirs, _, _ = pairs_of_datasets(n)
    got = list(DataLoader(ours, batch_size=batch_size, drop_last=drop_last))
    expected = list(torch_data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last))
    assert_same_batches(got, expected, f"DataLoader({n} examples, batch_size={batch_size}, drop_last={drop_last})")


@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 3), (2, 5), (0, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_is_the_number_of_batches(n, batch_size, drop_last):
    """len(DataLoader) is the number of batches of one epoch, as in torch."""
    ours, theirs, _, _ = pairs_of_datasets(n)
    loader = DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    expected = len(torch_data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last))
    assert len(loader) == expected, f"len(DataLoader({n} examples, batch_size={batch_size}, drop_last={drop_last})): " \
                                    f"expected {expected} (torch), got {len(loader)}"
    assert len(list(loader)) == expected, f"DataLoader({n} examples, batch_size={batch_size}, drop_last={drop_last}) " \
                                          f"yielded {len(list(loader))} batches, expected {expected}"


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffle_draws_one_permutation_per_epoch(drop_last):
    """shuffle=True: each epoch reads the examples in the order generator.permutation(n), one call per epoch."""
    ids = np.arange(17)
    loader = DataLoader(TensorDataset(Tensor(ids)), batch_size=4, shuffle=True, drop_last=drop_last, generator=5)
    rng = np.random.default_rng(5)
    for epoch in range(3):
        got = np.concatenate([ids_batch.data for (ids_batch,) in loader])
        expected = rng.permutation(17)[:16 if drop_last else 17]
        assert np.array_equal(got, expected), \
            f"DataLoader(17 examples, batch_size=4, shuffle=True, drop_last={drop_last}, generator=5), epoch {epoch}: " \
            f"expected the order {expected.tolist()} (generator.permutation(17), once per epoch), got {got.tolist()}"


def test_a_generator_object_is_shared_and_advanced():
    """A numpy Generator passed to DataLoader is used as is: two loaders on one generator take turns drawing from it."""
    shared = np.random.default_rng(11)
    first = DataLoader(TensorDataset(np.arange(6)), batch_size=6, shuffle=True, generator=shared)
    second = DataLoader(TensorDataset(np.arange(6)), batch_size=6, shuffle=True, generator=shared)
    got = [next(iter(first))[0].data, next(iter(second))[0].data]
    rng = np.random.default_rng(11)
    expected = [rng.permutation(6), rng.permutation(6)]
    assert all(np.array_equal(g, e) for g, e in zip(got, expected)), \
        f"two loaders on one Generator(seed 11): expected the orders {[e.tolist() for e in expected]}, " \
        f"got {[g.tolist() for g in got]}"


def test_unseeded_shuffle_still_reads_every_example_once():
    """shuffle=True without a generator reads each example exactly once per epoch."""
    loader = DataLoader(TensorDataset(np.arange(50)), batch_size=7, shuffle=True)
    got = sorted(np.concatenate([b.data for (b,) in loader]).tolist())
    assert got == list(range(50)), f"an unseeded shuffled epoch of 50 examples read {got}"


class Squares(Dataset):
    """A dataset without __getitems__: samples (i, i²/2) as Python numbers."""

    def __len__(self):
        return 11

    def __getitem__(self, index):
        if not 0 <= index < 11:
            raise IndexError(index)
        return index, index * index / 2


def test_a_dataset_without_getitems_is_read_sample_by_sample():
    """A Dataset with only __len__/__getitem__ gives torch's batches: Python ints → int64, floats → float64."""
    got = list(DataLoader(Squares(), batch_size=4))
    expected = list(torch_data.DataLoader(Squares(), batch_size=4))
    assert_same_batches(got, expected, "DataLoader(Squares(), batch_size=4)")


def test_collate_fn_receives_the_list_of_samples():
    """A custom collate_fn receives each batch as the list of samples, in order."""
    got = list(DataLoader(Squares(), batch_size=3, collate_fn=list))
    assert got[0] == [(0, 0.0), (1, 0.5), (2, 2.0)] and len(got) == 4, \
        f"DataLoader(Squares(), batch_size=3, collate_fn=list): expected the batches [(0, 0.0), (1, 0.5), (2, 2.0)], …, " \
        f"got {got[:2]}…"


@pytest.mark.parametrize("kwargs, error", [({"batch_size": 0}, ValueError), ({"batch_size": -2}, ValueError),
                                           ({"batch_size": 2.5}, ValueError), ({"shuffle": "yes"}, TypeError),
                                           ({"drop_last": 1}, TypeError), ({"collate_fn": 3}, TypeError),
                                           ({"generator": torch.Generator()}, TypeError)])
def test_dataloader_refuses_bad_arguments(kwargs, error):
    """DataLoader refuses a batch_size that is not a positive int, non-bool shuffle/drop_last, a torch generator."""
    with pytest.raises(error):
        DataLoader(Squares(), **kwargs)


# ---- build piece 2: random_split -------------------------------------------------------------------

@examples
@given(n=st.integers(0, 60), parts=st.integers(1, 5), data=st.data())
def test_random_split_sizes_equal_torchs(n, parts, data):
    """random_split gives parts of torch's sizes, for integer lengths and for fractions (torch's remainder rule)."""
    if data.draw(st.booleans(), label="fractions"):
        cuts = sorted(data.draw(st.lists(st.integers(0, 100), min_size=parts - 1, max_size=parts - 1), label="cuts"))
        lengths = [(b - a) / 100 for a, b in zip([0] + cuts, cuts + [100])]
        if not (abs(sum(lengths) - 1) < 1e-9 and sum(lengths) <= 1):
            return  # rounding made them sum to just above 1: torch treats them as sizes
    else:
        cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=parts - 1, max_size=parts - 1), label="cuts"))
        lengths = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about empty parts (tested below)
        expected = [len(p) for p in torch_data.random_split(range(n), lengths)]
        got = [len(p) for p in random_split(range(n), lengths, generator=0)]
    assert got == expected, f"random_split(range({n}), {lengths}): expected sizes {expected} (torch), got {got}"


@pytest.mark.parametrize("lengths", [[5, 8, 0, 7], [0.5, 0.3, 0.2]])
def test_random_split_cuts_one_permutation(lengths):
    """The parts of random_split are consecutive pieces of generator.permutation(n): disjoint, covering everything."""
    parts = random_split(range(20), lengths, generator=np.random.default_rng(4))
    order = np.random.default_rng(4).permutation(20).tolist()
    sizes = [len(p) for p in parts]
    starts = np.cumsum([0] + sizes[:-1])
    for k, (part, start, size) in enumerate(zip(parts, starts, sizes)):
        got = [int(i) for i in part.indices]
        assert got == order[start:start + size], \
            f"random_split(range(20), {lengths}, generator=rng(4)), part {k}: expected the indices " \
            f"{order[start:start + size]} (the next {size} of generator.permutation(20)), got {got}"
        assert [part[i] for i in range(size)] == got, f"part {k}[i] must be the dataset's example part.indices[i]"


def test_random_split_with_a_seed_repeats_and_a_generator_advances():
    """An int seed gives the same split every time; one Generator used twice gives two different splits."""
    first, again = (random_split(range(30), [10, 20], generator=8) for _ in range(2))
    assert list(first[0].indices) == list(again[0].indices), "random_split(…, generator=8) must repeat its split"
    shared = np.random.default_rng(8)
    one, two = (random_split(range(30), [10, 20], generator=shared) for _ in range(2))
    assert list(one[0].indices) != list(two[0].indices), "one Generator used twice must give two different splits"


@pytest.mark.parametrize("lengths", [[3, 4], [0.5, 0.6], [-1, 11], [2.5, 7.5]])
def test_random_split_refuses_lengths_that_do_not_fit(lengths):
    """random_split refuses lengths that do not sum to len(dataset) (or fractions to 1), with torch's ValueError."""
    with pytest.raises(ValueError):
        random_split(range(10), lengths, generator=0)


def test_a_loader_over_a_subset_reads_the_subsets_rows():
    """DataLoader over a Subset of a TensorDataset gives the rows at subset.indices, in order."""
    ours, _, x, y = pairs_of_datasets(12)
    subset = Subset(ours, [7, 2, 9, 2, 0])
    batches = list(DataLoader(subset, batch_size=2))
    got = np.concatenate([features.data for features, _ in batches])
    np.testing.assert_array_equal(got, x[[7, 2, 9, 2, 0]], err_msg="DataLoader(Subset(ds, [7, 2, 9, 2, 0]))")


# ---- MNIST-5k and the MNIST reader -----------------------------------------------------------------

def test_mnist5k_has_the_fixed_stratified_split():
    """MNIST5k: 4 000 training and 1 000 test images, 400 and 100 per class, the first 400 of each class train."""
    train, test = MNIST5k(DATA), MNIST5k(DATA, train=False)
    with gzip.open(DATA / "mnist_5k.csv.gz", "rt") as file:
        rows = np.loadtxt(file, delimiter=",", dtype=np.uint8)
    for ds, size, per_class in ((train, 4000, 400), (test, 1000, 100)):
        assert len(ds) == size and ds.data.shape == (size, 28, 28) and ds.data.dtype == np.uint8, \
            f"MNIST5k(train={ds is train}): expected {size} uint8 images of 28×28, got {ds.data.shape} {ds.data.dtype}"
        assert ds.targets.dtype == np.int64 and np.bincount(ds.targets).tolist() == [per_class] * 10, \
            f"MNIST5k(train={ds is train}): expected {per_class} int64 labels per class, got {np.bincount(ds.targets)}"
    sevens = rows[rows[:, -1] == 7]
    np.testing.assert_array_equal(train.data[train.targets == 7].reshape(400, -1), sevens[:400, :-1],
                                  err_msg="the training sevens are the first 400 sevens of the file")
    np.testing.assert_array_equal(test.data[test.targets == 7].reshape(100, -1), sevens[400:, :-1],
                                  err_msg="the test sevens are the last 100 sevens of the file")


def test_mnist5k_items_are_image_and_int_label():
    """MNIST5k()[i] is (uint8 image, int label), or (transform(image), label) with a transform."""
    image, label = MNIST5k(DATA)[5]
    assert image.shape == (28, 28) and image.dtype == np.uint8 and type(label) is int, \
        f"MNIST5k()[5]: expected a uint8 (28, 28) image and an int, got {image.shape} {image.dtype}, {type(label).__name__}"
    flat, _ = MNIST5k(DATA, transform=lambda img: img.reshape(-1) / 255)[5]
    np.testing.assert_allclose(flat, image.reshape(-1) / 255, err_msg="MNIST5k(transform=f)[i] applies f to the image")


def test_mnist5k_missing_file_says_where_it_belongs(tmp_path):
    """MNIST5k on a folder without the file: a FileNotFoundError (and RuntimeError, as torchvision) naming the path."""
    with pytest.raises(FileNotFoundError, match="mnist_5k.csv.gz") as caught:
        MNIST5k(tmp_path)
    assert isinstance(caught.value, RuntimeError), "the error should also be a RuntimeError, as torchvision's is"


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """`array` in the IDX format: 0, 0, type code, ndim, the sizes (big-endian int32), the data (big-endian)."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(root: Path, prefix: str, images: np.ndarray, labels: np.ndarray, compress: bool) -> None:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        content = idx_bytes(array)
        (raw / (name + ".gz" if compress else name)).write_bytes(gzip.compress(content) if compress else content)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    """MNIST(root) reads root/MNIST/raw's IDX files, raw or .gz: uint8 (N, 28, 28) images, int64 labels."""
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8), np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_mnist(tmp_path, "t10k", images, labels, compress)
    ds = MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data, images, err_msg=f"MNIST(train=False) images from {'gz' if compress else 'raw'} IDX")
    assert ds.targets.dtype == np.int64 and ds.targets.tolist() == [3, 1, 4, 1, 5], \
        f"MNIST(train=False).targets: expected int64 [3, 1, 4, 1, 5], got {ds.targets.dtype} {ds.targets.tolist()}"
    image, label = ds[2]
    assert label == 4 and np.array_equal(image, images[2]), "MNIST()[2] must be (image 2, label 4)"


def test_read_idx_reads_other_types_and_refuses_broken_files(tmp_path):
    """read_idx reads big-endian int32/float64 IDX arrays and refuses a file that is not IDX or is cut short."""
    array = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(array, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), array, err_msg="read_idx of an int32 IDX file")
    floats = np.linspace(0, 1, 5)
    (tmp_path / "f.idx").write_bytes(idx_bytes(floats, 0x0E))
    np.testing.assert_array_equal(read_idx(tmp_path / "f.idx"), floats, err_msg="read_idx of a float64 IDX file")
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04 not idx")
    (tmp_path / "short.idx").write_bytes(idx_bytes(array, 0x0C)[:-3])
    for name in ("bad.idx", "short.idx"):
        with pytest.raises(ValueError):
            read_idx(tmp_path / name)


def test_mnist_missing_files_say_where_they_go(tmp_path):
    """MNIST without its files: an error naming root/MNIST/raw and how to get the files (download=True)."""
    with pytest.raises(FileNotFoundError) as caught:
        MNIST(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "download=True" in message, \
        f"the error should name the folder {tmp_path / 'MNIST' / 'raw'} and download=True; it says: {message}"


def test_mnist_download_keeps_only_files_with_the_right_sha256(tmp_path, monkeypatch):
    """MNIST(download=True) fetches each file (the network replaced here), keeping it only if its sha256 matches."""
    rng = np.random.default_rng(1)
    contents = {f"{p}-images-idx3-ubyte.gz": gzip.compress(idx_bytes(rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)))
                for p in ("train", "t10k")}
    contents.update({f"{p}-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.array([0, 9], dtype=np.uint8)))
                     for p in ("train", "t10k")})
    monkeypatch.setattr(MNIST, "resources", {name: hashlib.sha256(c).hexdigest() for name, c in contents.items()})
    fetched = []

    def fake_fetch(url):
        fetched.append(url)
        mirror, name = url.rsplit("/", 1)
        if mirror + "/" == MNIST.mirrors[0]:
            return b"a corrupted download"  # the first mirror serves garbage: its sha256 is wrong
        return contents[name]

    monkeypatch.setattr(datasets, "_fetch_url", fake_fetch)
    ds = MNIST(tmp_path, train=True, download=True)
    assert len(ds) == 2 and ds.targets.tolist() == [0, 9], "MNIST(download=True) must read the downloaded files"
    assert len(fetched) == 8, f"each of the 4 files should be tried on both mirrors (the first is corrupt): {fetched}"
    monkeypatch.setattr(datasets, "_fetch_url", lambda url: b"garbage everywhere")
    with pytest.raises(RuntimeError, match="sha256"):
        MNIST(tmp_path / "elsewhere", download=True)


# ---- given: one_hot --------------------------------------------------------------------------------

@pytest.mark.parametrize("labels, num_classes", [([0, 2, 1, 2, 3], -1), ([0, 2, 1], 5), ([[1, 0], [2, 2]], 3), ([], 4)])
def test_one_hot_equals_torchs(labels, num_classes):
    """one_hot(labels, num_classes) equals torch's one_hot: int64 rows with one 1 each."""
    array = np.array(labels, dtype=np.int64)
    expected = torch_F.one_hot(torch.from_numpy(array), num_classes)
    assert_same(F.one_hot(Tensor(array), num_classes), expected, f"one_hot({labels}, num_classes={num_classes})")


@pytest.mark.parametrize("labels, num_classes", [([0, -1], -1), ([0, 3], 3), ([0.0, 1.0], -1), ([], -1)])
def test_one_hot_refuses_what_torch_refuses(labels, num_classes):
    """one_hot refuses negative labels, labels >= num_classes, float labels and an empty input without num_classes."""
    array = np.array(labels, dtype=np.float64 if any(isinstance(v, float) for v in labels) else np.int64)
    with pytest.raises(RuntimeError):
        F.one_hot(Tensor(array), num_classes)


# ---- build pieces 3 and 4: NegativeLogLikelihood (nll_loss) ---------------------------------------

def random_log_probs(n, c, seed=0, scale=3.0):
    scores = np.random.default_rng(seed).normal(scale=scale, size=(n, c))
    return torch_F.log_softmax(torch.from_numpy(scores), dim=1).numpy()


def options_text(options):
    return ", ".join(f"{k}={'w' if isinstance(v, np.ndarray) else repr(v)}" for k, v in options.items())


def run_both(ours_fn, torch_fn, x, target, what, gradient=True, tolerance=EXACT, **options):
    """The same loss in mylib and torch on `x` and `target`; compare the values and (optionally) the gradients."""
    mx, tx = Tensor(x, requires_grad=gradient), torch.tensor(x, requires_grad=gradient)
    torch_options = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    ours = ours_fn(mx, Tensor(target), **options)
    theirs = torch_fn(tx, torch.from_numpy(target), **torch_options)
    assert_same(ours, theirs, what, equal_nan=True, **tolerance)
    if gradient:
        upstream = np.random.default_rng(2).uniform(0.5, 1.5, size=ours.shape).astype(x.dtype)
        ours.backward(upstream)
        theirs.backward(torch.from_numpy(upstream))
        assert_same(mx.grad, tx.grad, f"the gradient of {what}", equal_nan=True, **tolerance)


NLL_OPTIONS = [{}, {"weight": np.array([0.5, 2.0, 1.0, 3.0])}, {"ignore_index": 2},
               {"weight": np.array([0.5, 2.0, 1.0, 3.0]), "ignore_index": 0}]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS, ids=["plain", "weight", "ignore_index", "both"])
def test_nll_loss_values_equal_torch(reduction, options):
    """nll_loss equals torch's for every reduction, with weight and ignore_index."""
    target = np.array([3, 0, 2, 2, 1, 0, 3])
    x = random_log_probs(7, 4)
    what = f"nll_loss(log_probs (7, 4), target, reduction={reduction!r}{', ' if options else ''}{options_text(options)})"
    run_both(F.nll_loss, torch_F.nll_loss, x, target, what, gradient=False, reduction=reduction, **options)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS, ids=["plain", "weight", "ignore_index", "both"])
def test_nll_loss_gradients_equal_torch(reduction, options):
    """The gradient of nll_loss equals torch's: -weight[y] (scaled by the reduction) at each picked entry, 0 elsewhere."""
    target = np.array([3, 0, 2, 2, 1, 0, 3])
    x = random_log_probs(7, 4, seed=1)
    what = f"nll_loss(log_probs (7, 4), target, reduction={reduction!r}{', ' if options else ''}{options_text(options)})"
    run_both(F.nll_loss, torch_F.nll_loss, x, target, what, reduction=reduction, **options)


@st.composite
def class_cases(draw, scale=None):
    """(scores (N, C), target, options) for one call: any N, C, every option, some ignored targets."""
    n, c = draw(st.integers(1, 9)), draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(scale=scale or draw(st.sampled_from([1.0, 30.0, 1e3])), size=(n, c)).clip(-1e3, 1e3)
    options = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    ignore_index = draw(st.sampled_from([-100, 0, 2]))
    if ignore_index != -100:
        options["ignore_index"] = ignore_index
    target = rng.integers(0, c, size=n)
    target[rng.uniform(size=n) < 0.2] = ignore_index
    if draw(st.booleans()):
        options["weight"] = rng.uniform(0.1, 3.0, size=c)
    return x, target, options


@examples
@given(class_cases(scale=3.0))
def test_nll_loss_equals_torch_on_random_cases(case):
    """nll_loss equals torch's on random shapes, targets and options, gradients included."""
    x, target, options = case
    log_probs = torch_F.log_softmax(torch.from_numpy(x), dim=1).numpy()
    run_both(F.nll_loss, torch_F.nll_loss, log_probs, target,
             f"nll_loss(log_probs {x.shape}, target={target.tolist()}, {options_text(options)})", **options)


# ---- build piece 5: cross_entropy ----------------------------------------------------------------

def extreme_scores(n=8, c=5, seed=3):
    """Scores up to ±1000, with a row of both extremes."""
    x = np.random.default_rng(seed).normal(scale=300, size=(n, c)).clip(-1e3, 1e3)
    x[0, :3] = [1e3, -1e3, 0.0]
    return x


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_equals_torch_for_every_option(label_smoothing, reduction, weighted, ignore_index):
    """cross_entropy equals torch's, values and gradients (rtol 1e-10), for every option, logits up to ±1e3."""
    target = np.array([0, 1, 4, 2, 3, ignore_index, 1, 0])
    options = {"reduction": reduction, "ignore_index": ignore_index, "label_smoothing": label_smoothing}
    if weighted:
        options["weight"] = np.array([1.0, 0.5, 2.0, 3.0, 0.25])
    run_both(F.cross_entropy, torch_F.cross_entropy, extreme_scores(), target,
             f"cross_entropy(scores up to ±1e3 (8, 5), target={target.tolist()}, {options_text(options)})", **options)


@examples
@given(class_cases(), st.sampled_from([0.0, 0.05, 0.3, 1.0]))
def test_cross_entropy_equals_torch_on_random_cases(case, label_smoothing):
    """cross_entropy equals torch's on random shapes, targets and options, label smoothing included."""
    x, target, options = case
    run_both(F.cross_entropy, torch_F.cross_entropy, x, target,
             f"cross_entropy(scores {x.shape}, target={target.tolist()}, {options_text(options)}, "
             f"label_smoothing={label_smoothing})", label_smoothing=label_smoothing, **options)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_is_finite_and_silent_up_to_1e4(label_smoothing):
    """cross_entropy of logits ±1e4 is finite, warns nothing, and equals torch's, gradients included."""
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, -1e4], [0.0, -1e4, 1e4]])
    target = np.array([1, 2, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow / invalid-value warnings fail the test
        run_both(F.cross_entropy, torch_F.cross_entropy, x, target,
                 f"cross_entropy(logits ±1e4, label_smoothing={label_smoothing})", label_smoothing=label_smoothing)


def test_cross_entropy_keeps_float32():
    """cross_entropy of float32 scores is float32 (a float64 weight does not promote it) and matches torch's float32."""
    x = np.random.default_rng(4).normal(scale=5, size=(6, 4)).astype(np.float32)
    target = np.array([0, 3, 1, 1, 2, 0])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    ours = F.cross_entropy(Tensor(x), Tensor(target), weight=weight, label_smoothing=0.1)
    assert ours.dtype == np.float32, f"cross_entropy of float32 scores returned {ours.dtype}"
    run_both(F.cross_entropy, torch_F.cross_entropy, x, target, "cross_entropy in float32", tolerance=FLOAT32,
             weight=weight.astype(np.float32), label_smoothing=0.1)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_every_target_ignored_is_nan_with_zero_gradient_like_torch(label_smoothing, reduction):
    """When every target is ignore_index: torch's nan (mean) or 0 (sum, none), and a zero gradient."""
    x = np.random.default_rng(5).normal(size=(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0/0 for the mean: numpy may warn (the reference does not)
        run_both(F.cross_entropy, torch_F.cross_entropy, x, np.full(3, -100),
                 f"cross_entropy with every target ignored, reduction={reduction!r}, label_smoothing={label_smoothing}",
                 reduction=reduction, label_smoothing=label_smoothing)


def error_cases():
    x = Tensor(np.zeros((4, 3)))
    return {
        "float targets": (RuntimeError, lambda: F.cross_entropy(x, Tensor(np.array([0.0, 1.0, 2.0, 1.0])))),
        "bool targets": (RuntimeError, lambda: F.cross_entropy(x, Tensor(np.array([True, False, True, True])))),
        "a class too large": (IndexError, lambda: F.cross_entropy(x, Tensor(np.array([0, 1, 3, 1])))),
        "a negative class": (IndexError, lambda: F.cross_entropy(x, Tensor(np.array([0, -1, 2, 1])))),
        "too few targets": (ValueError, lambda: F.cross_entropy(x, Tensor(np.array([0, 1, 2])))),
        "a 2-D target": (ValueError, lambda: F.nll_loss(x, Tensor(np.array([[0, 1, 2, 1]])))),
        "a 1-D input": (ValueError, lambda: F.cross_entropy(Tensor(np.zeros(3)), Tensor(np.array([1])))),
        "a weight per row": (RuntimeError, lambda: F.cross_entropy(x, Tensor(np.array([0, 1, 2, 1])), weight=np.ones(4))),
        "label_smoothing 1.5": (RuntimeError, lambda: F.cross_entropy(x, Tensor(np.array([0, 1, 2, 1])),
                                                                      label_smoothing=1.5)),
        "an unknown reduction": (ValueError, lambda: F.nll_loss(x, Tensor(np.array([0, 1, 2, 1])), reduction="avg")),
    }


@pytest.mark.parametrize("case", list(error_cases()))
def test_bad_inputs_get_torchs_exception_types(case):
    """Float or out-of-range targets, mismatched shapes, a wrong weight or label_smoothing: torch's exception types."""
    error, call = error_cases()[case]
    with pytest.raises(error):
        call()


# ---- the loss modules and a training run -----------------------------------------------------------

def test_loss_modules_equal_torchs():
    """nn.CrossEntropyLoss and nn.NLLLoss with options equal torch's modules."""
    x, target = extreme_scores(), np.array([0, 1, 4, 2, 3, 2, 1, 0])
    weight = np.array([1.0, 0.5, 2.0, 3.0, 0.25])
    ours = nn.CrossEntropyLoss(weight=weight, ignore_index=2, reduction="sum", label_smoothing=0.2)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weight), ignore_index=2, reduction="sum",
                                       label_smoothing=0.2)
    assert_same(ours(Tensor(x), Tensor(target)), theirs(torch.from_numpy(x), torch.from_numpy(target)),
                "nn.CrossEntropyLoss(weight=w, ignore_index=2, reduction='sum', label_smoothing=0.2)", **EXACT)
    log_probs = random_log_probs(8, 5)
    assert_same(nn.NLLLoss(weight=weight, ignore_index=0)(Tensor(log_probs), Tensor(target)),
                torch.nn.NLLLoss(weight=torch.from_numpy(weight), ignore_index=0)(torch.from_numpy(log_probs),
                                                                                  torch.from_numpy(target)),
                "nn.NLLLoss(weight=w, ignore_index=0)", **EXACT)
    with pytest.raises(RuntimeError):
        nn.CrossEntropyLoss(label_smoothing=2.0)


def test_softmax_regression_trains_like_torch():
    """Softmax regression, trained with DataLoader + CrossEntropyLoss + SGD, has torch's loss at every step (float64)."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(50, 6)), rng.integers(0, 3, size=50)
    torch.manual_seed(0)
    torch_model = torch.nn.Linear(6, 3).double()
    model = nn.Linear(6, 3, dtype=np.float64)
    model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    loss_fn, torch_loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05), torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    opt, torch_opt = optim.SGD(model.parameters(), lr=0.5), torch.optim.SGD(torch_model.parameters(), lr=0.5)
    loader = DataLoader(TensorDataset(Tensor(x), Tensor(y)), batch_size=8)
    torch_loader = torch_data.DataLoader(torch_data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    ours, theirs = [], []
    for epoch in range(3):
        for (xb, yb), (txb, tyb) in zip(loader, torch_loader):
            for model_, loss_fn_, opt_, losses, xs, ys in ((model, loss_fn, opt, ours, xb, yb),
                                                           (torch_model, torch_loss_fn, torch_opt, theirs, txb, tyb)):
                loss = loss_fn_(model_(xs), ys)
                opt_.zero_grad()
                loss.backward()
                opt_.step()
                losses.append(loss.item())
    assert_same(np.array(ours), torch.tensor(theirs, dtype=torch.float64), "the losses of 21 SGD steps of softmax regression", **EXACT)


@pytest.mark.parametrize("batch", [[1, 2.5], [1, 2], [2.5, 1], [True, False]], ids=str)
def test_default_collate_of_python_numbers_has_torchs_dtype(batch):
    """default_collate of Python numbers: the first element decides, as in torch ([1, 2.5] is float32, [2.5, 1] float64)."""
    assert_same(default_collate(batch), torch_data.default_collate(batch), f"default_collate({batch})")


def test_nll_loss_of_an_input_that_is_not_n_by_c_is_a_runtime_error_too():
    """nll_loss of an (N, C, d) input: mylib supports (N, C) only and says how to reshape; torch's RuntimeError type."""
    with pytest.raises(RuntimeError):
        torch_F.nll_loss(torch.zeros(2, 3, 4, dtype=torch.float64), torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"shape \(N, C\).*permute"):
        F.nll_loss(Tensor(np.zeros((2, 3, 4))), Tensor(np.array([0, 1])))


def test_dataloader_batch_size_none_yields_samples_converted_as_torch():
    """DataLoader(batch_size=None) yields each sample uncollated, numpy arrays made tensors (torch's default_convert)."""
    ours_ds, torch_ds, x, y = pairs_of_datasets(4)
    labels_np = TensorDataset(Tensor(x), y)  # the labels a numpy array: each one a numpy int64, made a tensor
    for dataset, what in ((ours_ds, "Tensors"), (labels_np, "Tensor features, numpy labels")):
        loader = DataLoader(dataset, batch_size=None)
        ours, theirs = list(loader), list(torch_data.DataLoader(torch_ds, batch_size=None))
        assert len(loader) == len(ours) == len(theirs) == 4, f"DataLoader({what}, batch_size=None) has 4 steps"
        for k, (sample, expected) in enumerate(zip(ours, theirs)):
            assert type(sample) is type(expected) is list, f"step {k}: torch yields a list, got {type(sample).__name__}"
            for part, (got, want) in enumerate(zip(sample, expected)):
                assert isinstance(got, Tensor), f"DataLoader({what}, batch_size=None), step {k}, part {part}: a Tensor"
                assert_same(got, want, f"DataLoader({what}, batch_size=None), step {k}, part {part}")
    samples = [np.float32(1.5), (np.arange(2), 3, "a"), {"x": np.ones(2)}, [np.array(["s"])]]
    ours, theirs = list(DataLoader(samples, batch_size=None)), list(torch_data.DataLoader(samples, batch_size=None))
    assert_same(ours[0], theirs[0], "a numpy float32 sample")
    assert_same(ours[1][0], theirs[1][0], "a numpy array inside a tuple")
    assert ours[1][1:] == theirs[1][1:] == [3, "a"] and type(ours[1]) is type(theirs[1]) is list
    assert_same(ours[2]["x"], theirs[2]["x"], "a numpy array inside a dict")
    assert ours[3][0] is samples[3][0] and theirs[3][0] is samples[3][0], "an array of strings stays as it is"
    doubled = list(DataLoader(ours_ds, batch_size=None, collate_fn=lambda sample: sample[1] * 2))
    assert [int(t.item()) for t in doubled] == [int(v) * 2 for v in y], "collate_fn gets each sample alone"
    shuffled = [int(s[1].item()) for s in DataLoader(ours_ds, batch_size=None, shuffle=True, generator=3)]
    assert sorted(shuffled) == sorted(int(v) for v in y)
    for library in (DataLoader, torch_data.DataLoader):
        with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
            library(samples, batch_size=None, drop_last=True)


@pytest.mark.parametrize("lengths", [[1.0, 0.0], [0.5, 0.5], [0.0, 0.5, 0.5], [0.9, 0.05, 0.05]], ids=str)
def test_random_split_warns_about_an_empty_part_as_torch(lengths):
    """random_split by fractions warns "Length of split at index i is 0" for each empty part, as torch's does."""
    ours_ds, torch_ds, _, _ = pairs_of_datasets(1)
    caught = {}
    for library, dataset in ((random_split, ours_ds), (torch_data.random_split, torch_ds)):
        with warnings.catch_warnings(record=True) as found:
            warnings.simplefilter("always")
            sizes = [len(part) for part in library(dataset, lengths)]
        caught[library] = (sizes, [(w.category, str(w.message)) for w in found])
    assert caught[random_split] == caught[torch_data.random_split], f"random_split(1 example, {lengths})"
    assert caught[random_split][1], "a case without an empty part tests nothing"
    ours_ds, torch_ds, _, _ = pairs_of_datasets(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sizes (not fractions) with an empty part: torch is silent, so are we
        random_split(ours_ds, [2, 0])
        torch_data.random_split(torch_ds, [2, 0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": np.array([1.0, 0.5, 2.0, 3.0])}, {"label_smoothing": 0.3},
                                     {"weight": np.array([0.2, 1.0, 1.0, 4.0]), "label_smoothing": 1.0},
                                     {"ignore_index": -3}], ids=str)
def test_cross_entropy_with_class_probabilities_equals_torch(reduction, options):
    """cross_entropy with a float target of the input's shape (soft labels): torch's values and both gradients."""
    rng = np.random.default_rng(8)
    x = rng.normal(scale=4, size=(5, 4))
    x[0] = [300.0, -300.0, 0.0, 2.0]  # large logits: log_softmax stays finite
    q = rng.dirichlet(np.ones(4), size=5)
    q[1] = [0.0, 1.0, 0.0, 0.0]
    torch_options = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    xm, qm = Tensor(x, requires_grad=True), Tensor(q, requires_grad=True)
    xt, qt = torch.tensor(x, requires_grad=True), torch.tensor(q, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        ours = F.cross_entropy(xm, qm, reduction=reduction, **options)
        upstream = np.linspace(0.5, 1.5, ours.data.size).reshape(ours.shape)
        ours.backward(upstream)
    theirs = torch_F.cross_entropy(xt, qt, reduction=reduction, **torch_options)
    theirs.backward(torch.from_numpy(upstream))
    what = f"cross_entropy(x, probabilities, reduction={reduction!r}, {options})"
    assert_same(ours, theirs, what, **EXACT)
    assert_same(xm.grad, xt.grad, f"the gradient of {what} with respect to the scores", **EXACT)
    assert_same(qm.grad, qt.grad, f"the gradient of {what} with respect to the probabilities", **EXACT)


def test_cross_entropy_with_class_probabilities_dtypes_modules_and_refusals_like_torch():
    """Soft labels: float32 scores with float64 probabilities, the module, N = 0, and ignore_index >= 0 refused."""
    x32, q = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]], dtype=np.float32), np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    xm, xt = Tensor(x32, requires_grad=True), torch.tensor(x32, requires_grad=True)
    ours, theirs = F.cross_entropy(xm, Tensor(q)), torch_F.cross_entropy(xt, torch.from_numpy(q))
    ours.backward()
    theirs.backward()
    assert_same(ours, theirs, "cross_entropy(float32 scores, float64 probabilities)", **FLOAT32)
    assert_same(xm.grad, xt.grad, "its gradient (float32, as the scores)", **FLOAT32)
    assert_same(nn.CrossEntropyLoss(label_smoothing=0.1)(Tensor(q), Tensor(q)),
                torch.nn.CrossEntropyLoss(label_smoothing=0.1)(torch.from_numpy(q), torch.from_numpy(q)),
                "nn.CrossEntropyLoss(label_smoothing=0.1) with probabilities", **EXACT)
    empty = np.zeros((0, 3))
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert_same(F.cross_entropy(Tensor(empty), Tensor(empty)),
                    torch_F.cross_entropy(torch.from_numpy(empty), torch.from_numpy(empty)), "the mean over 0 rows",
                    equal_nan=True, rtol=0, atol=0)
    for library, tensor in ((F, Tensor), (torch_F, torch.from_numpy)):
        with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
            library.cross_entropy(tensor(q), tensor(q), ignore_index=0)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint16, np.uint64])
def test_class_targets_must_be_int64_or_uint8_as_in_torch(dtype):
    """cross_entropy/nll_loss refuse int32 (and other non-Long, non-Byte) targets as torch does; uint8 works."""
    x, labels = np.log(np.full((3, 4), 0.25)), np.array([0, 3, 1])
    for name in ("cross_entropy", "nll_loss"):
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
            getattr(torch_F, name)(torch.from_numpy(x), torch.from_numpy(labels.astype(dtype)))
        with pytest.raises(RuntimeError, match=f"expected target dtype to be Long or Byte.*{np.dtype(dtype)}"):
            getattr(F, name)(Tensor(x), Tensor(labels.astype(dtype)))
        assert_same(getattr(F, name)(Tensor(x), Tensor(labels.astype(np.uint8))),
                    getattr(torch_F, name)(torch.from_numpy(x), torch.from_numpy(labels.astype(np.uint8))),
                    f"{name} with uint8 targets", **EXACT)


def test_an_n_by_1_target_is_torchs_multi_target_runtime_error():
    """cross_entropy/nll_loss of an (N, 1) target: torch's RuntimeError '0D or 1D target tensor expected'."""
    x, target = np.zeros((2, 3)), np.array([[0], [2]])
    for name in ("cross_entropy", "nll_loss"):
        with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
            getattr(torch_F, name)(torch.from_numpy(x), torch.from_numpy(target))
        with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported") as info:
            getattr(F, name)(Tensor(x), Tensor(target))
        assert isinstance(info.value, ValueError), "mylib's ShapeError is a ValueError too"
