"""Reads what the engine wrote with real PyTorch, as a user of the published code would.

Usage: python3 load_engine_checkpoints.py MODEL_PT TRAINING_PT AGENTS MODEL_NAME INPUT_U8 Q_ENGINE_F32

- torch.load(MODEL_PT, weights_only=True): the state_dict loads (strict) into the published network class;
- torch.load(TRAINING_PT) (weights_only=True from PyTorch 2.0 on, see load_training_checkpoint): both networks
  load, torch.optim.Adam.load_state_dict and
  torch.optim.lr_scheduler.StepLR.load_state_dict accept the optimiser and scheduler states, and one more
  optimiser and scheduler step runs on them;
- the network's Q-values for the raw uint8 input INPUT_U8 (batch, agents, 4, 45, 45, 45) agree with the engine's
  (Q_ENGINE_F32, float32 little-endian) to 1e-4.

The network classes are re-stated from SPEC.md section 4 (Network3D and CommNet of the published code, without
attention). Prints one "ok: ..." line per check; any failure raises (exit code 1).
"""
import io
import pickle
import sys

import numpy as np
import torch
import torch.nn as nn


class Network3D(nn.Module):
    def __init__(self, agents, frame_history=4, number_actions=6):
        super().__init__()
        self.agents = agents
        self.conv0 = nn.Conv3d(frame_history, 32, kernel_size=(5, 5, 5), padding=1)
        self.maxpool0 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu0 = nn.PReLU()
        self.conv1 = nn.Conv3d(32, 32, kernel_size=(5, 5, 5), padding=1)
        self.maxpool1 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu1 = nn.PReLU()
        self.conv2 = nn.Conv3d(32, 64, kernel_size=(4, 4, 4), padding=1)
        self.maxpool2 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu2 = nn.PReLU()
        self.conv3 = nn.Conv3d(64, 64, kernel_size=(3, 3, 3), padding=0)
        self.prelu3 = nn.PReLU()
        self.fc1 = nn.ModuleList([nn.Linear(512, 256) for _ in range(agents)])
        self.prelu4 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc2 = nn.ModuleList([nn.Linear(256, 128) for _ in range(agents)])
        self.prelu5 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc3 = nn.ModuleList([nn.Linear(128, number_actions) for _ in range(agents)])

    def trunk(self, x):
        x = self.maxpool0(self.prelu0(self.conv0(x)))
        x = self.maxpool1(self.prelu1(self.conv1(x)))
        x = self.maxpool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        return x.view(-1, 512)

    def forward(self, x):
        x = x / 255.0
        out = []
        for i in range(self.agents):
            h = self.trunk(x[:, i])
            h = self.prelu4[i](self.fc1[i](h))
            h = self.prelu5[i](self.fc2[i](h))
            out.append(self.fc3[i](h))
        return torch.stack(out, dim=1)


class CommNet(nn.Module):
    def __init__(self, agents, frame_history=4, number_actions=6):
        super().__init__()
        self.agents = agents
        self.conv0 = nn.Conv3d(frame_history, 32, kernel_size=(5, 5, 5), padding=1)
        self.maxpool0 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu0 = nn.PReLU()
        self.conv1 = nn.Conv3d(32, 32, kernel_size=(5, 5, 5), padding=1)
        self.maxpool1 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu1 = nn.PReLU()
        self.conv2 = nn.Conv3d(32, 64, kernel_size=(4, 4, 4), padding=1)
        self.maxpool2 = nn.MaxPool3d(kernel_size=(2, 2, 2))
        self.prelu2 = nn.PReLU()
        self.conv3 = nn.Conv3d(64, 64, kernel_size=(3, 3, 3), padding=0)
        self.prelu3 = nn.PReLU()
        self.fc1 = nn.ModuleList([nn.Linear(512 * 2, 256) for _ in range(agents)])
        self.prelu4 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc2 = nn.ModuleList([nn.Linear(256 * 2, 128) for _ in range(agents)])
        self.prelu5 = nn.ModuleList([nn.PReLU() for _ in range(agents)])
        self.fc3 = nn.ModuleList([nn.Linear(128 * 2, number_actions) for _ in range(agents)])

    def forward(self, x):
        x = x / 255.0
        h = []
        for i in range(self.agents):
            y = self.maxpool0(self.prelu0(self.conv0(x[:, i])))
            y = self.maxpool1(self.prelu1(self.conv1(y)))
            y = self.maxpool2(self.prelu2(self.conv2(y)))
            y = self.prelu3(self.conv3(y))
            h.append(y.view(-1, 512))
        h = torch.stack(h, dim=1)
        for fc, prelu in ((self.fc1, self.prelu4), (self.fc2, self.prelu5), (self.fc3, None)):
            comm = h.mean(dim=1)
            out = []
            for i in range(self.agents):
                y = fc[i](torch.cat((h[:, i], comm), dim=-1))
                out.append(prelu[i](y) if prelu is not None else y)
            h = torch.stack(out, dim=1)
        return h


def load_training_checkpoint(path):
    """torch.load(weights_only=True) where this PyTorch can: before 2.0 its weights-only unpickler has no BINFLOAT
    opcode (71), which torch.save itself writes for every Python float (lr, betas, eps of the optimiser), so a
    training checkpoint needs weights_only=False there; that this is PyTorch's limit, not the engine's file, is
    checked on a dict that torch.save wrote itself."""
    try:
        return torch.load(path, weights_only=True), "weights_only=True"
    except pickle.UnpicklingError as e:
        if "Unsupported operand 71" not in str(e):
            raise
    own = io.BytesIO()
    torch.save({"eps": 0.5}, own)
    own.seek(0)
    try:
        torch.load(own, weights_only=True)
    except pickle.UnpicklingError:
        return torch.load(path, weights_only=False), ("weights_only=False (PyTorch %s cannot load a float "
                                                      "weights-only, not even from its own torch.save)"
                                                      % torch.__version__)
    raise AssertionError("PyTorch loads its own floats weights-only but not the engine's training checkpoint")


def build(model_name, agents):
    return {"Network3d": Network3D, "CommNet": CommNet}[model_name](agents)


def main():
    model_pt, training_pt, agents, model_name, input_u8, q_engine = sys.argv[1:7]
    agents = int(agents)
    torch.manual_seed(0)

    state_dict = torch.load(model_pt, weights_only=True)
    net = build(model_name, agents)
    net.load_state_dict(state_dict, strict=True)
    print("ok: torch.load(weights_only=True) and %s.load_state_dict of %s (%d tensors)"
          % (model_name, model_pt, len(state_dict)))

    checkpoint, how = load_training_checkpoint(training_pt)
    online = build(model_name, agents)
    online.load_state_dict(checkpoint["q_network_state_dict"], strict=True)
    target = build(model_name, agents)
    target.load_state_dict(checkpoint["target_network_state_dict"], strict=True)
    optimiser = torch.optim.Adam(online.parameters(), lr=1e-3)
    optimiser.load_state_dict(checkpoint["optimiser_state_dict"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimiser, step_size=100, gamma=0.5)
    scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    for key in ("episode", "eps", "acc_steps"):
        assert key in checkpoint, key
    steps = [s["step"] for s in optimiser.state_dict()["state"].values()]
    print("ok: training checkpoint %s, torch.load(%s): both networks, Adam.load_state_dict (%d parameter states, "
          "step %s), StepLR.load_state_dict (last_epoch %d, lr %g), episode %d, eps %g, acc_steps %d"
          % (training_pt, how, len(steps), steps[0].item() if steps else "none", scheduler.last_epoch,
             optimiser.param_groups[0]["lr"], checkpoint["episode"], checkpoint["eps"], checkpoint["acc_steps"]))

    shape = (-1, agents, 4, 45, 45, 45)
    x = torch.from_numpy(np.fromfile(input_u8, dtype=np.uint8).astype(np.float32)).reshape(shape)
    with torch.no_grad():
        q = net(x)
    expected = torch.from_numpy(np.fromfile(q_engine, dtype="<f4")).reshape(q.shape)
    error = (q - expected).abs().max().item()
    assert error < 1e-4, "Q-values differ from the engine's by %g" % error
    print("ok: Q-values of %s for %d observations agree with the engine's (max |difference| %.3g)"
          % (model_pt, x.shape[0], error))

    # the restored optimiser and scheduler take a step like any other
    loss = online(x).square().mean()
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    scheduler.step()
    print("ok: one Adam step and one StepLR step on the restored state")


if __name__ == "__main__":
    main()
