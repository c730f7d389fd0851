"""VR-Bench's trajectory metrics (SR, PR, SD, EM, MF), computed the way its evaluator computes them.

So that a user can put genreason numbers beside that paper's table. As there,
trajectories are in video pixels normalised by the video's width and height;
PR resamples the reference to 1,000 points by arc length and the generated
path at the same distances, and counts the matched prefix within 0.01; SR asks
whether any tracked point ever entered the goal box (not whether the agent
ended there, which is why genreason's strict ``success`` exists); SD is the
path-length ratio minus one, only when SR holds and only when not negative;
EM is SR with PR >= 0.98 and |SD| <= 0.1. Our reference trajectory is the
reference path's cell centres (VR-Bench tracks its ground-truth video) and MF
masks the player at its tracked position in that frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from genreason.types import Video

PR_SAMPLES = 1000
PR_EPS = 0.01
EM_PR = 0.98
EM_SD = 0.1
MF_STEP = 5
MF_PIXEL = 5


def path_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 0.0


def _resample(points: np.ndarray, distances: np.ndarray) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    d = np.minimum(distances, s[-1])
    return np.column_stack([np.interp(d, s, points[:, 0]), np.interp(d, s, points[:, 1])])


def precision_rate(reference: np.ndarray, generated: np.ndarray) -> float:
    if len(reference) < 2 or len(generated) < 2:
        return 0.0
    targets = np.linspace(0.0, path_length(reference), PR_SAMPLES)
    matches = np.linalg.norm(_resample(reference, targets) - _resample(generated, targets), axis=1) <= PR_EPS
    return float(PR_SAMPLES if matches.all() else int(np.argmin(matches))) / PR_SAMPLES


def success_rate(generated: np.ndarray, goal_box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = goal_box
    if len(generated) == 0:
        return 0.0
    inside = (generated[:, 0] >= x0) & (generated[:, 0] <= x1) & (generated[:, 1] >= y0) & (generated[:, 1] <= y1)
    return float(inside.any())


def trajectory_metrics(reference: np.ndarray, generated: np.ndarray,
                       goal_box: tuple[float, float, float, float]) -> dict[str, float]:
    """SR, PR, SD (when defined) and EM from normalised (x, y) trajectories."""
    if len(reference) < 2 or len(generated) < 2:
        return {"sr": 0.0, "pr": 0.0, "em": 0.0}
    sr = success_rate(generated, goal_box)
    pr = precision_rate(reference, generated)
    out = {"sr": sr, "pr": pr}
    sd = None
    ref_len = path_length(reference)
    if sr >= 1.0 and ref_len > 1e-10:
        value = path_length(generated) / ref_len - 1.0
        sd = value if value >= 0 else None
    if sd is not None:
        out["sd"] = sd
    out["em"] = float(sr >= 1.0 and pr >= EM_PR and abs(sd or 0.0) <= EM_SD)
    return out


def mask_fidelity(video: Video, boxes: list[tuple[float, float, float, float]],
                  player: list[tuple[float, float] | None], player_size: tuple[float, float]) -> float:
    """Mean share of unchanged grey pixels (|diff| <= 5) against frame 0, every 5th frame.

    ``boxes`` (start, goal) are masked everywhere; the player box, centred on
    its tracked position, is masked in the frame being compared.
    """
    w, h = video.size
    first = cv2.cvtColor(video.frame(0), cv2.COLOR_RGB2GRAY)
    base_mask = np.ones((h, w), dtype=np.uint8)
    for box in boxes:
        _clear(base_mask, box)
    scores = []
    # Scratch images reused frame after frame (fresh full-size ones cost more than the work on them).
    mask, grey = np.empty((h, w), dtype=np.uint8), np.empty((h, w), dtype=np.uint8)
    for t in range(MF_STEP, video.num_frames, MF_STEP):
        np.copyto(mask, base_mask)
        if player[t] is not None:
            x, y = player[t]
            pw, ph = player_size
            _clear(mask, (x - pw / 2, y - ph / 2, x + pw / 2, y + ph / 2))
        kept = cv2.countNonZero(mask)
        if kept:
            # |a - b| of uint8 greys by cv2.absdiff, thresholded (> MF_PIXEL) and counted under the
            # mask by OpenCV: the same numbers as indexing full-resolution int16 copies.
            cv2.cvtColor(video.frame(t), cv2.COLOR_RGB2GRAY, dst=grey)
            cv2.absdiff(grey, first, dst=grey)
            cv2.threshold(grey, MF_PIXEL, 1, cv2.THRESH_BINARY, dst=grey)
            cv2.bitwise_and(grey, mask, dst=grey)
            scores.append(1.0 - cv2.countNonZero(grey) / kept)
        else:
            scores.append(1.0)
    return float(np.mean(scores)) if scores else 1.0


def _clear(mask: np.ndarray, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    mask[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 0


def video_metrics(video: Video, puzzle_to_video: np.ndarray, reference: np.ndarray,
                  trajectory: list[tuple[float, float] | None], agent_box: list[list[float]],
                  goal_box: list[list[float]]) -> dict[str, float]:
    """SR, PR, SD, EM and MF of a tracked agent, from positions in the puzzle's first-frame pixels.

    ``puzzle_to_video`` (2 x 3) maps those pixels into the video, whose size
    normalises every point as VR-Bench does. ``reference`` is the reference
    route (N x 2 puzzle pixels); with fewer than two points (a VR-Bench state
    without one) only SR and MF are defined. ``agent_box``/``goal_box`` are
    ``[[x0, y0], [x1, y1]]`` in puzzle pixels.
    """
    width, height = video.size

    def to_video(points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float).reshape(-1, 2) @ puzzle_to_video[:, :2].T + puzzle_to_video[:, 2]

    def normalise(points: np.ndarray) -> np.ndarray:
        return to_video(points) / np.array([width, height])

    generated = normalise(np.array([p for p in trajectory if p is not None], dtype=float))
    goal = tuple(normalise(goal_box).reshape(-1))
    reference = np.asarray(reference, dtype=float).reshape(-1, 2)
    if len(reference) >= 2:
        metrics = trajectory_metrics(normalise(reference), generated, goal)
    else:
        metrics = {"sr": success_rate(generated, goal)}
    boxes = [tuple(to_video(box).reshape(-1)) for box in (agent_box, goal_box)]
    player = [None if p is None else tuple(to_video(np.array(p))[0]) for p in trajectory]
    size = to_video(agent_box)
    metrics["mf"] = mask_fidelity(video, boxes, player, (size[1, 0] - size[0, 0], size[1, 1] - size[0, 1]))
    return metrics
