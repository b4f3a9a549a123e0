"""Reusable plans, the table of implementations, auto's reasoning and timing from NumPy.

    with convbench.plan(weights, (C, H, W), mode="same") as p:   # weights packed once
        for frame in frames:
            y = p.run(frame)                                     # GIL released while it runs

A plan is released by close(), by leaving the `with` block, or when it is garbage collected."""

import ctypes
import statistics
import time

import numpy as np

from . import _run
from . import library as L

BOUNDARIES = {"constant": "constant", "fill": "constant", "symmetric": "symmetric",
              "symm": "symmetric", "mirror": "mirror", "replicate": "replicate", "wrap": "wrap"}


def _problem(weights_shape, image_shape, mode, boundary, fillvalue, op, stride, groups):
    """The problem of a (N, C/groups, KH, KW) or (KH, KW) bank on a (C, H, W) or (H, W) image."""
    if len(image_shape) not in (2, 3) or len(weights_shape) not in (2, 4):
        raise ValueError(f"image shape {tuple(image_shape)} must be (H, W) or (C, H, W), weights "
                         f"{tuple(weights_shape)} (KH, KW) or (N, C/groups, KH, KW)")
    C, H, W = (1, *image_shape) if len(image_shape) == 2 else image_shape
    N, per_group, KH, KW = (1, 1, *weights_shape) if len(weights_shape) == 2 else weights_shape
    if per_group * groups != C:
        raise ValueError(f"weights {tuple(weights_shape)} do not fit {C} channels in {groups} "
                         "groups")
    rule = _run.choice(boundary, BOUNDARIES, "boundary")
    _run.choice(mode, ("valid", "same", "full"), "mode")
    _run.choice(op, ("corr", "conv"), "op")
    return _run.make_problem(int(C), int(H), int(W), int(N), int(groups), int(KH), int(KW),
                             _run.pair(stride, "stride"), mode, rule, float(fillvalue), op)


def parse_problem(text):
    """The fields of a problem line ("C=3 H=64 K=5 mode=valid ...", the library's parser):
    a dict of C, H, W, N, groups, KH, KW, SY, SX, mode, boundary, fill, op; ValueError with
    the library's reason for an unknown key, a bad value or an invalid problem."""
    if not isinstance(text, str):
        raise ValueError(f"a problem is a text of key=value fields, not {text!r}")
    lib = L.lib()
    problem = lib.cb_problem_default()
    why = L.why_buffer()
    if not lib.cb_problem_parse(text.encode(errors="replace"), ctypes.byref(problem), why,
                                L.WHY_SIZE):
        raise ValueError(why.value.decode(errors="replace"))
    _run.shape_of(problem)
    fields = {name: getattr(problem, name) for name in ("C", "H", "W", "N", "groups", "KH", "KW",
                                                         "SY", "SX")}
    fields.update(mode=L.MODES[problem.mode], boundary=L.BOUNDARIES[problem.boundary],
                  fill=problem.fill_value, op=L.OPS[problem.op])
    return fields


class Plan:
    """A planned convolution of one weight bank: run() takes images of the planned shape."""

    def __init__(self, weights, image_shape, mode="same", boundary="constant", fillvalue=0.0,
                 op="corr", stride=1, groups=1, *, impl="auto", threads=1,
                 fftw_planner="measure", max_memory=0):
        self._handle = None
        bank = _run.real_array(weights, "weights", (2, 4))
        self.image_shape = tuple(int(n) for n in image_shape)
        self.problem = _problem(bank.shape, self.image_shape, mode, boundary, fillvalue, op,
                                stride, groups)
        shape = _run.shape_of(self.problem)
        self.output_shape = ((shape.OH, shape.OW) if bank.ndim == 2 and len(self.image_shape) == 2
                             else (self.problem.N, shape.OH, shape.OW))
        opt = _run.options(threads, fftw_planner, max_memory)
        handle = ctypes.c_void_p()
        why = L.why_buffer()
        self._lib = L.lib()
        data = _run.as_float32(bank)  # held for the call: the library gets its address only
        status = self._lib.cb_plan_create(str(impl).encode(), ctypes.byref(self.problem),
                                          L.floats(data), ctypes.byref(opt),
                                          ctypes.byref(handle), why, L.WHY_SIZE)
        L.raise_for(status, why, str(impl))
        self._handle = handle
        self.impl = self._lib.cb_plan_impl(handle).contents.name.decode()

    def run(self, image, out=None):
        """The output for one image of the planned shape (float32)."""
        if self._handle is None:
            raise ValueError("the plan is closed")
        picture = _run.real_array(image, "image", (len(self.image_shape),))
        if picture.shape != self.image_shape:
            raise ValueError(f"image of shape {picture.shape}, the plan is for {self.image_shape}")
        data = _run.as_float32(picture)
        result = _run.output_array(out, self.output_shape, (image,))
        self._lib.cb_plan_run(self._handle, L.floats(data), L.floats(result))
        return result

    def close(self):
        if self._handle is not None:
            self._lib.cb_plan_destroy(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            self.close()


def plan(weights, image_shape, **kwargs):
    """A Plan (see Plan for the arguments)."""
    return Plan(weights, image_shape, **kwargs)


def _impl_dict(impl):
    why = L.why_buffer()
    available = L.lib().cb_impl_available(impl, why, L.WHY_SIZE)
    model = impl.contents.error.contents
    return {"name": impl.contents.name.decode(), "summary": impl.contents.summary.decode(),
            "isa": L.ISAS[impl.contents.isa], "threaded": bool(impl.contents.threaded),
            "family": model.family.decode(), "available": bool(available),
            "why_not": why.value.decode(errors="replace"),
            "exact_on_integers": bool(model.exact_on_integers),
            "error_bound": model.summary.decode()}


def implementations():
    """The table: one dict per implementation (name, summary, isa, threaded, family,
    available and why not, exact_on_integers, error_bound)."""
    lib = L.lib()
    return [_impl_dict(lib.cb_impl_at(i)) for i in range(lib.cb_impl_count())]


def explain(weights_shape, image_shape, mode="same", boundary="constant", op="corr", stride=1,
            groups=1, threads=1):
    """What auto would choose: every implementation's predicted seconds or refusal, cheapest
    first (dicts: impl, status, predicted_s, why)."""
    problem = _problem(tuple(weights_shape), tuple(image_shape), mode, boundary, 0.0, op,
                       stride, groups)
    _run.shape_of(problem)
    lib = L.lib()
    slots = (L.AutoCandidate * lib.cb_impl_count())()
    count = lib.cb_auto_candidates(ctypes.byref(problem), None,
                                   ctypes.byref(_run.options(threads)), slots, len(slots))
    return [{"impl": c.impl.contents.name.decode(), "status": L.STATUS_NAMES[c.status],
             "predicted_s": c.seconds if c.status == L.OK else None,
             "why": c.why.decode(errors="replace")} for c in slots[:count]]


def benchmark(problem, image_shape=None, impls=None, threads=(1,), min_time=0.2, min_reps=5,
              seed=1, **fields):
    """Times plan runs of random data (float32 in [-1, 1)) for each implementation (all
    available and auto by default) and thread count: rows with the bench CSV's fields
    (impl, chosen, threads, name, C..op, weights, task, status, reason, reps, plan_s, min_s,
    median_s, mad_s, gflops).  The problem is a problem line ("C=3 H=512 K=5 mode=valid",
    parse_problem) or a weights shape with image_shape and the problem's keywords (mode,
    boundary, stride, groups, ...).  Timed from Python (time.perf_counter around each run);
    `convbench bench` is the checked, reproducible measurement."""
    name = ""
    if isinstance(problem, str):
        if image_shape is not None or fields:
            raise ValueError("a problem line carries the whole problem: no image_shape or fields")
        name = problem
        f = parse_problem(problem)
        weights_shape = (f["N"], f["C"] // f["groups"], f["KH"], f["KW"])
        image_shape = (f["C"], f["H"], f["W"])
        problem = {"mode": f["mode"], "boundary": f["boundary"], "fillvalue": f["fill"],
                   "op": f["op"], "stride": (f["SY"], f["SX"]), "groups": f["groups"]}
    else:
        if image_shape is None:
            raise ValueError("benchmark needs a problem line, or a weights shape and image_shape")
        weights_shape, problem = tuple(problem), fields
    rng = np.random.default_rng(seed)
    image = rng.uniform(-1, 1, image_shape).astype(np.float32)
    weights = rng.uniform(-1, 1, weights_shape).astype(np.float32)
    names = impls or [d["name"] for d in implementations() if d["available"]] + ["auto"]
    rows = []
    for impl_name in names:
        for t in threads:
            row = {"impl": impl_name, "chosen": "", "threads": t, "name": name,
                   "weights": "random", "task": "convolution"}
            try:
                started = time.perf_counter()
                p = Plan(weights, image_shape, impl=impl_name, threads=t, **problem)
            except (ValueError, MemoryError) as e:
                row.update(status="unsupported", reason=str(e))
                rows.append(row)
                continue
            with p:
                row["plan_s"] = time.perf_counter() - started
                row["chosen"] = p.impl
                fields = {f: getattr(p.problem, f) for f, _ in L.Problem._fields_}
                row.update({k: fields[k] for k in ("C", "H", "W", "N", "groups", "KH", "KW",
                                                   "SY", "SX")})
                row.update(mode=L.MODES[fields["mode"]], boundary=L.BOUNDARIES[fields["boundary"]],
                           op=L.OPS[fields["op"]], fill=fields["fill_value"])
                out = np.empty(p.output_shape, np.float32)
                p.run(image, out)  # warm-up
                samples = []
                while len(samples) < min_reps or sum(samples) < min_time:
                    t0 = time.perf_counter()
                    p.run(image, out)
                    samples.append(time.perf_counter() - t0)
                median = statistics.median(samples)
                row.update(status="ok", reason="", reps=len(samples), min_s=min(samples),
                           median_s=median,
                           mad_s=statistics.median(abs(s - median) for s in samples),
                           gflops=L.lib().cb_problem_flops(ctypes.byref(p.problem)) / median * 1e-9)
            rows.append(row)
    return rows
