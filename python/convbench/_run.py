"""What every NumPy entry point shares: checking and converting arrays, building the problem,
and one planned run into an output the package allocates or the caller passes (`out=`)."""

import ctypes

import numpy as np

from . import library as L


def real_array(value, name, ndims):
    """value as an ndarray of a real dtype with one of the dimension counts in ndims."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name}: dtype {array.dtype} is not a real number type")
    if array.ndim not in ndims:
        wanted = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name}: {array.ndim} dimensions, expected {wanted}")
    if array.size == 0:
        raise ValueError(f"{name}: empty array of shape {array.shape}")
    return array


def as_float32(array):
    """C-contiguous native float32: the array itself when it already is, else one copy (any
    strides, byte order or real dtype)."""
    return np.ascontiguousarray(array, dtype=np.float32)


def choice(value, names, what):
    """The position of value among names, or for a dict of aliases the value it maps to."""
    if isinstance(names, dict):
        if value in names:
            return names[value]
        shown = ", ".join(sorted(names))
    else:
        if value in names:
            return names.index(value)
        shown = ", ".join(names)
    raise ValueError(f"unknown {what} {value!r} (one of {shown})")


def pair(value, what):
    """An int or a pair of ints (y, x), each >= 1 for strides."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    try:
        y, x = value
        return int(y), int(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int or a pair of ints, not {value!r}") from None


def make_problem(C, H, W, N, groups, KH, KW, stride=(1, 1), mode="same",
                 boundary="constant", fill=0.0, op="corr"):
    p = L.lib().cb_problem_default()
    p.C, p.H, p.W, p.N, p.groups, p.KH, p.KW = C, H, W, N, groups, KH, KW
    p.SY, p.SX = stride
    p.mode = L.MODES.index(mode)
    p.boundary = L.BOUNDARIES.index(boundary)
    p.fill_value = float(fill)
    p.op = L.OPS.index(op)
    return p


def shape_of(problem):
    shape = L.Shape()
    why = L.why_buffer()
    L.raise_for(L.lib().cb_problem_shape(ctypes.byref(problem), ctypes.byref(shape), why,
                                         L.WHY_SIZE), why)
    return shape


def options(threads=1, fftw_planner="estimate", max_memory=0):
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int, not {threads!r}")
    opt = L.lib().cb_options_default()
    opt.threads = int(threads)
    opt.fftw_planner = choice(fftw_planner, ("estimate", "measure", "patient"), "FFTW planner")
    if max_memory:
        opt.max_memory = int(max_memory)
    return opt


def output_array(out, shape, inputs):
    """A fresh float32 array of shape, or the caller's `out`, checked: float32 in native byte
    order, C-contiguous, writeable, exactly that shape, and not sharing memory with an input."""
    if out is None:
        return np.empty(shape, np.float32)
    if not isinstance(out, np.ndarray):
        raise ValueError(f"out must be a numpy array, not {type(out).__name__}")
    if out.dtype != np.float32 or not out.dtype.isnative:
        raise ValueError(f"out: dtype {out.dtype}, expected native float32")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"out: shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    if any(np.shares_memory(out, a) for a in inputs):
        raise ValueError("out shares memory with an input")
    return out


def run(problem, image, weights, impl="auto", opt=None, out=None, shape=None):
    """Plans impl for problem with these (float32, C-contiguous) weights, runs it once on image
    into the output (N x OH x OW floats, or `out` of as many), and releases the plan.  Returns the
    output and the name of the implementation that ran.  shape: the problem's, when known."""
    shape = shape or shape_of(problem)
    result = output_array(out, out.shape if out is not None else (problem.N, shape.OH, shape.OW),
                          (image, weights))
    if result.size != shape.output_elems:
        raise ValueError(f"out: {result.size} values, the problem makes {shape.output_elems}")
    lib = L.lib()
    plan = ctypes.c_void_p()
    why = L.why_buffer()
    if not isinstance(impl, str):
        raise ValueError(f"impl must be a name, not {impl!r}")
    status = lib.cb_plan_create(impl.encode(), ctypes.byref(problem), L.floats(weights),
                                ctypes.byref(opt if opt is not None else options()),
                                ctypes.byref(plan), why, L.WHY_SIZE)
    L.raise_for(status, why, impl)
    try:
        chosen = lib.cb_plan_impl(plan).contents.name.decode()
        lib.cb_plan_run(plan, L.floats(image), L.floats(result))  # the GIL is released here
    finally:
        lib.cb_plan_destroy(plan)
    return result, chosen


def anchored(image, kernel, anchor, boundary, fill, impl, opt, out, op="corr"):
    """Same-size filtering of a (H, W) or (H, W, C) image by one 2-D kernel (every channel
    alone), out[i, j] = sum k[a, b] x[i + a - ay, j + b - ax] over the image extended by the
    boundary rule: OpenCV's and scipy.ndimage's placement, with the anchor (ay, ax) a kernel
    tap.  convbench's 'same' places the kernel by SciPy's rule; where that is not this anchor,
    the 'full' output holds every placement and the anchored one is a slice of it."""
    channels = 1 if image.ndim == 2 else image.shape[2]
    H, W = image.shape[:2]
    KH, KW = kernel.shape
    ay, ax = anchor
    planar = as_float32(image if image.ndim == 2 else np.moveaxis(image, 2, 0))
    weights = np.ascontiguousarray(np.broadcast_to(as_float32(kernel), (channels, 1, KH, KW)))
    same = make_problem(channels, H, W, channels, channels, KH, KW, mode="same",
                        boundary=boundary, fill=fill, op=op)
    s = shape_of(same)
    final_shape = image.shape
    result = output_array(out, final_shape, (image, kernel))
    if s.row0 == -ay and s.col0 == -ax and image.ndim == 2:
        run(same, planar, weights, impl, opt, out=result.reshape(1, H, W))
        return result
    if s.row0 == -ay and s.col0 == -ax:
        planes, _ = run(same, planar, weights, impl, opt)
    else:
        full = make_problem(channels, H, W, channels, channels, KH, KW, mode="full",
                            boundary=boundary, fill=fill, op=op)
        planes, _ = run(full, planar, weights, impl, opt)
        planes = planes[:, KH - 1 - ay:KH - 1 - ay + H, KW - 1 - ax:KW - 1 - ax + W]
    result[...] = planes[0] if image.ndim == 2 else np.moveaxis(planes, 0, 2)
    return result

