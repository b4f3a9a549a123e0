"""Template matching by convbench (docs/DESIGN.md section 12): OpenCV matchTemplate's scores
'ccoeff', 'ccoeff_normed', 'sqdiff', 'sqdiff_normed' (TM_* without the prefix; 'ccoeff' is
also the lessons' de-meaned template_match) for a (H, W) or (H, W, C) image and a template
with as many channels, giving the (H - TH + 1, W - TW + 1) float32 map."""

import ctypes

import numpy as np

from . import _run
from . import library as L


def match_template(image, templ, method="ccoeff_normed", *, impl="auto", threads=1, out=None):
    """The score map; its argmax (argmin for sqdiff) is the best top-left corner."""
    picture = _run.real_array(image, "image", (2, 3))
    template = _run.real_array(templ, "templ", (2, 3))
    if picture.ndim != template.ndim or picture.shape[2:] != template.shape[2:]:
        raise ValueError(f"image {picture.shape} and templ {template.shape} have different "
                         "channel counts")
    code = _run.choice(method, L.MATCH_METHODS, "method")
    channels = 1 if picture.ndim == 2 else picture.shape[2]
    (H, W), (TH, TW) = picture.shape[:2], template.shape[:2]
    planar = lambda a: _run.as_float32(a if a.ndim == 2 else np.moveaxis(a, 2, 0))
    problem = L.MatchProblem(channels, H, W, TH, TW, code)
    if TH > H or TW > W:
        raise ValueError(f"the template ({TH}x{TW}) is larger than the image ({H}x{W})")
    result = _run.output_array(out, (H - TH + 1, W - TW + 1), (image, templ))
    lib = L.lib()
    # held in names for the calls: the library gets their addresses only (L.floats)
    template_data, image_data = planar(template), planar(picture)
    plan = ctypes.c_void_p()
    why = L.why_buffer()
    status = lib.cb_match_plan_create(str(impl).encode(), ctypes.byref(problem),
                                      L.floats(template_data),
                                      ctypes.byref(_run.options(threads)), ctypes.byref(plan),
                                      why, L.WHY_SIZE)
    L.raise_for(status, why, str(impl))
    try:
        lib.cb_match_plan_run(plan, L.floats(image_data), L.floats(result))
    finally:
        lib.cb_match_plan_destroy(plan)
    return result
