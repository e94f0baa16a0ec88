"""Writes a training checkpoint the way the published trainer saves one (gml16/rl-medical 824180d, DQNModel.py
save_checkpoint, called by trainer.py at the end of every epoch): torch.save of
  {'q_network_state_dict', 'target_network_state_dict', 'optimiser_state_dict' (Adam), 'scheduler_state_dict'
   (StepLR), 'episode': the episode just finished (1-based), 'eps', 'acc_steps'}.

  python3 published_training_checkpoint.py WEIGHTS.pt OUT.pt EPISODE EPOCHS EPS ACC_STEPS

WEIGHTS.pt is a Network3d/CommNet state_dict (the reference network_parity files); its tensors become the
parameters, in state_dict order (the published networks register parameters in that order and hold no buffers).
Three Adam steps on fixed pseudo-random gradients give the optimiser real moments; the scheduler is stepped EPOCHS
times, as the trainer steps it once per epoch. Needs PyTorch (Debian's python3-torch 1.13).
"""
import sys

import torch


def main(weights, out, episode, epochs, eps, acc_steps):
    state = torch.load(weights, map_location="cpu")
    params = [torch.nn.Parameter(t.clone().float()) for t in state.values()]
    optimiser = torch.optim.Adam(params, lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimiser, step_size=100, gamma=0.5)
    g = torch.Generator().manual_seed(14)
    for _ in range(3):
        optimiser.zero_grad()
        for p in params:
            p.grad = torch.randn(p.shape, generator=g) * 1e-2
        optimiser.step()
    for _ in range(epochs):
        scheduler.step()
    q = {k: p.detach().clone() for k, p in zip(state.keys(), params)}
    checkpoint = {
        'q_network_state_dict': q,
        'target_network_state_dict': {k: t.clone() for k, t in state.items()},
        'optimiser_state_dict': optimiser.state_dict(),
        'scheduler_state_dict': scheduler.state_dict(),
        'episode': episode,
        'eps': eps,
        'acc_steps': acc_steps,
    }
    torch.save(checkpoint, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
