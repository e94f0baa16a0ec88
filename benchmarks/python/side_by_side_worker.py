"""PyTorch side of benchmarks/side-by-side: answers one timing request per stdin line with one JSON line.

Started by org.cmarl.bench.SideBySideMain (never by hand), which interleaves every request with the engine's
measurement of the same work. The networks are re-stated from SPEC.md section 4 as pytorch_network_timing.py
does; loading and normalising a scan re-states SPEC.md section 1 with numpy; the environment step is a small
numpy re-statement of SPEC.md section 3 (move, refusal, reward, ROI with the multiscale stride and clamping, the
4-frame stack, the 20-entry history and its oscillation test) - the same work per step as the published
environment, not its code. Needs Debian's python3-torch (/usr/bin/python3).

Requests (JSON): {"op": "load", "file": F, "reps": N}; {"op": "env", "agents": A, "steps": N, "file": F};
{"op": "forward", "model": "Network3d"|"CommNet", "agents": A, "threads": T, "reps": N};
{"op": "update", "model": M, "agents": A, "batch": B, "threads": T, "reps": N};
{"op": "eval_open", "model_file": F, "obs_file": SHM, "threads": T}; "q" lines answer one forward of the
observation in SHM; {"op": "eval_close"}; {"op": "quit"}.
"""
import gzip
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_network_timing import Net  # noqa: E402  (the SPEC.md section 4 re-statement)


def median(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        t.append(time.perf_counter() - s)
    t.sort()
    return t[len(t) // 2]


def load_normalise(path):
    """SPEC.md section 1 for float32 NIfTI-1 (the sample scans): read, percentile clip, rescale to [0, 255]."""
    raw = gzip.open(path, "rb").read() if path.endswith(".gz") else open(path, "rb").read()
    dim = struct.unpack_from("<8h", raw, 40)
    datatype = struct.unpack_from("<h", raw, 70)[0]
    vox_offset = int(struct.unpack_from("<f", raw, 108)[0])
    slope, inter = struct.unpack_from("<2f", raw, 112)
    if datatype != 16:
        raise ValueError(f"{path}: datatype {datatype}, this re-statement reads float32 only")
    n = dim[1] * dim[2] * dim[3]
    v = np.frombuffer(raw, dtype="<f4", count=n, offset=vox_offset).reshape(dim[3], dim[2], dim[1]).T
    if np.isfinite(slope) and slope != 0:
        v = v * slope + (inter if np.isfinite(inter) else 0)
    p10, p99 = np.percentile(v, (10, 99))
    v = np.clip(v, np.float32(p10), np.float32(p99))
    lo, hi = float(v.min()), float(v.max())
    scale = 255.0 / (hi - lo)
    out = np.clip((v.astype(np.float64) * scale - lo * scale).astype(np.float32), 0, 255)
    return np.ascontiguousarray(out)


class Env:
    """SPEC.md section 3, training mode, multiscale, float32 frames: the same work per step as the published env."""
    ROI = 45

    def __init__(self, image, agents, rng):
        self.img, self.agents, self.rng = image, agents, rng
        self.dim = np.array(image.shape)
        c = self.dim // 2
        self.target = np.array([[c[0], c[1] + a, c[2]] for a in range(agents)])
        self.reset()

    def reset(self):
        m = self.dim // 5
        self.loc = np.stack([self.rng.integers(m, self.dim - m) for _ in range(self.agents)])
        self.scale, self.step_vox, self.steps = 3, 9, 0
        self.frames = np.zeros((self.agents, 4, 45, 45, 45), np.float32)
        self.hist = [[(0, 0, 0)] * 20 for _ in range(self.agents)]
        self.qhist = np.zeros((self.agents, 20, 6), np.float32)
        self.dist = np.linalg.norm(self.loc - self.target, axis=1)
        for a in range(self.agents):
            self.push(a)

    def roi(self, l):
        s = self.scale
        half = 45 * s / 2
        out = np.zeros((45, 45, 45), np.float32)
        sl, cells = [], []
        for ax in range(3):
            if s % 2:
                lo, hi = l[ax] - int(half) - 1, l[ax] + int(half)
            else:
                lo, hi = l[ax] - round(half), l[ax] + round(half)
            first = 0
            if lo < 0:
                first = 45 - len(range(0, hi, s))
                lo = 0
            if hi > self.dim[ax]:
                hi = self.dim[ax]
            k = len(range(lo, hi, s))
            sl.append(slice(lo, hi, s))
            cells.append(slice(first, first + k))
        out[cells[0], cells[1], cells[2]] = self.img[sl[0], sl[1], sl[2]][:cells[0].stop - cells[0].start,
                                                                          :cells[1].stop - cells[1].start,
                                                                          :cells[2].stop - cells[2].start]
        return out

    def push(self, a):
        self.frames[a, :3] = self.frames[a, 1:]
        self.frames[a, 3] = self.roi(self.loc[a])

    MOVES = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, -1, 0], [0, 0, -1]])

    def oscillates(self, h):
        vals, counts = {}, {}
        for p in h:
            counts[p] = counts.get(p, 0) + 1
            vals.setdefault(p, len(vals))
        order = sorted(counts, key=lambda p: (-counts[p], vals[p]))
        if order[0] == (0, 0, 0):
            return len(order) >= 4 and counts[order[1]] >= 4
        return counts[order[0]] >= 4

    def step(self, actions, q):
        self.steps += 1
        for a in range(self.agents):
            new = self.loc[a] + self.MOVES[actions[a]] * self.step_vox
            refused = any(new[ax] >= self.dim[ax] if self.MOVES[actions[a]][ax] > 0 else
                          (new[ax] <= 0 if self.MOVES[actions[a]][ax] < 0 else False) for ax in range(3))
            if not refused:
                self.loc[a] = new
            d = float(np.linalg.norm(self.loc[a] - self.target[a]))
            _reward = -1.0 if refused else self.dist[a] - d
            self.dist[a] = d
            self.hist[a] = self.hist[a][1:] + [tuple(int(c) for c in self.loc[a])]
            self.qhist[a, :-1] = self.qhist[a, 1:]
            self.qhist[a, -1] = q[a]
        over = False
        if all(self.oscillates(h) for h in self.hist):
            for a in range(self.agents):
                k = int(np.argmin(self.qhist[a, -4:].max(1)))
                self.loc[a] = self.hist[a][16 + k]
            if self.scale == 1:
                over = True
            else:
                self.scale -= 1
                self.step_vox //= 3
                self.hist = [[(0, 0, 0)] * 20 for _ in range(self.agents)]
                self.qhist[:] = 0
        for a in range(self.agents):
            self.push(a)
        return over or self.steps >= 200


def published_names(state_dict):
    """The published state_dict names (conv0.weight, prelu0.weight, fc1.0.weight, ...) -> this Net's."""
    return {("trunk." + k if k.startswith(("conv", "prelu0", "prelu1", "prelu2", "prelu3")) else k): v
            for k, v in state_dict.items() if k != "rew_att"}


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    evaluation = None
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line == "q":
            net, obs = evaluation
            s = time.perf_counter()
            with torch.no_grad():
                q = net(obs)
            sec = time.perf_counter() - s
            print(json.dumps({"q": q.flatten().tolist(), "seconds": sec}), flush=True)
            continue
        r = json.loads(line)
        op = r["op"]
        if "threads" in r:
            torch.set_num_threads(r["threads"])
        if op == "quit":
            break
        if op == "load":
            sec = median(lambda: load_normalise(r["file"]), r["reps"])
            print(json.dumps({"seconds": sec}), flush=True)
        elif op == "env":
            env = Env(load_normalise(r["file"]), r["agents"], rng)
            total, n = 0.0, 0
            zeros = np.zeros((r["agents"], 6), np.float32)
            while n < r["steps"]:
                act = rng.integers(0, 6, r["agents"])
                s = time.perf_counter()
                over = env.step(act, zeros)
                total += time.perf_counter() - s
                n += 1
                if over:
                    env.reset()
            print(json.dumps({"seconds": total / n}), flush=True)
        elif op == "forward":
            net = Net(r["agents"], r["model"] == "CommNet")
            x = torch.randint(0, 256, (1, r["agents"], 4, 45, 45, 45)).float()
            with torch.no_grad():
                sec = median(lambda: net(x), r["reps"])
            print(json.dumps({"seconds": sec}), flush=True)
        elif op == "update":
            a, b = r["agents"], r.get("batch", 64)
            q, t = Net(a, r["model"] == "CommNet"), Net(a, r["model"] == "CommNet")
            opt = torch.optim.Adam(q.parameters(), lr=1e-3)
            x = torch.randint(0, 256, (b, a, 4, 45, 45, 45), dtype=torch.uint8)
            x2 = torch.randint(0, 256, (b, a, 4, 45, 45, 45), dtype=torch.uint8)
            act = torch.randint(0, 6, (b, a))
            rew = torch.rand(b, a)

            def update():
                opt.zero_grad()
                qa = q(x.float()).gather(2, act.unsqueeze(2)).squeeze(2)
                with torch.no_grad():
                    y = rew + 0.9 * t(x2.float()).max(2)[0]
                loss = nn.SmoothL1Loss()(qa, y)
                loss.backward()
                opt.step()

            sec = median(update, r["reps"])
            print(json.dumps({"seconds": sec}), flush=True)
        elif op == "eval_open":
            net = Net(1, False)
            net.load_state_dict(published_names(torch.load(r["model_file"], map_location="cpu")))
            net.eval()
            mm = np.memmap(r["obs_file"], dtype="<f4", mode="r+", shape=(1, 1, 4, 45, 45, 45))
            evaluation = (net, torch.from_numpy(np.asarray(mm)))
            print(json.dumps({"ok": True}), flush=True)
        elif op == "eval_close":
            evaluation = None
            print(json.dumps({"ok": True}), flush=True)
        else:
            print(json.dumps({"error": "unknown op " + op}), flush=True)


if __name__ == "__main__":
    main()
