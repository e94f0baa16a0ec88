"""Side-by-side baseline: the published networks (SPEC.md section 4) in PyTorch, timed on this machine.

Times the forward pass at batch 1 (Network3d 1 agent, CommNet 5 and 8 agents) and one DQN update at batch 64
(online forward+backward+Adam and the target forward), like the published train_q_network. The networks are
re-written from SPEC.md (same layers, shapes and operations as the published Network3D/CommNet), so the figures
are PyTorch's speed for the same work. Needs PyTorch (Debian: apt-get install python3-torch; run with
/usr/bin/python3). Thread count is fixed per process, as in ../../shared/reference/perf.json.

    /usr/bin/python3 benchmarks/python/pytorch_network_timing.py --threads 2
"""
import argparse
import time

import torch
import torch.nn as nn


class Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv3d(4, 32, 5, padding=1)
        self.prelu0 = nn.PReLU()
        self.conv1 = nn.Conv3d(32, 32, 5, padding=1)
        self.prelu1 = nn.PReLU()
        self.conv2 = nn.Conv3d(32, 64, 4, padding=1)
        self.prelu2 = nn.PReLU()
        self.conv3 = nn.Conv3d(64, 64, 3, padding=0)
        self.prelu3 = nn.PReLU()
        self.pool = nn.MaxPool3d(2)

    def forward(self, x):
        x = self.pool(self.prelu0(self.conv0(x)))
        x = self.pool(self.prelu1(self.conv1(x)))
        x = self.pool(self.prelu2(self.conv2(x)))
        return self.prelu3(self.conv3(x)).view(x.shape[0], -1)


class Net(nn.Module):
    def __init__(self, agents, commnet):
        super().__init__()
        self.agents = agents
        self.commnet = commnet
        w = 2 if commnet else 1
        self.trunk = Trunk()
        self.fc1 = nn.ModuleList([nn.Linear(512 * w, 256) for _ in range(agents)])
        self.prelu4 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc2 = nn.ModuleList([nn.Linear(256 * w, 128) for _ in range(agents)])
        self.prelu5 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc3 = nn.ModuleList([nn.Linear(128 * w, 6) for _ in range(agents)])

    def forward(self, x):
        x = x / 255.0
        feats = [self.trunk(x[:, i]) for i in range(self.agents)]  # published: one trunk call per agent
        for fc, pr in ((self.fc1, self.prelu4), (self.fc2, self.prelu5), (self.fc3, None)):
            if self.commnet:
                comm = torch.stack(feats, 1).mean(1)
                feats = [torch.cat((f, comm), 1) for f in feats]
            feats = [fc[i](f) for i, f in enumerate(feats)]
            if pr is not None:
                feats = [pr[i](f) for i, f in enumerate(feats)]
        return torch.stack(feats, 1)


def median_seconds(fn, reps):
    fn()
    t = []
    for _ in range(reps):
        s = time.perf_counter()
        fn()
        t.append(time.perf_counter() - s)
    t.sort()
    return t[len(t) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--update", action="store_true", help="also time one DQN update at batch 64 (slow)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, agents, commnet in (("Network3d", 1, False), ("CommNet", 5, True), ("CommNet", 8, True)):
        net = Net(agents, commnet)
        x = torch.randint(0, 256, (1, agents, 4, 45, 45, 45)).float()
        with torch.no_grad():
            s = median_seconds(lambda: net(x), 7)
        print(f"forward batch 1 {name} {agents} agents: {s * 1000:.1f} ms")
    if a.update:
        for name, agents, commnet in (("Network3d", 1, False), ("CommNet", 5, True)):
            q, t = Net(agents, commnet), Net(agents, commnet)
            opt = torch.optim.Adam(q.parameters(), lr=1e-3)
            x = torch.randint(0, 256, (64, agents, 4, 45, 45, 45), dtype=torch.uint8)
            x2 = torch.randint(0, 256, (64, agents, 4, 45, 45, 45), dtype=torch.uint8)
            act = torch.randint(0, 6, (64, agents))
            rew = torch.rand(64, agents)

            def update():
                opt.zero_grad()
                qa = q(x.float()).gather(2, act.unsqueeze(2)).squeeze(2)
                with torch.no_grad():
                    y = rew + 0.9 * t(x2.float()).max(2)[0]
                loss = nn.SmoothL1Loss()(qa, y)
                loss.backward()
                opt.step()

            s = median_seconds(update, 2)
            print(f"update batch 64 {name} {agents} agents: {s:.2f} s")


if __name__ == "__main__":
    main()
